/**
 * The catalogue's lint: every mistake in config/catalogue/*.yaml reported at file:line:col with a CAT_*
 * code, all of them in one run. Schemas are held to Ajv's strict mode with the catalogue's own
 * vocabulary registered (createAjv): an unknown keyword (maxLenght), an unknown format, a `required`
 * naming no property, a bad `type` or an unresolvable `$ref` are errors, never silently ignored rules.
 * Ajv itself stops at its first strict-mode complaint, so the rules are walked here over the whole
 * tree; Ajv's meta-schema check (allErrors) and a strict compile run as well, to catch what the walk
 * does not name.
 */
import type Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import type { JsonSchema } from './catalogue';
import type { CodeTables } from './code-tables';
import { JSON_TYPE_ZH, suggestionHint } from './codes';
import { pointerPath, Problems, suggest } from './lint';
import type { YamlSource } from './yaml-source';

export const COMMON_ID = 'https://medbill.local/catalogue/common';
const REF = /^common#\/\$defs\/([^/]+)$/;
const TYPES = ['string', 'integer', 'number', 'boolean', 'object', 'array', 'null'];
const ENTRY_KEYS = ['service', 'title', 'category', 'flow', 'aliasOf', 'issues', 'typed', 'limits', 'request', 'response'];
const LIMIT_KEYS = ['bodyBytes'];
const ISSUES_KEYS = ['busType', 'billKind'];
const COMMON_KEYS = ['$id', '$defs', 'title', 'description', '$comment'];

type Path = (string | number)[];
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keywords whose value is a map of subschemas, one subschema, or a list of subschemas. */
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_ONE = ['additionalProperties', 'items', 'contains', 'not', 'if', 'then', 'else', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];

/** Visits a schema and every subschema under it, with its path from `at`. */
export function forEachSchema(schema: unknown, at: Path, visit: (s: JsonSchema, at: Path) => void): void {
  if (!isMap(schema)) return;
  visit(schema, at);
  for (const k of SCHEMA_MAPS)
    if (isMap(schema[k])) for (const [name, sub] of Object.entries(schema[k] as object)) forEachSchema(sub, [...at, k, name], visit);
  for (const k of SCHEMA_ONE) if (isMap(schema[k])) forEachSchema(schema[k], [...at, k], visit);
  for (const k of SCHEMA_LISTS) if (Array.isArray(schema[k])) (schema[k] as unknown[]).forEach((sub, i) => forEachSchema(sub, [...at, k, i], visit));
}

/** A readable place for messages: request.properties.a.items.maxLength → request.a[].maxLength */
function where(at: Path): string {
  let out = '';
  for (let i = 0; i < at.length; i++) {
    const seg = at[i];
    // After `properties` comes a field name, even one called "items" or "properties".
    const name = seg === 'properties' && i + 1 < at.length ? at[++i] : seg;
    if (name === seg && seg === 'items') out += '[]';
    else if (typeof name === 'number') out += `[${name}]`;
    else out += (out ? '.' : '') + name;
  }
  return out;
}

function metaDetail(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return `应为${String(p.type).split(',').map((t) => JSON_TYPE_ZH[t] ?? t).join('或')}`;
    case 'enum':
      return `应为以下之一：${(p.allowedValues as unknown[]).join(', ')}`;
    case 'minimum':
      return `不能小于 ${String(p.limit)}`;
    case 'minItems':
      return `至少需要 ${String(p.limit)} 项`;
    case 'uniqueItems':
      return '不能有重复项';
    default:
      return e.message ?? e.keyword;
  }
}

export interface CatalogueLintOptions {
  /** the strict-mode Ajv holding the catalogue vocabulary (createAjv({ strict: true })) */
  ajv: Ajv;
  problems: Problems;
  codeTables: CodeTables;
}

/** Checks one schema tree (request, response or a common $def) and reports what it finds. */
export class SchemaLint {
  /** names of common.schema.yaml's $defs; undefined when that file could not be read (refs unchecked) */
  defs?: Set<string>;
  private readonly knownKeywords: string[];

  constructor(readonly opts: CatalogueLintOptions) {
    this.knownKeywords = Object.keys(opts.ajv.RULES.keywords).filter((k) => !['$async', 'id', '$vocabulary'].includes(k));
  }

  /** Lints `schema` found at `at` in `src`; returns whether it is clean. */
  check(src: YamlSource, schema: unknown, at: Path): boolean {
    const before = this.opts.problems.errors.length;
    if (!isMap(schema)) {
      this.opts.problems.add(src.loc(at), 'CAT_KEYWORD_VALUE', where(at), { keyword: where(at), detail: '应为 JSON Schema（映射）' });
      return false;
    }
    this.meta(src, schema, at);
    forEachSchema(schema, at, (s, p) => this.rules(src, s, p));
    return this.opts.problems.errors.length === before;
  }

  /** The JSON Schema meta-schema, all errors: wrong value kinds (maxLength: "20", required: x). */
  private meta(src: YamlSource, schema: JsonSchema, at: Path): void {
    const { ajv, problems } = this.opts;
    if (ajv.validateSchema(schema)) return;
    const errors = ajv.errors ?? [];
    const seen = new Set<string>();
    for (const e of errors) {
      const rel = pointerPath(e.instancePath);
      const last = rel[rel.length - 1];
      // `type` has its own rule (CAT_TYPE, with a suggestion); anyOf/oneOf only repeat a nested error.
      if (last === 'type' || rel[rel.length - 2] === 'type' || e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
      if (seen.has(e.instancePath)) continue;
      seen.add(e.instancePath);
      const full = [...at, ...rel];
      problems.add(src.loc(full), 'CAT_KEYWORD_VALUE', where(full), { keyword: String(last ?? where(at)), detail: metaDetail(e) });
    }
  }

  /** The rules of one schema object (not its subschemas: forEachSchema visits those). */
  private rules(src: YamlSource, s: JsonSchema, at: Path): void {
    const { ajv, problems, codeTables } = this.opts;
    const w = (k: string | number, ...more: (string | number)[]) => where([...at, k, ...more]);
    for (const k of Object.keys(s)) {
      if (ajv.RULES.keywords[k]) continue;
      problems.add(src.loc([...at, k], true), 'CAT_UNKNOWN_KEYWORD', w(k), { keyword: k }, suggestionHint(suggest(k, this.knownKeywords)));
    }
    const types: [unknown, Path][] = Array.isArray(s.type) ? (s.type as unknown[]).map((t, i) => [t, [...at, 'type', i]]) : s.type !== undefined ? [[s.type, [...at, 'type']]] : [];
    for (const [t, p] of types) {
      if (typeof t === 'string' && TYPES.includes(t)) continue;
      const guess = typeof t === 'string' ? suggest(t, TYPES) : undefined;
      problems.add(src.loc(p), 'CAT_TYPE', where(p), { type: typeof t === 'string' ? t : JSON.stringify(t) }, guess ? suggestionHint(guess) : undefined);
    }
    if (typeof s.format === 'string' && !ajv.formats[s.format]) {
      const known = Object.keys(ajv.formats);
      problems.add(src.loc([...at, 'format']), 'CAT_UNKNOWN_FORMAT', w('format'), { format: s.format }, suggestionHint(suggest(s.format, known), known));
    }
    if (Array.isArray(s.required)) {
      const props = isMap(s.properties) ? Object.keys(s.properties) : [];
      (s.required as unknown[]).forEach((r, i) => {
        if (typeof r === 'string' && !props.includes(r))
          problems.add(src.loc([...at, 'required', i]), 'CAT_REQUIRED_UNDEFINED', w('required', i), { property: r }, suggestionHint(suggest(r, props)));
      });
    }
    if (s.$ref !== undefined) this.ref(src, s.$ref, [...at, '$ref']);
    this.vocabulary(src, s, at);
    if (s.codeTable !== undefined && typeof s.codeTable === 'string') {
      const table = codeTables.get(s.codeTable);
      if (!table) problems.add(src.loc([...at, 'codeTable']), 'CAT_CODE_TABLE', w('codeTable'), { table: s.codeTable }, suggestionHint(suggest(s.codeTable, codeTables.keys()), codeTables.keys()));
      else if (Array.isArray(s.enum)) {
        const codes = new Set(table.codes.map((c) => c.code));
        (s.enum as unknown[]).forEach((v, i) => {
          if (!codes.has(String(v))) problems.add(src.loc([...at, 'enum', i]), 'CAT_CODE_VALUE', w('enum', i), { code: String(v), table: table.name });
        });
      }
    }
  }

  private ref(src: YamlSource, ref: unknown, at: Path): void {
    if (!this.defs) return;
    const m = typeof ref === 'string' ? REF.exec(ref) : null;
    if (m && this.defs.has(m[1])) return;
    const hint = m ? suggestionHint(suggest(m[1], this.defs), this.defs) : '写作 common#/$defs/<名字>，<名字> 为 common.schema.yaml 中 $defs 下的定义';
    this.opts.problems.add(src.loc(at), 'CAT_REF', where(at), { ref: String(ref) }, hint);
  }

  /** Values of the catalogue's own keywords, which the JSON Schema meta-schema does not know. */
  private vocabulary(src: YamlSource, s: JsonSchema, at: Path): void {
    const bad = (k: string, detail: string) => this.opts.problems.add(src.loc([...at, k]), 'CAT_KEYWORD_VALUE', where([...at, k]), { keyword: k, detail });
    if (s.decimal !== undefined) {
      const d = s.decimal;
      const ok = Array.isArray(d) && d.length === 2 && d.every((n) => Number.isInteger(n)) && d[0] >= 1 && d[1] >= 0 && d[1] <= d[0];
      if (!ok) bad('decimal', '应为 [总位数, 小数位数]，小数位数不大于总位数，如 [14, 2]');
    }
    for (const k of ['allowEmpty', 'notBlank']) if (s[k] !== undefined && typeof s[k] !== 'boolean') bad(k, '应为 true 或 false');
    for (const k of ['codeTable', 'x-doc']) if (s[k] !== undefined && (typeof s[k] !== 'string' || s[k] === '')) bad(k, '应为非空字符串');
  }
}

/** common.schema.yaml: its top-level keys, its $id, and each $def as a schema. Returns the $def names. */
export function lintCommon(lint: SchemaLint, src: YamlSource): boolean {
  const { problems } = lint.opts;
  const data = src.data;
  if (!isMap(data)) {
    problems.add(src.loc([]), 'CAT_EMPTY', '', {});
    return false;
  }
  const before = problems.errors.length;
  for (const k of Object.keys(data))
    if (!COMMON_KEYS.includes(k)) problems.add(src.loc([k], true), 'CAT_UNKNOWN_KEY', k, { key: k }, suggestionHint(suggest(k, COMMON_KEYS), COMMON_KEYS));
  if (data.$id !== COMMON_ID) problems.add(src.loc(['$id']), 'CAT_KEYWORD_VALUE', '$id', { keyword: '$id', detail: `应为 ${COMMON_ID}（服务条目用 common#/$defs/… 引用）` });
  if (!isMap(data.$defs)) problems.add(src.loc(['$defs']), 'CAT_VALUE', '$defs', { key: '$defs', expected: '映射（名字: schema）' });
  else for (const [name, def] of Object.entries(data.$defs)) lint.check(src, def, ['$defs', name]);
  return problems.errors.length === before;
}

/**
 * A service entry's own keys (not its schemas): what is missing, unknown or of the wrong kind, and
 * whether `service` is the file name. Returns whether the entry is usable as a service at all.
 */
export function lintEntry(lint: SchemaLint, src: YamlSource, expected: string): boolean {
  const { problems, codeTables } = lint.opts;
  const data = src.data;
  if (!isMap(data)) {
    problems.add(src.loc([]), 'CAT_EMPTY', '', {});
    return false;
  }
  for (const k of Object.keys(data))
    if (!ENTRY_KEYS.includes(k)) problems.add(src.loc([k], true), 'CAT_UNKNOWN_KEY', k, { key: k }, suggestionHint(suggest(k, ENTRY_KEYS), ENTRY_KEYS));
  for (const k of ['service', 'title', 'category', 'request']) if (data[k] === undefined) problems.add(src.loc([]), 'CAT_MISSING_KEY', '', { key: k });
  for (const k of ['service', 'title', 'category', 'flow', 'aliasOf'])
    if (data[k] !== undefined && (typeof data[k] !== 'string' || data[k] === '')) problems.add(src.loc([k]), 'CAT_VALUE', k, { key: k, expected: '非空字符串' });
  if (typeof data.service === 'string' && data.service !== expected) problems.add(src.loc(['service']), 'CAT_SERVICE_NAME', 'service', { service: data.service, expected });
  if (data.issues !== undefined) {
    if (!isMap(data.issues)) problems.add(src.loc(['issues']), 'CAT_VALUE', 'issues', { key: 'issues', expected: '映射 { busType, billKind }' });
    else {
      for (const k of Object.keys(data.issues))
        if (!ISSUES_KEYS.includes(k)) problems.add(src.loc(['issues', k], true), 'CAT_UNKNOWN_KEY', `issues.${k}`, { key: k }, suggestionHint(suggest(k, ISSUES_KEYS), ISSUES_KEYS));
      for (const k of ISSUES_KEYS) {
        const v = data.issues[k];
        if (v === undefined) problems.add(src.loc(['issues']), 'CAT_MISSING_KEY', 'issues', { key: `issues.${k}` });
        else if (typeof v !== 'string' || v === '') problems.add(src.loc(['issues', k]), 'CAT_VALUE', `issues.${k}`, { key: `issues.${k}`, expected: '非空字符串（加引号，如 "02"）' });
      }
      const busTypes = codeTables.get('busType');
      const bt = data.issues.busType;
      if (busTypes && typeof bt === 'string' && bt !== '' && !busTypes.codes.some((c) => c.code === bt))
        problems.add(src.loc(['issues', 'busType']), 'CAT_CODE_VALUE', 'issues.busType', { code: bt, table: 'busType' });
    }
  }
  if (data.typed !== undefined && typeof data.typed !== 'boolean') problems.add(src.loc(['typed']), 'CAT_VALUE', 'typed', { key: 'typed', expected: 'true 或 false' });
  if (data.limits !== undefined) {
    if (!isMap(data.limits)) problems.add(src.loc(['limits']), 'CAT_VALUE', 'limits', { key: 'limits', expected: '映射 { bodyBytes }' });
    else
      for (const [k, v] of Object.entries(data.limits)) {
        if (!LIMIT_KEYS.includes(k)) problems.add(src.loc(['limits', k], true), 'CAT_UNKNOWN_KEY', `limits.${k}`, { key: k }, suggestionHint(suggest(k, LIMIT_KEYS), LIMIT_KEYS));
        else if (!Number.isInteger(v) || (v as number) < 1) problems.add(src.loc(['limits', k]), 'CAT_VALUE', `limits.${k}`, { key: `limits.${k}`, expected: '正整数（字节）' });
      }
  }
  return typeof data.service === 'string' && data.service === expected && data.request !== undefined;
}

/** The request must describe a JSON object (the HIS sends `data` as one); a $ref is followed. */
export function lintRequestIsObject(lint: SchemaLint, src: YamlSource, request: JsonSchema, resolve: (s: JsonSchema) => JsonSchema | undefined): void {
  const r = resolve(request);
  if (r && r.type !== 'object') lint.opts.problems.add(src.loc(['request', request.$ref !== undefined ? '$ref' : 'type']), 'CAT_REQUEST_TYPE', 'request', { part: 'request' });
}

/** A closed code table is the field's complete list: it becomes the field's enum (unless one is written). */
export function closeCodeTables(schema: unknown, tables: CodeTables): void {
  forEachSchema(schema, [], (s) => {
    const t = typeof s.codeTable === 'string' ? tables.get(s.codeTable) : undefined;
    if (t?.closed && s.enum === undefined) s.enum = t.codes.map((c) => c.code);
  });
}
