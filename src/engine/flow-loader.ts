/**
 * Flow files (flows/<area>/<name>.flow.yaml): an ordered list of steps, each a map with exactly one
 * kind key plus the shared keys id/when/timeout/note (style-anchors §6). Loaded, schema-checked and
 * compiled once; every problem is reported at file:line:col with a stable code (`medbill validate`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import jsonata from 'jsonata';
import { durationMs } from '../config';
import type { Catalogue } from './catalogue';
import { FUNCTION_BINDINGS } from './functions';
import type { Mapping } from './mapping';
import { IRREVERSIBLE_KINDS, STEP_KINDS } from './registry';
import type { PrepareEnv, RunContext, StepHandler } from './step';
import { LintError, Loc, loadYamlSource } from './yaml-source';

export interface FlowStep {
  id: string;
  kind: string;
  loc: Loc;
  timeoutMs?: number;
  when?: (rc: RunContext) => Promise<boolean>;
  run: StepHandler;
}

export interface Flow {
  name: string;
  file: string;
  version: string;
  trigger: { channel?: string; service?: string; schedule?: string };
  deadlineMs: number;
  steps: FlowStep[];
}

const SHARED_KEYS = new Set(['id', 'when', 'timeout', 'note']);
const TOP_KEYS = new Set(['version', 'flow', 'description', 'trigger', 'deadline', 'steps']);
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });

function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = levenshtein(word, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length][b.length];
}

export function loadFlow(file: string, catalogue: Catalogue, mappings: Map<string, Mapping>): Flow {
  const text = readFileSync(file, 'utf8');
  const src = loadYamlSource(file, text);
  const data = src.data as Record<string, unknown>;
  const name = path.basename(file).replace(/\.flow\.yaml$/, '');
  const fail = (at: (string | number)[], code: string, where: string, msg: string, hint?: string, key = false): never => {
    throw new LintError(src.loc(at, key), code, where, msg, hint);
  };
  if (!data || typeof data !== 'object') fail([], 'FLOW_EMPTY', '', 'flow file is empty');
  for (const k of Object.keys(data)) if (!TOP_KEYS.has(k)) fail([k], 'FLOW_UNKNOWN_KEY', k, `unknown key '${k}'`, suggest(k, TOP_KEYS) ? `did you mean '${suggest(k, TOP_KEYS)}'?` : undefined, true);
  if (data.version !== 1) fail(['version'], 'FLOW_VERSION', 'version', 'version must be 1');
  const qualified = `${path.basename(path.dirname(file))}-${name}`;
  if (data.flow !== name && data.flow !== qualified) fail(['flow'], 'FLOW_NAME', 'flow', `flow must be '${qualified}' or '${name}' (folder-stem or stem)`);
  const trigger = data.trigger as Flow['trigger'] | undefined;
  if (!trigger || typeof trigger !== 'object' || (!trigger.service && !trigger.schedule))
    fail(['trigger'], 'FLOW_TRIGGER', 'trigger', 'trigger needs {channel, service} or {schedule}');
  if (trigger!.service && !catalogue.services.has(trigger!.service))
    fail(['trigger', 'service'], 'FLOW_UNKNOWN_SERVICE', 'trigger.service', `no catalogue entry '${trigger!.service}'`);
  let deadlineMs = 8000;
  try {
    if (data.deadline !== undefined) deadlineMs = durationMs(data.deadline as string);
  } catch (e) {
    fail(['deadline'], 'FLOW_DURATION', 'deadline', (e as Error).message);
  }
  const rawSteps = data.steps;
  if (!Array.isArray(rawSteps) || !rawSteps.length) fail(['steps'], 'FLOW_NO_STEPS', 'steps', 'a flow needs at least one step');
  const ids = new Map<string, number>();
  const steps: FlowStep[] = [];
  const gotos: { from: number; target: string; at: (string | number)[] }[] = [];
  (rawSteps as Record<string, unknown>[]).forEach((raw, i) => {
    const at = ['steps', i];
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail(at, 'FLOW_STEP_TYPE', `steps[${i}]`, 'a step is a map');
    const kinds = Object.keys(raw).filter((k) => !SHARED_KEYS.has(k));
    const label = `steps[${i}]${typeof raw.id === 'string' ? ` (${raw.id})` : ''}`;
    if (kinds.length !== 1) {
      const unknown = kinds.find((k) => !STEP_KINDS.has(k));
      if (unknown && kinds.length > 1) {
        const s = suggest(unknown, [...STEP_KINDS.keys(), ...SHARED_KEYS]);
        fail([...at, unknown], 'FLOW_UNKNOWN_KEY', label, `unknown key '${unknown}'`, s ? `did you mean '${s}'?` : undefined, true);
      }
      fail(at, 'FLOW_STEP_KIND', label, kinds.length ? `a step has exactly one kind key, found ${kinds.join(', ')}` : 'no kind key', `kinds: ${[...STEP_KINDS.keys()].join(', ')}`);
    }
    const kindName = kinds[0];
    const kind = STEP_KINDS.get(kindName);
    if (!kind) {
      const s = suggest(kindName, STEP_KINDS.keys());
      fail([...at, kindName], 'FLOW_UNKNOWN_KIND', label, `unknown step kind '${kindName}'`, s ? `did you mean '${s}'?` : `kinds: ${[...STEP_KINDS.keys()].join(', ')}`, true);
    }
    const id = raw.id;
    if (typeof id !== 'string' || !/^[a-z][a-z0-9-]*$/.test(id)) fail([...at, 'id'], 'FLOW_STEP_ID', label, 'id is required, kebab-case (a-z, 0-9, -)');
    if (ids.has(id as string)) fail([...at, 'id'], 'FLOW_DUPLICATE_ID', label, `duplicate step id '${id}' (first at steps[${ids.get(id as string)}])`);
    ids.set(id as string, i);
    const options = (raw[kindName] ?? {}) as Record<string, unknown>;
    const validate = ajv.compile(kind!.optionsSchema);
    if (!validate(options)) {
      // An unknown (often misspelt) option explains a "missing required" one: report it first.
      const e = validate.errors!.find((x) => x.keyword === 'additionalProperties') ?? validate.errors![0];
      const p = e.instancePath.split('/').filter(Boolean);
      if (e.keyword === 'additionalProperties') {
        const extra = String((e.params as { additionalProperty: string }).additionalProperty);
        const s = suggest(extra, Object.keys((kind!.optionsSchema.properties as object) ?? {}));
        fail([...at, kindName, ...p, extra], 'FLOW_UNKNOWN_OPTION', label, `unknown option '${extra}' of ${kindName}`, s ? `did you mean '${s}'?` : undefined, true);
      }
      fail([...at, kindName, ...p], 'FLOW_BAD_OPTION', label, `${kindName}${e.instancePath.replace(/\//g, '.')} ${e.message ?? 'is invalid'}`);
    }
    for (const g of kind!.gotoOptions ?? []) {
      const target = g.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], options);
      if (typeof target === 'string') gotos.push({ from: i, target, at: [...at, kindName, ...g.split('.')] });
    }
    let timeoutMs: number | undefined;
    if (raw.timeout !== undefined) {
      try {
        timeoutMs = durationMs(raw.timeout as string);
      } catch (e) {
        fail([...at, 'timeout'], 'FLOW_DURATION', label, (e as Error).message);
      }
    }
    let when: FlowStep['when'];
    if (raw.when !== undefined) {
      let expr: jsonata.Expression;
      try {
        expr = jsonata(String(raw.when));
      } catch (e) {
        fail([...at, 'when'], 'FLOW_EXPR_SYNTAX', label, `JSONata ${(e as Error).message}`);
      }
      when = async (rc) => Boolean(await expr!.evaluate({ ...rc.vars, input: rc.input }, FUNCTION_BINDINGS));
    }
    const env: PrepareEnv = {
      flow: name,
      stepId: id as string,
      loc: src.loc(at),
      catalogue,
      mappings,
      fail: (code, optionPath, message, hint) => fail([...at, kindName, ...optionPath], code, label, message, hint),
    };
    steps.push({ id: id as string, kind: kindName, loc: src.loc(at), timeoutMs, when, run: kind!.prepare(options as never, env) });
  });
  for (const g of gotos) {
    const to = ids.get(g.target);
    if (to === undefined) fail(g.at, 'FLOW_UNKNOWN_STEP', `steps[${g.from}]`, `goto target '${g.target}' is not a step id`);
    if (to! <= g.from) fail(g.at, 'FLOW_GOTO_BACKWARD', `steps[${g.from}]`, `goto '${g.target}' must point to a later step`);
  }
  // Once a number is allocated, every later step must be resumable: lint that the flow ends in persist/respond.
  const firstIrreversible = steps.findIndex((s) => IRREVERSIBLE_KINDS.has(s.kind));
  if (firstIrreversible >= 0 && !steps.slice(firstIrreversible).some((s) => s.kind === 'persist'))
    fail(['steps', firstIrreversible], 'FLOW_IRREVERSIBLE_UNGUARDED', `steps[${firstIrreversible}]`, `'${steps[firstIrreversible].id}' allocates a number but no later step persists the bill`);
  if (trigger!.service && !steps.some((s) => s.kind === 'respond'))
    fail(['steps'], 'FLOW_NO_RESPOND', 'steps', 'a request/response flow needs a respond step');
  return {
    name: String(data.flow),
    file,
    version: createHash('sha256').update(text).digest('hex').slice(0, 12),
    trigger: trigger!,
    deadlineMs,
    steps,
  };
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
