/**
 * Code tables (config/codes/<table>.yaml, format in config/codes/README.md): the codes the Bosssoft API
 * names (busType, payChannel, cardType …) as data, with their Chinese names. Catalogue fields refer to
 * them with `codeTable:`. Open tables document codes a HIS may extend (the platform maps them); a
 * closed table is the complete list, which the catalogue loader turns into the field's enum.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { suggestionHint } from './codes';
import { suggest, type Loc, type Problems } from './lint';
import { loadYamlSource, YamlSource } from './yaml-source';

export interface Code {
  code: string;
  name: string;
  note?: string;
}

export interface CodeTable {
  name: string;
  description: string;
  source?: string;
  closed: boolean;
  codes: Code[];
  file: string;
}

export type CodeTables = Map<string, CodeTable>;

const TABLE_KEYS = ['table', 'description', 'source', 'closed', 'codes'];
const CODE_KEYS = ['code', 'name', 'note'];

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownKeys(src: YamlSource, problems: Problems, at: [] | ['codes', number], data: Record<string, unknown>, allowed: string[]): void {
  const prefix = at.length ? `codes[${at[1]}].` : '';
  for (const k of Object.keys(data))
    if (!allowed.includes(k)) problems.add(src.loc([...at, k], true), 'CODES_UNKNOWN_KEY', prefix + k, { key: k }, suggestionHint(suggest(k, allowed), allowed));
}

function readCode(src: YamlSource, problems: Problems, i: number, entry: unknown, seen: Map<string, Loc>): Code | undefined {
  const at: ['codes', number] = ['codes', i];
  const where = `codes[${i}]`;
  if (!isMap(entry)) {
    problems.add(src.loc(at), 'CODES_VALUE', where, { key: where, expected: '映射 { code, name }' });
    return undefined;
  }
  unknownKeys(src, problems, at, entry, CODE_KEYS);
  const { code, name, note } = entry;
  if (code === undefined) problems.add(src.loc(at), 'CODES_MISSING_KEY', where, { key: 'code' });
  else if (typeof code !== 'string' || code === '') problems.add(src.loc([...at, 'code']), 'CODES_CODE', `${where}.code`, { actual: JSON.stringify(code) });
  if (name === undefined) problems.add(src.loc(at), 'CODES_MISSING_KEY', where, { key: 'name' });
  else if (typeof name !== 'string' || name.trim() === '') problems.add(src.loc([...at, 'name']), 'CODES_EMPTY_NAME', `${where}.name`, { code: String(code ?? '') });
  if (note !== undefined && typeof note !== 'string') problems.add(src.loc([...at, 'note']), 'CODES_VALUE', `${where}.note`, { key: 'note', expected: '字符串' });
  if (typeof code !== 'string' || code === '') return undefined;
  const first = seen.get(code);
  if (first) problems.add(src.loc([...at, 'code']), 'CODES_DUPLICATE', `${where}.code`, { code, line: first.line });
  else seen.set(code, src.loc([...at, 'code']));
  if (typeof name !== 'string' || first) return undefined;
  return { code, name, ...(typeof note === 'string' ? { note } : {}) };
}

/** Loads one table, adding its problems to `problems`; undefined when the file is not a table at all. */
export function loadCodeTable(file: string, problems: Problems): CodeTable | undefined {
  const src = loadYamlSource(file, problems);
  if (!src) return undefined;
  const data = src.data;
  if (!isMap(data)) {
    problems.add(src.loc([]), 'CODES_EMPTY', '', {});
    return undefined;
  }
  const expected = path.basename(file, '.yaml');
  unknownKeys(src, problems, [], data, TABLE_KEYS);
  for (const k of ['table', 'description', 'codes']) if (data[k] === undefined) problems.add(src.loc([]), 'CODES_MISSING_KEY', '', { key: k });
  if (data.table !== undefined && data.table !== expected) problems.add(src.loc(['table']), 'CODES_NAME', 'table', { table: String(data.table), expected });
  for (const k of ['description', 'source'])
    if (data[k] !== undefined && (typeof data[k] !== 'string' || data[k] === '')) problems.add(src.loc([k]), 'CODES_VALUE', k, { key: k, expected: '非空字符串' });
  if (data.closed !== undefined && typeof data.closed !== 'boolean') problems.add(src.loc(['closed']), 'CODES_VALUE', 'closed', { key: 'closed', expected: ' true 或 false' });
  const codes: Code[] = [];
  if (data.codes !== undefined && !Array.isArray(data.codes)) problems.add(src.loc(['codes']), 'CODES_VALUE', 'codes', { key: 'codes', expected: '列表' });
  else if (Array.isArray(data.codes)) {
    if (!data.codes.length) problems.add(src.loc(['codes']), 'CODES_EMPTY_TABLE', 'codes', {});
    const seen = new Map<string, Loc>();
    data.codes.forEach((entry, i) => {
      const c = readCode(src, problems, i, entry, seen);
      if (c) codes.push(c);
    });
  }
  return {
    name: expected,
    description: typeof data.description === 'string' ? data.description : '',
    ...(typeof data.source === 'string' ? { source: data.source } : {}),
    closed: data.closed === true,
    codes,
    file,
  };
}

/**
 * Every table under `dir` (none when the folder does not exist). A table with problems is still
 * returned, so a catalogue field that names it is not reported as naming a missing table too.
 */
export function loadCodeTables(dir: string, problems: Problems): CodeTables {
  if (!existsSync(dir)) return new Map();
  return loadCodeTableFiles(readdirSync(dir).filter((n) => n.endsWith('.yaml')).sort().map((f) => path.join(dir, f)), problems);
}

/** The tables of these files (shipped and overlay, already merged by name). */
export function loadCodeTableFiles(files: string[], problems: Problems): CodeTables {
  const tables: CodeTables = new Map();
  for (const f of files) {
    const t = loadCodeTable(f, problems);
    if (t) tables.set(t.name, t);
  }
  return tables;
}
