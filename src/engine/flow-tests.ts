/**
 * Flow tests (`<name>.flow.test.yaml` beside `<name>.flow.yaml`): an input, mocks by step id, and the
 * expected result code, path, response and slot values — Benthos's config tests with Camel's
 * mock-by-id, for request/response flows. They run the real flow on a real store (a fresh SQLite with
 * the demo stock) in `npm test` and in `medbill test`; only what a case mocks is replaced.
 *
 *   flow: ./issue.flow.yaml
 *   cases:
 *     - name: a signer outage leaves the number reserved
 *       inputFile: ../../examples/outpatient-v3.2.json     # or input: {...}
 *       set: { busNo: FT-OUTAGE-1 }                         # top-level fields replaced in the input
 *       given: [{ set: { busNo: FT-OUTAGE-1 } }]            # requests run first on the same store
 *       mocks: { sign: { throws: E3001 } }                   # or { writes: { slot: value }, exit: name }
 *       expect:
 *         result: E3001
 *         steps: [check, to-bill, amounts, once-per-busno, number, fiscal-xml, sign]   # ran, the failing one last
 *         response: { billNo: "/^\\d{10}$/" }               # subset; "/…/" strings are regexes
 *         slots: { reservation: { state: reserved } }        # subset of the slot values at the end
 *         message: "/签名/"                                  # the error text (regex or exact)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { HIS_CODES, HisCode } from './codes';
import { asFlowError, FlowError } from './errors';
import type { Flow } from './flow-loader';
import type { Loc, Problems } from './lint';
import { FlowRun, newRun, runFlow, slotObject } from './run';
import { log } from '../log';
import type { Services } from './services';
import type { StepOverride } from './step';
import { loadYamlSource } from './yaml-source';

export interface FlowTestCase {
  name: string;
  loc: Loc;
  input?: Record<string, unknown>;
  inputFile?: string;
  set?: Record<string, unknown>;
  /** requests run first on the same store, through this flow or another (`flow: ../x/y.flow.yaml`) */
  given?: { flow?: string; input?: Record<string, unknown>; inputFile?: string; set?: Record<string, unknown>; mocks?: Mocks; result?: string }[];
  mocks?: Mocks;
  expect: { result?: string; steps?: string[]; response?: unknown; slots?: Record<string, unknown>; message?: string };
}

type Mocks = Record<string, { throws?: string; writes?: Record<string, unknown>; exit?: string }>;

export interface FlowTestFile {
  file: string;
  /** absolute path of the flow under test */
  flowFile: string;
  cases: FlowTestCase[];
}

export interface FlowTestResult {
  name: string;
  ok: boolean;
  problems: string[];
  result: string;
  steps: string[];
}

const CASE_KEYS = new Set(['name', 'input', 'inputFile', 'set', 'given', 'mocks', 'expect']);
const EXPECT_KEYS = new Set(['result', 'steps', 'response', 'slots', 'message']);
const MOCK_KEYS = new Set(['throws', 'writes', 'exit']);

export function flowTestFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.flow.test.yaml')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Reads and lints one flow test file against the loaded flows (mocks and steps must name real step ids). */
export function loadFlowTest(file: string, flows: Flow[], problems: Problems): FlowTestFile | undefined {
  const src = loadYamlSource(file, problems);
  if (!src) return undefined;
  const d = src.data as { flow?: unknown; cases?: unknown };
  const bad = (at: (string | number)[], detail: string) => problems.add(src.loc(at), 'FLOW_TEST_BAD', at.join('.'), { detail });
  if (!d || typeof d !== 'object') return bad([], '文件为空'), undefined;
  for (const k of Object.keys(d)) if (k !== 'flow' && k !== 'cases') bad([k], `未知的键 “${k}”`);
  const flowFile = path.resolve(path.dirname(file), typeof d.flow === 'string' ? d.flow : path.basename(file).replace('.flow.test.yaml', '.flow.yaml'));
  const flow = flows.find((f) => path.resolve(f.file) === flowFile);
  if (!flow) return bad(['flow'], `没有流程 ${path.basename(flowFile)}（或它有错误）`), undefined;
  if (!Array.isArray(d.cases) || !d.cases.length) return bad(['cases'], '至少需要一个用例'), undefined;
  const ids = new Set(flow.steps.map((s) => s.id));
  const cases: FlowTestCase[] = [];
  d.cases.forEach((c: Record<string, unknown>, i: number) => {
    const at = ['cases', i];
    if (!c || typeof c !== 'object' || typeof c.name !== 'string') return bad(at, '用例需要 name');
    for (const k of Object.keys(c)) if (!CASE_KEYS.has(k)) bad([...at, k], `未知的键 “${k}”`);
    if (!c.input && !c.inputFile) bad(at, '用例需要 input 或 inputFile');
    if (c.inputFile && !existsSync(path.resolve(path.dirname(file), String(c.inputFile)))) bad([...at, 'inputFile'], `文件不存在：${String(c.inputFile)}`);
    const expect = (c.expect ?? {}) as Record<string, unknown>;
    if (!c.expect) bad(at, '用例需要 expect');
    for (const k of Object.keys(expect)) if (!EXPECT_KEYS.has(k)) bad([...at, 'expect', k], `未知的键 “${k}”`);
    if (expect.result !== undefined && !(String(expect.result) in HIS_CODES)) bad([...at, 'expect', 'result'], `结果码 ${String(expect.result)} 不在代码表中`);
    for (const [j, s] of ((expect.steps as unknown[]) ?? []).entries())
      if (!ids.has(String(s))) problems.add(src.loc([...at, 'expect', 'steps', j]), 'FLOW_TEST_UNKNOWN_STEP', `cases[${i}]`, { step: String(s) });
    for (const [stepId, m] of Object.entries((c.mocks ?? {}) as Record<string, Record<string, unknown>>)) {
      if (!ids.has(stepId)) problems.add(src.loc([...at, 'mocks', stepId], true), 'FLOW_TEST_UNKNOWN_STEP', `cases[${i}]`, { step: stepId });
      for (const k of Object.keys(m ?? {})) if (!MOCK_KEYS.has(k)) bad([...at, 'mocks', stepId, k], `未知的键 “${k}”（可用：throws、writes、exit）`);
      if (m?.throws !== undefined && !(String(m.throws) in HIS_CODES)) bad([...at, 'mocks', stepId, 'throws'], `结果码 ${String(m.throws)} 不在代码表中`);
    }
    for (const [j, g] of ((c.given as Record<string, unknown>[] | undefined) ?? []).entries()) {
      if (typeof g.flow !== 'string') continue;
      const gf = path.resolve(path.dirname(file), g.flow);
      if (!flows.some((f) => path.resolve(f.file) === gf)) bad([...at, 'given', j, 'flow'], `没有流程 ${g.flow}（或它有错误）`);
    }
    cases.push({ ...(c as unknown as FlowTestCase), loc: src.loc(at), expect: expect as FlowTestCase['expect'] });
  });
  return { file, flowFile, cases };
}

/** A FlowError with a code's class and its first message, as a mock throws it. */
export function mockError(code: string): FlowError {
  const spec = HIS_CODES[code as HisCode];
  const first = Object.values(spec.messages as Record<string, string>)[0] ?? spec.title;
  return new FlowError(spec.class === 'Ok' ? 'Internal' : spec.class, code, `${first.replace(/\{\w+\}/g, '…')}（模拟）`);
}

function inputOf(file: string, c: { input?: Record<string, unknown>; inputFile?: string; set?: Record<string, unknown> }, fallback?: Record<string, unknown>): Record<string, unknown> {
  const base = c.inputFile ? (JSON.parse(readFileSync(path.resolve(path.dirname(file), c.inputFile), 'utf8')) as Record<string, unknown>) : structuredClone(c.input ?? fallback ?? {});
  return { ...base, ...(c.set ?? {}) };
}

/** Subset match; a string "/re/" in `expected` matches by regex. Returns the first difference, if any. */
export function mismatch(actual: unknown, expected: unknown, at = ''): string | undefined {
  if (typeof expected === 'string' && /^\/.*\/$/s.test(expected) && expected.length > 1) {
    return typeof actual === 'string' && new RegExp(expected.slice(1, -1), 'u').test(actual) ? undefined : `${at || '(值)'}: ${JSON.stringify(actual)} 不匹配 ${expected}`;
  }
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    if (!actual || typeof actual !== 'object') return `${at || '(值)'}: 应为对象，实际 ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      const d = mismatch((actual as Record<string, unknown>)[k], v, at ? `${at}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${at}: 应为 ${expected.length} 项的数组，实际 ${JSON.stringify(actual)?.slice(0, 200)}`;
    for (let i = 0; i < expected.length; i++) {
      const d = mismatch(actual[i], expected[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  return isDeepStrictEqual(actual, expected) ? undefined : `${at || '(值)'}: 实际 ${JSON.stringify(actual)}，应为 ${JSON.stringify(expected)}`;
}

function overridesOf(mocks: Mocks | undefined): Map<string, StepOverride> {
  return new Map(Object.entries(mocks ?? {}).map(([id, m]) => [id, { throws: m.throws ? mockError(m.throws) : undefined, writes: m.writes, exit: m.exit }]));
}

async function runOnce(flow: Flow, services: Services, input: Record<string, unknown>, overrides: Map<string, StepOverride>, appid: string): Promise<{ run: FlowRun; error?: FlowError }> {
  const run = newRun(flow, input, {
    msg: { id: `FLOWTEST${Date.now().toString(36).toUpperCase()}`, channel: 'flow-test', serviceId: flow.trigger.service ?? flow.name, appid, receivedAt: Date.now(), busNo: typeof input.busNo === 'string' ? input.busNo : undefined },
    services,
    log: log(),
    finally: [],
    dryRun: false,
  });
  try {
    await runFlow(flow, run, { overrides });
    return { run };
  } catch (e) {
    return { run, error: asFlowError(e) };
  }
}

export async function runFlowTestCase(t: FlowTestFile, c: FlowTestCase, flows: Flow[], services: Services, appid: string): Promise<FlowTestResult> {
  const byFile = (f: string) => flows.find((x) => path.resolve(x.file) === path.resolve(path.dirname(t.file), f));
  const flow = byFile(t.flowFile)!;
  for (const g of c.given ?? []) {
    const gFlow = g.flow ? byFile(g.flow) : flow;
    if (!gFlow) return { name: c.name, ok: false, problems: [`given 的流程 ${g.flow} 不存在`], result: '', steps: [] };
    // A given without its own input starts from the case's input before the case's `set`.
    const r = await runOnce(gFlow, services, inputOf(t.file, g, inputOf(t.file, { ...c, set: undefined })), overridesOf(g.mocks), appid);
    const got = r.error?.code ?? 'S0000';
    if (got !== (g.result ?? 'S0000')) return { name: c.name, ok: false, problems: [`given 请求结果 ${got}（${r.error?.message ?? '成功'}），应为 ${g.result ?? 'S0000'}`], result: got, steps: [] };
  }
  const { run, error } = await runOnce(flow, services, inputOf(t.file, c), overridesOf(c.mocks), appid);
  const result = error ? error.code : 'S0000';
  const steps = run.trace.filter((e) => !e.skipped).map((e) => e.step);
  const problems: string[] = [];
  const x = c.expect;
  if (x.result !== undefined && x.result !== result) problems.push(`结果码 ${result}（${error?.message ?? '成功'}），应为 ${x.result}`);
  if (x.steps && !isDeepStrictEqual(steps, x.steps)) problems.push(`经过的步骤 [${steps.join(', ')}]，应为 [${x.steps.join(', ')}]`);
  if (x.message !== undefined) {
    const d = mismatch(error?.message, x.message, 'message');
    if (d) problems.push(d);
  }
  if (x.response !== undefined) {
    const d = mismatch(run.ctx.response, x.response, 'response');
    if (d) problems.push(d);
  }
  if (x.slots) {
    const d = mismatch(slotObject(flow, run), x.slots, 'slots');
    if (d) problems.push(d);
  }
  return { name: c.name, ok: problems.length === 0, problems, result, steps };
}
