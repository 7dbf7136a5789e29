/**
 * Golden tests beside each mapping, so a mapping's behaviour is read and reviewed next to it: `<name>.map.test.yaml` next to
 * `<name>.map.yaml`, with cases of `input`/`inputFile` and `expect`/`expectContains`/`expectFile`/
 * `expectError`. Run by mocha (test/engine/mapping-golden.test.ts) and by `medbill test-mappings`;
 * `--update` rewrites expectFile fixtures only when asked, so changes land as reviewable diffs.
 * Every case also runs through the reference jsonata evaluator: the compiled fast path must agree.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../config';
import { mappingContext, MappingContext } from './functions';
import type { Mapping } from './mapping';

/**
 * The deployment golden cases assume: the unit and URLs of config/default.yaml alone (no
 * MEDBILL_CONFIG, no environment), so a case gives the same answer on every machine.
 */
export function goldenContext(): MappingContext {
  return mappingContext(loadConfig({}));
}

export interface GoldenCase {
  name: string;
  input?: unknown;
  inputFile?: string;
  expect?: unknown;
  expectContains?: unknown;
  expectFile?: string;
  expectError?: string;
}

export interface GoldenFile {
  file: string;
  target: string;
  cases: GoldenCase[];
}

export interface CaseResult {
  file: string;
  mapping: string;
  name: string;
  ok: boolean;
  problem?: string;
}

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v ?? null));

function contains(actual: unknown, expected: unknown): boolean {
  if (expected && typeof expected === 'object' && !Array.isArray(expected))
    return !!actual && typeof actual === 'object' && Object.entries(expected).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v));
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.length === actual.length && expected.every((e, i) => contains(actual[i], e));
  return isDeepStrictEqual(actual, expected);
}

function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k);
      if (d) return d;
    }
  }
  return `${at || '(root)'}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`;
}

export function findGoldenFiles(dir: string): GoldenFile[] {
  const out: GoldenFile[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.map.test.yaml')) out.push(...loadGoldenFile(p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/** One *.map.test.yaml: its cases and the mapping it targets (beside it unless `target` says otherwise). */
export function loadGoldenFile(p: string): GoldenFile[] {
  const y = parse(readFileSync(p, 'utf8')) as { target?: string; cases?: GoldenCase[] };
  return [{ file: p, target: path.resolve(path.dirname(p), y.target ?? path.basename(p).replace('.test.yaml', '.yaml')), cases: y.cases ?? [] }];
}

/** Mappings without a golden test file: each mapping must have one. */
export function untestedMappings(mappings: Map<string, Mapping>, golden: GoldenFile[]): string[] {
  const tested = new Set(golden.map((g) => path.resolve(g.target)));
  return [...mappings.values()].filter((m) => !tested.has(path.resolve(m.file))).map((m) => m.file);
}

export async function runGoldenCase(g: GoldenFile, c: GoldenCase, mapping: Mapping, update = false): Promise<CaseResult> {
  const base = { file: g.file, mapping: mapping.name, name: c.name };
  const rel = (f: string) => path.resolve(path.dirname(g.file), f);
  const input = c.inputFile ? JSON.parse(readFileSync(rel(c.inputFile), 'utf8')) : c.input;
  let actual: unknown;
  try {
    actual = plain(await mapping.evaluate(input));
  } catch (e) {
    const msg = (e as Error).message;
    if (c.expectError) return msg.includes(c.expectError) ? { ...base, ok: true } : { ...base, ok: false, problem: `error '${msg}' does not contain '${c.expectError}'` };
    return { ...base, ok: false, problem: `threw: ${msg}` };
  }
  if (c.expectError) return { ...base, ok: false, problem: `expected an error containing '${c.expectError}', got a result` };
  const reference = plain(await mapping.evaluateReference(input));
  const drift = firstDifference(actual, reference);
  if (drift) return { ...base, ok: false, problem: `compiled fast path and jsonata disagree at ${drift}` };
  if (c.expectFile) {
    const f = rel(c.expectFile);
    if (update) {
      writeFileSync(f, JSON.stringify(actual, null, 2) + '\n');
      return { ...base, ok: true, problem: 'updated' };
    }
    if (!existsSync(f)) return { ...base, ok: false, problem: `missing ${c.expectFile}: run \`medbill test-mappings --update\` and review the file` };
    const d = firstDifference(actual, JSON.parse(readFileSync(f, 'utf8')));
    return d ? { ...base, ok: false, problem: d } : { ...base, ok: true };
  }
  if (c.expect !== undefined) {
    const d = firstDifference(actual, plain(c.expect));
    return d ? { ...base, ok: false, problem: d } : { ...base, ok: true };
  }
  if (c.expectContains !== undefined) return contains(actual, plain(c.expectContains)) ? { ...base, ok: true } : { ...base, ok: false, problem: `result does not contain ${JSON.stringify(c.expectContains)}` };
  return { ...base, ok: false, problem: 'a case needs expect, expectContains, expectFile or expectError' };
}
