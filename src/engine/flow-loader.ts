/**
 * Flow files (flows/<area>/<name>.flow.yaml): an ordered list of steps, each a map with exactly one
 * kind key plus the shared keys id/when/timeout/note/reads/writes (docs/reference/flow-format.md).
 * Loaded, checked and compiled once; every problem of every step is collected at file:line:col with a
 * stable code, then flow-check.ts proves the data path and the ordering rules on every path.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import jsonata from 'jsonata';
import { durationMs } from '../config';
import type { Catalogue } from './catalogue';
import { suggestionHint } from './codes';
import { CheckBinding, checkFlow, CheckStep } from './flow-check';
import { suggest, type Loc, type Problems } from './lint';
import type { Mapping } from './mapping';
import { STEP_KINDS } from './registry';
import { INPUT_SLOT, PortMap, PortSpec, SlotType } from './slots';
import type { AnyStepKind, PrepareEnv, StepHandler } from './step';
import { loadYamlSource, YamlSource } from './yaml-source';

export const FLOW_FORMAT_VERSION = 2;

export interface SlotBinding {
  port: string;
  slot: string;
  /** index into the run's slot array */
  index: number;
}

export interface FlowStep {
  id: string;
  kind: string;
  loc: Loc;
  timeoutMs?: number;
  when?: (slots: Record<string, unknown>) => Promise<boolean>;
  run: StepHandler;
  simulate?: StepHandler;
  atomic: boolean;
  terminal: boolean;
  reads: SlotBinding[];
  writes: SlotBinding[];
  /** write ports set on "next" */
  nextWrites: Set<string>;
  /** named exits: target step index and the write ports they set */
  exits: Map<string, { target: number; writes: Set<string> }>;
}

export interface FlowRecovery {
  resumeAt: number;
  restore: { index: number; source: RestoreSource }[];
}

/** What recovery can restore from a reservation row: the row, its settlement, its request hash. */
export const RESTORE_SOURCES = { reservation: 'Reservation', 'reservation.settlement': 'Settlement', 'reservation.requestHash': 'RequestHash' } as const;
export type RestoreSource = keyof typeof RESTORE_SOURCES;

export interface Flow {
  name: string;
  file: string;
  version: string;
  trigger: { channel?: string; service?: string; schedule?: string; match?: Record<string, string> };
  /** HL7 flows: the version they read (MSH-12); a message of another version is refused */
  hl7?: { version: string };
  deadlineMs: number;
  steps: FlowStep[];
  /** slot names by index; index 0 is `input` */
  slots: string[];
  /** indexes of the slots that hold a reservation (what a failed answer marks, see inbound.ts) */
  reservationSlots: number[];
  recovery?: FlowRecovery;
}

/** What a flow is checked against: the other definitions it refers to. */
export interface FlowDefs {
  catalogue: Catalogue;
  mappings: Map<string, Mapping>;
  /** outbox topics some handler delivers */
  topics: Set<string>;
}

const SHARED_KEYS = new Set(['id', 'when', 'timeout', 'note', 'reads', 'writes']);
const TOP_KEYS = new Set(['version', 'flow', 'description', 'trigger', 'deadline', 'recovery', 'steps', 'hl7']);
/** Channels with flows of their own: `his` (JSON and SOAP, by catalogue serviceId), HL7 v2 (by message type) and hospital XML (by action). */
export const FLOW_CHANNELS = ['his', 'hl7', 'hospital-xml'] as const;
/** An HL7 field reference of trigger.match: segment-field[.component[.subcomponent]]. */
export const HL7_FIELD_REF = /^[A-Z][A-Z0-9]{2}-\d+(\.\d+){0,2}$/;
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
const validators = new Map<string, ReturnType<typeof ajv.compile>>();
const optionsValidator = (k: AnyStepKind) => {
  let v = validators.get(k.kind);
  if (!v) validators.set(k.kind, (v = ajv.compile(k.optionsSchema)));
  return v;
};

export { suggest };

const IDENT = /^[A-Za-z_]\w*$/;

/** The ports a kind declares for these options (undefined when a referenced mapping is missing). */
function portsOf(k: AnyStepKind, which: 'reads' | 'writes', options: Record<string, unknown>, defs: FlowDefs): PortMap | undefined {
  const p = k[which];
  return typeof p === 'function' ? p(options as never, { mappings: defs.mappings }) : p;
}

interface Bound {
  port: string;
  slot: string;
  spec: PortSpec;
  loc: Loc;
}

/**
 * Binds a step's `reads:`/`writes:` list to its kind's ports: a kind with a single free port binds any
 * one name; otherwise each name is a port name. Required ports must be listed — the flow shows them.
 */
function bindPorts(src: YamlSource, problems: Problems, at: (string | number)[], label: string, kindName: string, which: 'reads' | 'writes', ports: PortMap, listed: unknown): Bound[] {
  const direction = which === 'reads' ? '读取（reads）' : '写入（writes）';
  const names: { name: string; loc: Loc }[] = [];
  let invalid = 0;
  if (listed !== undefined) {
    if (!Array.isArray(listed) || listed.some((n) => typeof n !== 'string')) {
      problems.add(src.loc([...at, which]), 'FLOW_BAD_OPTION', label, { path: which, detail: '应为值名列表，如 [settlement, requestHash]' });
      return [];
    }
    (listed as string[]).forEach((n, j) => {
      const loc = src.loc([...at, which, j]);
      if (!IDENT.test(n)) problems.add(loc, 'FLOW_SLOT_NAME', label, { slot: n });
      else if (which === 'writes' && n === INPUT_SLOT) problems.add(loc, 'FLOW_SLOT_RESERVED', label, { slot: n });
      else names.push({ name: n, loc });
      if (names[names.length - 1]?.name !== n) invalid++;
    });
  }
  const entries = Object.entries(ports);
  const out: Bound[] = [];
  if (entries.length === 1 && entries[0][1].free) {
    const [port, spec] = entries[0];
    if (names.length === 1) return [{ port, slot: names[0].name, spec, loc: names[0].loc }];
    if (names.length === 0 && !invalid && !spec.optional)
      problems.add(src.loc([...at, listed === undefined ? kindName : which]), 'FLOW_MISSING_PORT', label, { kind: kindName, direction, port: `<值名>`, type: spec.type }, `例如 ${which}: [${which === 'reads' ? 'input' : 'result'}]`);
    for (const extra of names.slice(1)) problems.add(extra.loc, 'FLOW_UNKNOWN_PORT', label, { kind: kindName, direction, port: extra.name }, `${kindName} 只${which === 'reads' ? '读取' : '写入'}一个值`);
    return out;
  }
  const seen = new Set<string>();
  for (const n of names) {
    const spec = ports[n.name];
    if (!spec) {
      problems.add(n.loc, 'FLOW_UNKNOWN_PORT', label, { kind: kindName, direction, port: n.name }, suggestionHint(suggest(n.name, Object.keys(ports)), Object.keys(ports)));
      continue;
    }
    seen.add(n.name);
    out.push({ port: n.name, slot: n.name, spec, loc: n.loc });
  }
  for (const [port, spec] of entries)
    if (!spec.optional && !seen.has(port))
      problems.add(src.loc([...at, listed === undefined ? kindName : which]), 'FLOW_MISSING_PORT', label, { kind: kindName, direction, port, type: spec.type });
  return out;
}

interface Draft {
  id: string;
  kind: AnyStepKind;
  options: Record<string, unknown>;
  at: (string | number)[];
  label: string;
  loc: Loc;
  timeoutMs?: number;
  whenSrc?: jsonata.Expression;
  reads: Bound[];
  writes: Bound[];
  gotos: { exit: string; target: string; loc: Loc; writes: Set<string> }[];
}

/**
 * Loads one flow, adding every problem to `problems`. Returns the compiled flow, or undefined when it
 * has errors (a flow with errors never runs).
 */
export function loadFlow(file: string, defs: FlowDefs, problems: Problems): Flow | undefined {
  const before = problems.errors.length;
  const text = readFileSync(file, 'utf8');
  const src = loadYamlSource(file, problems, text);
  if (!src) return undefined;
  const data = src.data as Record<string, unknown>;
  const name = path.basename(file).replace(/\.flow\.yaml$/, '');
  const top = src.loc([]);
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    problems.add(top, 'FLOW_EMPTY', '', {});
    return undefined;
  }
  for (const k of Object.keys(data))
    if (!TOP_KEYS.has(k)) problems.add(src.loc([k], true), 'FLOW_UNKNOWN_KEY', k, { key: k }, suggestionHint(suggest(k, TOP_KEYS)));
  if (data.version !== FLOW_FORMAT_VERSION)
    problems.add(src.loc(['version']), 'FLOW_VERSION', 'version', { version: String(FLOW_FORMAT_VERSION) }, data.version === 1 ? '版本 1 的流程没有 reads/writes：按 docs/reference/flow-format.md 为每个步骤列出读写的值' : undefined);
  const qualified = `${path.basename(path.dirname(file))}-${name}`;
  if (data.flow !== name && data.flow !== qualified) problems.add(src.loc(['flow']), 'FLOW_NAME', 'flow', { expected: qualified });
  const trigger = (data.trigger ?? {}) as Flow['trigger'];
  if (typeof trigger !== 'object' || (!trigger.service && !trigger.schedule)) problems.add(src.loc(['trigger']), 'FLOW_TRIGGER', 'trigger', {});
  const channel = typeof trigger === 'object' ? (trigger.channel ?? 'his') : 'his';
  if (channel === 'his' && trigger.service && !defs.catalogue.services.has(trigger.service))
    problems.add(src.loc(['trigger', 'service']), 'FLOW_UNKNOWN_SERVICE', 'trigger.service', { service: trigger.service }, suggestionHint(suggest(trigger.service, defs.catalogue.services.keys())));
  const hl7 = checkChannel(src, problems, trigger, data.hl7, channel);
  let deadlineMs = 8000;
  if (data.deadline !== undefined) {
    try {
      deadlineMs = durationMs(data.deadline as string);
    } catch (e) {
      problems.add(src.loc(['deadline']), 'FLOW_DURATION', 'deadline', { detail: (e as Error).message });
    }
  }
  const rawSteps = data.steps;
  if (!Array.isArray(rawSteps) || !rawSteps.length) {
    problems.add(src.loc(['steps']), 'FLOW_NO_STEPS', 'steps', {});
    return undefined;
  }

  const ids = new Map<string, number>();
  const drafts: (Draft | undefined)[] = [];
  (rawSteps as unknown[]).forEach((raw, i) => {
    drafts.push(draftStep(src, problems, defs, raw, i, ids));
  });

  // Gotos resolve once every id is known.
  for (const d of drafts)
    for (const g of d?.gotos ?? []) {
      const to = ids.get(g.target);
      if (to === undefined) problems.add(g.loc, 'FLOW_UNKNOWN_STEP', d!.label, { target: g.target }, suggestionHint(suggest(g.target, ids.keys())));
      else if (to <= drafts.indexOf(d)) problems.add(g.loc, 'FLOW_GOTO_BACKWARD', d!.label, { target: g.target });
    }

  const recovery = readRecovery(src, problems, data.recovery, ids);
  if (problems.errors.length > before || drafts.some((d) => !d)) return undefined;

  // Every step drafted cleanly: prove the data path and the ordering on every path.
  const steps = drafts as Draft[];
  const checkSteps: CheckStep[] = steps.map((d, i) => {
    const binding = (b: Bound): CheckBinding => ({ slot: b.slot, port: b.port, type: b.spec.type, optional: !!b.spec.optional, loc: b.loc });
    const nextWrites = new Set(d.kind.nextWrites ?? d.writes.map((w) => w.port));
    return {
      id: d.id,
      kind: d.kind.kind,
      loc: d.loc,
      hasWhen: !!d.whenSrc,
      terminal: !!d.kind.terminal,
      roles: d.kind.roles ?? [],
      reads: d.reads.map(binding),
      exits: [
        ...(d.kind.terminal ? [] : [{ name: 'next', target: i + 1, writes: d.writes.filter((w) => nextWrites.has(w.port) && !w.spec.optional).map(binding) }]),
        ...d.gotos.map((g) => ({ name: g.exit, target: ids.get(g.target)!, writes: d.writes.filter((w) => g.writes.has(w.port) && !w.spec.optional).map(binding) })),
      ],
    };
  });
  const allocates = steps.findIndex((d) => d.kind.roles?.includes('allocate'));
  if (allocates >= 0 && !recovery) problems.add(steps[allocates].loc, 'FLOW_RECOVERY_MISSING', `steps[${allocates}] (${steps[allocates].id})`, { step: steps[allocates].id });
  if (recovery && allocates < 0) problems.add(src.loc(['recovery']), 'FLOW_RECOVERY', 'recovery', { detail: '流程不取号（没有 allocate 步骤），不需要 recovery' });
  checkFlow(
    checkSteps,
    {
      requestResponse: !!trigger.service,
      flowLoc: src.loc(['steps'], true),
      recovery: recovery && { resumeAt: recovery.resumeAt, loc: src.loc(['recovery']), restore: recovery.restore.map((r) => ({ slot: r.slot, type: RESTORE_SOURCES[r.source] })) },
    },
    problems,
  );
  if (problems.errors.length > before) return undefined;

  // Slots get their indexes; input is 0.
  const slotIndex = new Map<string, number>([[INPUT_SLOT, 0]]);
  const indexOf = (slot: string) => {
    let n = slotIndex.get(slot);
    if (n === undefined) slotIndex.set(slot, (n = slotIndex.size));
    return n;
  };
  for (const d of steps) for (const b of [...d.writes, ...d.reads]) indexOf(b.slot);
  for (const r of recovery?.restore ?? []) indexOf(r.slot);
  const compiled: FlowStep[] = steps.map((d) => {
    const env: PrepareEnv = {
      flow: name,
      stepId: d.id,
      loc: d.loc,
      catalogue: defs.catalogue,
      mappings: defs.mappings,
      topics: defs.topics,
      bound: { reads: new Set(d.reads.map((b) => b.port)), writes: new Set(d.writes.map((b) => b.port)) },
      fail: (code, optionPath, params, hint) => problems.add(src.loc([...d.at, d.kind.kind, ...optionPath]), code, d.label, params as never, hint),
    };
    const whenSrc = d.whenSrc;
    return {
      id: d.id,
      kind: d.kind.kind,
      loc: d.loc,
      timeoutMs: d.timeoutMs,
      when: whenSrc ? async (slots) => Boolean(await whenSrc.evaluate(slots)) : undefined,
      run: d.kind.prepare(d.options as never, env),
      simulate: d.kind.simulate?.(d.options as never, env),
      atomic: !!d.kind.atomic,
      terminal: !!d.kind.terminal,
      reads: d.reads.map((b) => ({ port: b.port, slot: b.slot, index: slotIndex.get(b.slot)! })),
      writes: d.writes.map((b) => ({ port: b.port, slot: b.slot, index: slotIndex.get(b.slot)! })),
      nextWrites: new Set(d.kind.nextWrites ?? d.writes.map((w) => w.port)),
      exits: new Map(d.gotos.map((g) => [g.exit, { target: ids.get(g.target)!, writes: g.writes }])),
    };
  });
  if (problems.errors.length > before) return undefined;
  return {
    name: String(data.flow),
    file,
    version: createHash('sha256').update(text).digest('hex').slice(0, 12),
    trigger,
    hl7,
    deadlineMs,
    steps: compiled,
    slots: [...slotIndex.keys()],
    reservationSlots: [...new Set(steps.flatMap((d) => d.writes.filter((b) => b.spec.type === 'Reservation').map((b) => slotIndex.get(b.slot)!)))],
    recovery: recovery && { resumeAt: recovery.resumeAt, restore: recovery.restore.map((r) => ({ index: slotIndex.get(r.slot)!, source: r.source })) },
  };
}

/**
 * What the HL7 and hospital-XML channels add to a trigger: an HL7 flow names its message type
 * (`service: DFT^P03`), may match field values (`match: { PV1-2: O }`) and pins its version (`hl7:`);
 * a hospital-XML flow names its action. Neither is a catalogue service.
 */
function checkChannel(src: YamlSource, problems: Problems, trigger: Flow['trigger'], hl7: unknown, channel: string): Flow['hl7'] {
  if (typeof trigger !== 'object' || trigger === null) return undefined;
  if (!(FLOW_CHANNELS as readonly string[]).includes(channel)) {
    problems.add(src.loc(['trigger', 'channel']), 'FLOW_TRIGGER', 'trigger.channel', {}, `可用：${FLOW_CHANNELS.join(', ')}`);
    return undefined;
  }
  if (trigger.match !== undefined) {
    const m = trigger.match as unknown;
    if (channel !== 'hl7') problems.add(src.loc(['trigger', 'match']), 'HL7_MATCH', 'trigger.match', { detail: '只有 HL7 流程（trigger.channel: hl7）按字段值匹配' });
    else if (!m || typeof m !== 'object' || Array.isArray(m) || !Object.keys(m).length)
      problems.add(src.loc(['trigger', 'match']), 'HL7_MATCH', 'trigger.match', { detail: 'match 应为 { <字段>: <值> }，如 { PV1-2: O }' });
    else
      for (const [ref, v] of Object.entries(m as Record<string, unknown>)) {
        if (!HL7_FIELD_REF.test(ref)) problems.add(src.loc(['trigger', 'match', ref], true), 'HL7_MATCH', 'trigger.match', { detail: `“${ref}” 不是 HL7 字段引用（段-字段[.组件]，如 PV1-2、FT1-7.1）` });
        else if (typeof v !== 'string' || !v) problems.add(src.loc(['trigger', 'match', ref]), 'HL7_MATCH', 'trigger.match', { detail: `${ref} 的值应为非空文本（加引号，如 "O"）` });
      }
  }
  if (channel === 'hospital-xml' && trigger.service && !/^[A-Za-z0-9._-]{1,60}$/.test(trigger.service))
    problems.add(src.loc(['trigger', 'service']), 'HXML_TRIGGER', 'trigger.service', { detail: `action “${trigger.service}” 应为字母、数字、点、下划线或连字符（至多 60 个）` });
  if (channel !== 'hl7') {
    if (hl7 !== undefined) problems.add(src.loc(['hl7'], true), 'HL7_VERSION', 'hl7', { detail: '只有 HL7 流程（trigger.channel: hl7）固定 HL7 版本' });
    return undefined;
  }
  if (trigger.service && !/^[A-Z0-9]{3}\^[A-Z0-9]{3}$/.test(trigger.service))
    problems.add(src.loc(['trigger', 'service']), 'HL7_MATCH', 'trigger.service', { detail: `HL7 流程的 service 应为消息类型^触发事件（MSH-9），如 DFT^P03，收到 “${trigger.service}”` });
  const v = (hl7 as { version?: unknown } | undefined)?.version;
  if (hl7 === undefined) problems.add(src.loc(['trigger']), 'HL7_VERSION', 'hl7', { detail: 'HL7 流程必须固定它解读的 HL7 版本（MSH-12）：FT1 等段的字段位置随版本而变' });
  else if (typeof hl7 !== 'object' || Object.keys(hl7 as object).some((k) => k !== 'version') || typeof v !== 'string' || !/^2\.\d+(\.\d+)?$/.test(v))
    problems.add(src.loc(['hl7']), 'HL7_VERSION', 'hl7', { detail: 'hl7 应为 { version: "2.x" }，版本号加引号（不加引号的 2.50 会被读成数字 2.5）' });
  else return { version: v };
  return undefined;
}

function draftStep(src: YamlSource, problems: Problems, defs: FlowDefs, raw: unknown, i: number, ids: Map<string, number>): Draft | undefined {
  const at = ['steps', i];
  const loc = src.loc(at);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add(loc, 'FLOW_STEP_TYPE', `steps[${i}]`, {});
    return undefined;
  }
  const step = raw as Record<string, unknown>;
  const id = step.id;
  const label = `steps[${i}]${typeof id === 'string' ? ` (${id})` : ''}`;
  let ok = true;
  if (typeof id !== 'string' || !/^[a-z][a-z0-9-]*$/.test(id)) {
    problems.add(src.loc([...at, 'id']), 'FLOW_STEP_ID', label, {});
    ok = false;
  } else if (ids.has(id)) {
    problems.add(src.loc([...at, 'id']), 'FLOW_DUPLICATE_ID', label, { id, first: `steps[${ids.get(id)}]` });
    ok = false;
  } else ids.set(id, i);
  const kinds = Object.keys(step).filter((k) => !SHARED_KEYS.has(k));
  const known = kinds.filter((k) => STEP_KINDS.has(k));
  for (const k of kinds.filter((x) => !STEP_KINDS.has(x))) {
    // One unknown key beside a real kind is a misspelt shared key; alone it is a misspelt kind.
    const code = known.length ? 'FLOW_UNKNOWN_KEY' : 'FLOW_UNKNOWN_KIND';
    const s = suggest(k, known.length ? SHARED_KEYS : STEP_KINDS.keys());
    if (code === 'FLOW_UNKNOWN_KEY') problems.add(src.loc([...at, k], true), code, label, { key: k }, suggestionHint(s));
    else problems.add(src.loc([...at, k], true), code, label, { kind: k }, suggestionHint(s, STEP_KINDS.keys()));
  }
  if (known.length !== 1) {
    if (known.length > 1 || kinds.length === 0) problems.add(loc, 'FLOW_STEP_KIND', label, { found: kinds.join(', ') || '（无）' }, `可用：${[...STEP_KINDS.keys()].join(', ')}`);
    return undefined;
  }
  const kindName = known[0];
  const kind = STEP_KINDS.get(kindName)!;
  const options = (step[kindName] ?? {}) as Record<string, unknown>;
  const validate = optionsValidator(kind);
  if (!validate(options)) {
    ok = false;
    // A misspelt option explains the "missing required" one beside it: report only the misspelling.
    const misspeltAt = new Set((validate.errors ?? []).filter((e) => e.keyword === 'additionalProperties').map((e) => e.instancePath));
    for (const e of validate.errors ?? []) {
      if (e.keyword === 'required' && misspeltAt.has(e.instancePath)) continue;
      const p = e.instancePath.split('/').filter(Boolean);
      if (e.keyword === 'additionalProperties') {
        const extra = String((e.params as { additionalProperty: string }).additionalProperty);
        problems.add(src.loc([...at, kindName, ...p, extra], true), 'FLOW_UNKNOWN_OPTION', label, { kind: kindName, option: extra }, suggestionHint(suggest(extra, Object.keys((kind.optionsSchema.properties as object) ?? {}))));
      } else if (e.keyword !== 'oneOf' || validate.errors!.length === 1)
        problems.add(src.loc([...at, kindName, ...p]), 'FLOW_BAD_OPTION', label, { path: [kindName, ...p].join('.'), detail: e.message ?? '无效' });
    }
  }
  let timeoutMs: number | undefined;
  if (step.timeout !== undefined) {
    try {
      timeoutMs = durationMs(step.timeout as string);
    } catch (e) {
      problems.add(src.loc([...at, 'timeout']), 'FLOW_DURATION', label, { detail: (e as Error).message });
      ok = false;
    }
  }
  let whenSrc: jsonata.Expression | undefined;
  if (step.when !== undefined) {
    try {
      whenSrc = jsonata(String(step.when));
    } catch (e) {
      problems.add(src.loc([...at, 'when']), 'FLOW_EXPR_SYNTAX', label, { detail: (e as Error).message });
      ok = false;
    }
  }
  if (!ok) return undefined;
  // A mapping whose own file is unreadable is reported there; the step cannot be checked further.
  const used = typeof options.mapping === 'string' ? defs.mappings.get(options.mapping) : undefined;
  if (used?.broken && !used.broken.ioKnown) return undefined;
  const readPorts = portsOf(kind, 'reads', options, defs);
  const writePorts = portsOf(kind, 'writes', options, defs);
  if (!readPorts || !writePorts) {
    // A missing mapping decides the ports: report it the way prepare would, then give up on the step.
    const m = String(options.mapping ?? '');
    problems.add(src.loc([...at, kindName, 'mapping']), 'FLOW_UNKNOWN_MAPPING', label, { mapping: m }, suggestionHint(suggest(m, defs.mappings.keys())));
    return undefined;
  }
  const reads = bindPorts(src, problems, at, label, kindName, 'reads', readPorts, step.reads);
  const writes = bindPorts(src, problems, at, label, kindName, 'writes', writePorts, step.writes);
  const gotos: Draft['gotos'] = [];
  for (const exit of kind.exits ?? []) {
    const optPath = exit.option.split('.');
    const target = optPath.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], options);
    if (typeof target === 'string') gotos.push({ exit: optPath[0], target, loc: src.loc([...at, kindName, ...optPath]), writes: new Set(exit.writes) });
  }
  return { id: id as string, kind, options, at, label, loc, timeoutMs, whenSrc, reads, writes, gotos };
}

function readRecovery(src: YamlSource, problems: Problems, raw: unknown, ids: Map<string, number>): { resumeAt: number; restore: { slot: string; source: RestoreSource }[] } | undefined {
  if (raw === undefined) return undefined;
  const r = raw as { resumeAt?: unknown; restore?: unknown };
  const bad = (at: string[], detail: string, hint?: string) => problems.add(src.loc(['recovery', ...at]), 'FLOW_RECOVERY', ['recovery', ...at].join('.'), { detail }, hint);
  if (!r || typeof r !== 'object') return bad([], '应为 { resumeAt: <步骤 id>, restore: { <值名>: <来源> } }'), undefined;
  for (const k of Object.keys(r)) if (k !== 'resumeAt' && k !== 'restore') bad([k], `未知的键 “${k}”`);
  const at = typeof r.resumeAt === 'string' ? ids.get(r.resumeAt) : undefined;
  if (at === undefined) return bad(['resumeAt'], `resumeAt “${String(r.resumeAt)}” 不是本流程的步骤 id`, suggestionHint(suggest(String(r.resumeAt), ids.keys()))), undefined;
  const restore: { slot: string; source: RestoreSource }[] = [];
  const given = (r.restore ?? {}) as Record<string, unknown>;
  if (typeof given !== 'object' || Array.isArray(given)) return bad(['restore'], 'restore 应为 { <值名>: <来源> }'), undefined;
  for (const [slot, source] of Object.entries(given)) {
    if (!IDENT.test(slot) || slot === INPUT_SLOT) bad(['restore', slot], `值名 “${slot}” 不能恢复`);
    else if (typeof source !== 'string' || !(source in RESTORE_SOURCES))
      bad(['restore', slot], `来源 “${String(source)}” 无效`, `可用：${Object.keys(RESTORE_SOURCES).join(', ')}`);
    else restore.push({ slot, source: source as RestoreSource });
  }
  // Whether the restored values are what the steps from resumeAt on read, flow-check proves.
  return { resumeAt: at, restore };
}

export function flowFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.flow.yaml')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Slot types a flow's restore sources give, for tests and docs. */
export const restoreType = (s: RestoreSource): SlotType => RESTORE_SOURCES[s];
