/**
 * The conformance file format (test/conformance/<serviceId>.yaml, described in test/conformance/README.md):
 * reading and checking a file, resolving its {{templates}}, and judging an answer against `expect`.
 * Pure (no server): run.test.ts drives it over JSON and SOAP.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { stamp17 as beijingStamp17 } from '../../src/domain/time';

/** Fixtures a file may ask for; each is prepared fresh before a case that needs it. */
export const FIXTURES = ['bill', 'paperBill', 'batch', 'redBill', 'heldRange', 'storeRange', 'hisPush', 'accountSheet', 'inpatientBill', 'arrearsBill', 'voucher', 'voucherPaper'] as const;
export type FixtureName = (typeof FIXTURES)[number];
export type Values = Record<string, unknown>;

export interface Expect {
  code: string;
  /** exact value, "/regex/", or (for an object answer) a map of key → exact or /regex/ */
  message?: unknown;
  /** the Chinese message must name this field (its key, or its catalogue title) */
  field?: string;
}

export interface Case {
  name: string;
  data: Values;
  expect: Expect;
  /** fixtures this case needs beyond the file's (`needs:` inside the case) */
  needs?: FixtureName[];
  /** the happy request is sent first, on the same fixtures, and must succeed (a repeat, a second use) */
  first?: boolean;
}

/** A case's fixtures: the file's, then the case's own (each once, in that order). */
export function needsOf(cf: Pick<ConformanceFile, 'needs'>, c: Pick<Case, 'needs'>): FixtureName[] {
  return [...new Set([...cf.needs, ...(c.needs ?? [])])];
}

export interface ConformanceFile {
  file: string;
  service: string;
  needs: FixtureName[];
  happy: Case;
  bad: Case[];
}

/** The key that, in a bad case's data, stands for "every field of the happy data" (`{ ..., billNo: x }`). */
export const INHERIT = '...';

const isObject = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and checks one file; every problem is listed (the runner reports them as one failed test). */
export function readConformanceFile(file: string, expectedService: string): { ok: true; value: ConformanceFile } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { ok: false, problems: [`not YAML: ${(e as Error).message}`] };
  }
  if (!isObject(doc)) return { ok: false, problems: ['the file must be a mapping with service, happy, bad'] };
  if (doc.service !== expectedService) problems.push(`service: must be ${expectedService} (the file name), found ${JSON.stringify(doc.service)}`);
  const readNeeds = (v: unknown, where: string): FixtureName[] => {
    const list = v === undefined ? [] : v;
    if (Array.isArray(list) && list.every((n) => (FIXTURES as readonly string[]).includes(String(n)))) return list as FixtureName[];
    problems.push(`${where}: a list of ${FIXTURES.join(', ')}; found ${JSON.stringify(v)}`);
    return [];
  };
  const needs = readNeeds(doc.needs, 'needs');
  const readCase = (c: unknown, where: string, named: boolean): Case | undefined => {
    if (!isObject(c)) return void problems.push(`${where}: must be a mapping with data and expect`);
    if (named && (typeof c.name !== 'string' || !c.name)) problems.push(`${where}.name: required (a Chinese description of the bad input)`);
    if (!isObject(c.data)) problems.push(`${where}.data: must be a mapping (the business request)`);
    const e = c.expect;
    if (!isObject(e) || typeof e.code !== 'string' || !/^[SE]\d{4}$/.test(e.code)) problems.push(`${where}.expect.code: required, a result code such as S0000 or E1001`);
    else if (e.field !== undefined && typeof e.field !== 'string') problems.push(`${where}.expect.field: must be a field name`);
    if (named && isObject(c.data) && INHERIT in c.data && c.data[INHERIT] !== null) problems.push(`${where}.data: "${INHERIT}" takes no value`);
    if (c.first !== undefined && (!named || typeof c.first !== 'boolean')) problems.push(`${where}.first: ${named ? 'true or false' : 'only a bad case may send the happy request first'}`);
    const keys = named ? ['name', 'data', 'expect', 'needs', 'first'] : ['data', 'expect', 'needs'];
    for (const k of Object.keys(c)) if (!keys.includes(k)) problems.push(`${where}.${k}: unknown key (allowed: ${keys.join(', ')})`);
    const own = readNeeds(c.needs, `${where}.needs`);
    return { name: named ? String(c.name) : 'happy', data: (c.data ?? {}) as Values, expect: (e ?? { code: '' }) as Expect, ...(own.length ? { needs: own } : {}), ...(c.first === true ? { first: true } : {}) };
  };
  const happy = readCase(doc.happy, 'happy', false);
  if (happy && isObject(doc.happy) && isObject(doc.happy.data) && INHERIT in doc.happy.data) problems.push(`happy.data: "${INHERIT}" is for bad cases`);
  if (!Array.isArray(doc.bad) || doc.bad.length < 2) problems.push('bad: at least two bad inputs');
  const bad = (Array.isArray(doc.bad) ? doc.bad : []).map((c, i) => readCase(c, `bad[${i}]`, true));
  for (const k of Object.keys(doc)) if (!['service', 'needs', 'happy', 'bad'].includes(k)) problems.push(`${k}: unknown key (allowed: service, needs, happy, bad)`);
  if (problems.length || !happy) return { ok: false, problems };
  return { ok: true, value: { file, service: expectedService, needs, happy, bad: bad as Case[] } };
}

/** yyyyMMddHHmmssSSS in local time, as HIS send busDateTime. */
/** yyyyMMddHHmmssSSS in Beijing time, as a HIS sends it (the machine's own zone would cross midnight 8 hours apart from the bills). */
export function stamp17(d = new Date()): string {
  return beijingStamp17(d.getTime());
}

/**
 * Template values of one case: {{now}}, {{today}}, {{uuid}} (one fresh busNo per case, the same at each
 * use inside it) and {{fixture.field}}.
 */
export function caseValues(fixtures: Partial<Record<FixtureName, Values>>): Values {
  const now = new Date();
  return {
    now: stamp17(now),
    today: stamp17(now).replace(/^(\d{4})(\d{2})(\d{2}).*/, '$1-$2-$3'),
    uuid: `CF${randomUUID().replace(/-/g, '').slice(0, 30)}`,
    ...fixtures,
  };
}

function lookup(values: Values, dotted: string): unknown {
  let cur: unknown = values;
  for (const k of dotted.split('.')) {
    if (!isObject(cur) || !(k in cur)) throw new Error(`template {{${dotted}}} names nothing (known: now, today, uuid, ${FIXTURES.join(', ')} fields)`);
    cur = cur[k];
  }
  return cur;
}

const TEMPLATE = /\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}\}/g;

/** Replaces templates everywhere; a string that is one template takes the value as it is. */
export function resolve(v: unknown, values: Values): unknown {
  if (typeof v === 'string') {
    const whole = /^\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}\}$/.exec(v);
    if (whole) return lookup(values, whole[1]);
    return v.replace(TEMPLATE, (_m, k: string) => String(lookup(values, k)));
  }
  if (Array.isArray(v)) return v.map((x) => resolve(x, values));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, values)]));
  return v;
}

/**
 * A case's request: its data with templates resolved; `...` inherits the happy data, and then a key
 * set to null (`billNo: ~`) is left out — a missing field.
 */
export function requestOf(c: Case, happy: Case, values: Values): Values {
  if (!(INHERIT in c.data)) return resolve(c.data, values) as Values;
  const out = { ...(resolve(happy.data, values) as Values) };
  for (const [k, v] of Object.entries(c.data)) {
    if (k === INHERIT) continue;
    if (v === null) delete out[k];
    else out[k] = resolve(v, values);
  }
  return out;
}

/** "/…/" → RegExp; anything else is compared exactly (as text: YAML numbers match their digits). */
function matches(expected: unknown, actual: unknown): boolean {
  if (typeof expected === 'string' && expected.length > 1 && expected.startsWith('/') && expected.endsWith('/'))
    // Numbers are matched as their text, lists and objects as their JSON (so /0601/ finds a code in a list).
    return actual !== undefined && actual !== null && new RegExp(expected.slice(1, -1)).test(typeof actual === 'object' ? JSON.stringify(actual) : String(actual));
  if (isObject(expected) || Array.isArray(expected)) return JSON.stringify(expected) === JSON.stringify(actual);
  return actual !== undefined && actual !== null && String(expected) === String(actual);
}

export interface Answer {
  result: string;
  /** the decoded message: the business JSON, or the text */
  message: unknown;
}

const CJK = /[\u4e00-\u9fff]/;

/** What is wrong with an answer, or [] when it is as expected. `titles` maps field keys to catalogue titles. */
export function judge(a: Answer, e: Expect, titles: Map<string, string>): string[] {
  const bad: string[] = [];
  const shown = typeof a.message === 'string' ? a.message : JSON.stringify(a.message);
  if (a.result !== e.code) bad.push(`result ${a.result}, expected ${e.code}: ${String(shown).slice(0, 300)}`);
  if (e.code !== 'S0000' && a.result !== 'S0000') {
    if (typeof a.message !== 'string' || !CJK.test(a.message)) bad.push(`a refusal must explain itself in Chinese, got ${String(shown).slice(0, 200)}`);
    if (/\bat \S+ \(|\/(?:work|home|usr|tmp)\/|node:internal|:\d{4,5}\b/.test(String(a.message))) bad.push(`the message leaks internals: ${String(shown).slice(0, 200)}`);
  }
  if (e.field !== undefined) {
    const title = titles.get(e.field);
    const text = String(a.message);
    if (!text.includes(e.field) && !(title && text.includes(title))) bad.push(`the message must name the field ${e.field}${title ? `（${title}）` : ''}: ${text.slice(0, 300)}`);
  }
  if (e.message !== undefined) {
    if (isObject(e.message)) {
      if (!isObject(a.message)) bad.push(`message should be an object with ${Object.keys(e.message).join(', ')}, got ${String(shown).slice(0, 200)}`);
      else for (const [k, v] of Object.entries(e.message)) if (!matches(v, a.message[k])) bad.push(`message.${k} = ${JSON.stringify(a.message[k])}, expected ${String(v)}`);
    } else if (!matches(e.message, a.message)) bad.push(`message ${String(shown).slice(0, 200)}, expected ${String(e.message)}`);
  }
  return bad;
}
