/**
 * The service catalogue: one YAML file per Bosssoft serviceId under config/catalogue/,
 * each holding a JSON Schema for the request and the response. It is the single source for request
 * validation (here), the WSDL/XSD (adapters/his/soap) and the HIS programmer's docs.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import Ajv, { ErrorObject, Options } from 'ajv';
import { decimalShape, decimalText } from '../domain/money';
import { isoDate, parseStamp17 } from '../domain/time';
import { closeCodeTables, COMMON_ID, lintCommon, lintEntry, lintRequestIsObject, SchemaLint } from './catalogue-lint';
import { CodeTables, loadCodeTables } from './code-tables';
import { hisMessage, HisMessage, HisParams } from './codes';
import { FlowError, hisError, RESULT } from './errors';
import { Problems } from './lint';
import { compileRequestValidator, RequestValidator } from './request-validator';
import { addTextKeywords, applyTextRules, isBlank, TextProblem } from './text-rules';
import { loadYamlSource, YamlSource } from './yaml-source';

export type JsonSchema = Record<string, unknown>;

export interface ServiceEntry {
  service: string;
  title: string;
  category: string;
  flow?: string;
  /** an older serviceId of another entry (printPaper → printPaperBill): routed to that service's flow */
  aliasOf?: string;
  issues?: { busType: string; billKind: string };
  /**
   * SOAP: also a typed operation `<service>Typed` (business fields as XML). Implied by `issues`; set it
   * on an issuing service whose bill kind follows from the request (invoiceEBillCommon: busType 09/10/11).
   */
  typed?: boolean;
  request: JsonSchema;
  response?: JsonSchema;
  /** per-service bounds on one request (see common.schema.yaml's header) */
  limits?: ServiceLimits;
  file: string;
}

export interface ServiceLimits {
  /** the largest request body this service takes (at most server.bodyLimitBytes, which applies when absent) */
  bodyBytes?: number;
}

export interface Catalogue {
  services: Map<string, ServiceEntry>;
  common: JsonSchema;
  /** the code tables the schemas' `codeTable:` names refer to (config/codes) */
  codeTables: CodeTables;
  /** Validates (and coerces in place: numbers sent for string fields become strings) a request. */
  validate(service: string, data: unknown): void;
  /** Resolves a `$ref: common#/$defs/x` (for generators walking the schemas). */
  resolve(schema: JsonSchema): JsonSchema;
}

/**
 * Adds minLength 1 and notBlank to required strings: an empty required field is as missing as an
 * absent one, and so is one of spaces only (a payer of "   " would print a bill without a name).
 */
function requireNonEmpty(schema: JsonSchema, defs: Record<string, JsonSchema> = {}): void {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  const required = (schema.required as string[] | undefined) ?? [];
  if (props) {
    for (const [name, p] of Object.entries(props)) {
      // A field written once in common ($ref) is as required as one spelled out: its rule is the definition's.
      const def = typeof p.$ref === 'string' ? defs[p.$ref.replace(/^common#\/\$defs\//, '')] : undefined;
      const rule = def ? { ...def, ...p } : p;
      if (required.includes(name) && rule.type === 'string' && rule.minLength === undefined && !rule.allowEmpty) {
        p.minLength = 1;
        p.notBlank = true;
      }
      requireNonEmpty(p, defs);
    }
    // Numbers may arrive as text (kiosks send "1"); the text must be the number itself (see numberText).
    const numeric = Object.entries(props).filter(([, p]) => {
      const def = typeof p.$ref === 'string' ? defs[p.$ref.replace(/^common#\/\$defs\//, '')] : undefined;
      const t = (def ? { ...def, ...p } : p).type;
      return t === 'integer' || t === 'number';
    });
    if (numeric.length) schema.numberText = numeric.map(([name]) => name);
  }
  if (schema.items && typeof schema.items === 'object') requireNonEmpty(schema.items as JsonSchema, defs);
  const own = schema.$defs as Record<string, JsonSchema> | undefined;
  if (own) for (const d of Object.values(own)) requireNonEmpty(d, own);
}

/**
 * An Ajv with the catalogue's vocabulary (keywords and formats). loadCatalogue passes Ajv's strict
 * options and the lint (catalogue-lint.ts) asks this same instance which keywords and formats exist, so
 * a keyword registered here is known to both and anything else is reported, never silently ignored.
 */
export function createAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: false, ...options });
  ajv.addKeyword({
    keyword: 'decimal',
    errors: true,
    validate: function decimal(spec: [number, number], data: unknown): boolean {
      const text = decimalText(data);
      if (text === null) return false;
      const { intDigits, fracDigits } = decimalShape(text);
      return intDigits <= spec[0] - spec[1] && fracDigits <= spec[1];
    },
  });
  ajv.addKeyword({
    keyword: 'notBlank',
    type: 'string',
    errors: true,
    // "" is minLength's to report; this catches what shows nothing (spaces, tabs, U+3000, zero-width).
    validate: (on: boolean, s: string): boolean => !on || s.length === 0 || !isBlank(s),
  });
  ajv.addKeyword({
    // Ajv's coercion turns any text that JavaScript's Number() reads into a number: " ", "\u000b" and
    // " 5" become 0 and 5. Checked on the object before its properties are coerced, the text of a
    // number field must be the number as written: digits, an optional sign, decimals.
    keyword: 'numberText',
    type: 'object',
    before: 'properties',
    errors: true,
    validate: function numberText(names: string[], data: Record<string, unknown>): boolean {
      const bad = names.find((n) => typeof data[n] === 'string' && !/^-?\d+(\.\d+)?$/.test(data[n] as string));
      if (bad === undefined) return true;
      (numberText as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: 'numberText', params: { property: bad }, message: 'not a number' }];
      return false;
    },
  });
  for (const kw of ['codeTable', 'allowEmpty', 'x-doc']) ajv.addKeyword({ keyword: kw });
  addTextKeywords(ajv);
  ajv.addFormat('datetime17', (s: string) => parseStamp17(s) !== null);
  ajv.addFormat('date8', (s: string) => isoDate(s) !== null);
  ajv.addFormat('date10', (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && isoDate(s) !== null);
  return ajv;
}

const FORMAT_ZH: Record<string, string> = {
  datetime17: 'yyyyMMddHHmmssSSS（17位，如 20261125093015123）',
  date8: 'yyyyMMdd（如 20261125）',
  date10: 'yyyy-MM-dd（如 2026-11-25）',
};

/** instancePath "/chargeDetail/2/amt" → "chargeDetail[2].amt" */
function fieldPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : '.' + p)).join('');
}

function subSchema(root: JsonSchema, instancePath: string, resolve: (s: JsonSchema) => JsonSchema): JsonSchema | undefined {
  let cur: JsonSchema | undefined = resolve(root);
  for (const p of instancePath.split('/').filter(Boolean)) {
    if (!cur) return undefined;
    if (/^\d+$/.test(p)) cur = cur.items ? resolve(cur.items as JsonSchema) : undefined;
    else cur = (cur.properties as Record<string, JsonSchema> | undefined)?.[p];
    if (cur) cur = resolve(cur);
  }
  return cur;
}

type Say = <M extends HisMessage<'E1001'>>(m: M, params: Omit<HisParams<'E1001', M>, 'field' | 'title'>) => { field: string; message: string };

export function describeError(e: ErrorObject, root: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): { field: string; message: string } {
  const missing =
    e.keyword === 'required' ? String((e.params as { missingProperty: string }).missingProperty) : e.keyword === 'numberText' ? String((e.params as { property: string }).property) : undefined;
  const field = fieldPath(e.instancePath, missing) || '(data)';
  const schema = subSchema(root, missing ? `${e.instancePath}/${missing}` : e.instancePath, resolve);
  const named = { field, title: schema?.title ? `（${String(schema.title)}）` : '' };
  const p = e.params as Record<string, unknown>;
  // The field and its title are the same in every E1001 template: filled here once.
  const say: Say = (m, params) => ({ field, message: hisMessage('E1001', m, { ...named, ...params } as unknown as HisParams<'E1001', typeof m>) });
  switch (e.keyword) {
    case 'required':
      return say('required', {});
    case 'minLength':
      return Number(p.limit) === 1 ? say('empty', {}) : say('minLength', { limit: String(p.limit) });
    case 'notBlank':
      return say('blank', {});
    case 'maxLength':
      return say('maxLength', { limit: String(p.limit) });
    case 'decimal': {
      const spec = schema?.decimal as [number, number] | undefined;
      return say('decimal', { rule: spec ? `，最多 ${spec[0] - spec[1]} 位整数、${spec[1]} 位小数` : '' });
    }
    case 'format':
      return say('format', { format: FORMAT_ZH[String(p.format)] ?? String(p.format) });
    case 'type':
      return say('type', { type: typeZh(String(p.type)) });
    case 'numberText':
      return say('type', { type: typeZh(schema?.type === 'integer' ? 'integer' : 'number') });
    case 'enum':
      return say('enum', { allowed: (p.allowedValues as unknown[]).join('、') });
    case 'minItems':
      return say('minItems', { limit: String(p.limit) });
    case 'maxItems':
      return say('maxItems', { limit: String(p.limit) });
    case 'minimum':
      return say('minimum', { limit: String(p.limit) });
    case 'maximum':
      return say('maximum', { limit: String(p.limit) });
    case 'pattern':
      return say('pattern', {});
    case 'signable':
      return describeTextProblem(p as unknown as TextProblem & { allowed: number[] }, say);
    default:
      return say('invalid', { rule: e.keyword });
  }
}

const CONTROL_ZH: Record<number, string> = { 0x09: '制表符 U+0009', 0x0a: '换行符 U+000A', 0x0d: '回车符 U+000D' };

function describeTextProblem(p: TextProblem & { allowed: number[] }, say: Say): { field: string; message: string } {
  const at = { char: p.char, position: p.position };
  switch (p.kind) {
    case 'control':
      return say('control', { ...at, allowed: p.allowed.length ? `本字段只允许${p.allowed.map((c) => CONTROL_ZH[c]).join('、')}` : '本字段不允许控制字符' });
    case 'surrogate':
      return say('surrogate', at);
    case 'nonCharacter':
      return say('nonCharacter', at);
    case 'bidi':
      return say('bidi', at);
    case 'invisible':
      return say('invisible', at);
    case 'space':
      return say('space', at);
  }
}

function typeZh(t: string): string {
  return (
    { string: '字符串', integer: '整数', number: '数字', array: '列表（JSON 数组）', object: '对象（JSON 对象）', boolean: '布尔值' } as Record<string, string>
  )[t] ?? t;
}

export interface LoadCatalogueOptions {
  /** the tables `codeTable:` names; default: the folder `codes` beside `dir` (config/codes) */
  codeTables?: CodeTables;
  /** the shared definitions; default `<dir>/common.schema.yaml` */
  commonFile?: string;
  /** the entry files to load; default every other `*.yaml` in `dir` (the lint corpus loads one at a time) */
  entries?: string[];
  /**
   * A reload's shortcut: entries of these files are taken from `from` as they were (already linted and
   * compiled) instead of compiled again. Only valid when common.schema.yaml and the code tables are
   * the same as when `from` was loaded, and `from` loaded clean (the caller checks both).
   */
  reuse?: { from: Catalogue; files: Set<string> };
}

/** Each loaded catalogue's compiled validators by entry file, for a reload's `reuse`. */
const compiledEntries = new WeakMap<Catalogue, Map<string, { entry: ServiceEntry; validator: RequestValidator }>>();

const isMap = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** common.schema.yaml, linted; an empty stand-in when it is missing or unreadable (lint.defs stays unset). */
function loadCommon(file: string, lint: SchemaLint): { common: JsonSchema; ok: boolean } {
  const empty = { common: { $id: COMMON_ID, $defs: {} }, ok: false };
  if (!existsSync(file)) {
    lint.opts.problems.add({ file, line: 1, col: 1 }, 'CAT_NO_COMMON', '', {});
    return empty;
  }
  const src = loadYamlSource(file, lint.opts.problems);
  if (!src) return empty;
  const ok = lintCommon(lint, src);
  if (!isMap(src.data)) return empty;
  lint.defs = new Set(isMap(src.data.$defs) ? Object.keys(src.data.$defs) : []);
  return { common: src.data, ok };
}

/** One service entry, linted (its keys, its request and response schemas). */
function loadEntry(file: string, lint: SchemaLint, common: JsonSchema): { entry?: ServiceEntry; src?: YamlSource; clean: boolean } {
  const { problems } = lint.opts;
  const before = problems.errors.length;
  const src = loadYamlSource(file, problems);
  if (!src) return { clean: false };
  const usable = lintEntry(lint, src, path.basename(file, '.yaml'));
  if (!isMap(src.data)) return { clean: false };
  const data = src.data;
  for (const part of ['request', 'response'] as const) if (data[part] !== undefined) lint.check(src, data[part], [part]);
  const defs = (common.$defs ?? {}) as Record<string, JsonSchema>;
  const follow = (s: JsonSchema): JsonSchema | undefined => (typeof s.$ref === 'string' ? defs[s.$ref.replace(/^common#\/\$defs\//, '')] : s);
  if (isMap(data.request)) lintRequestIsObject(lint, src, data.request, follow);
  if (!usable) return { clean: false };
  return { entry: { ...(data as unknown as ServiceEntry), file }, src, clean: problems.errors.length === before };
}

/**
 * Loads config/catalogue: every problem of every file goes to `problems` (CAT_*, at file:line:col), and
 * only clean entries get a validator. Without `problems`, any error throws a LintError listing them all.
 * Request and response schemas are compiled in Ajv's strict mode (unknown keywords and formats,
 * `required` naming no property): the lint names those first, the compile catches the rest.
 */
export function loadCatalogue(dir: string, problems?: Problems, opts: LoadCatalogueOptions = {}): Catalogue {
  const found = problems ?? new Problems();
  const codeTables = opts.codeTables ?? loadCodeTables(path.join(dir, '..', 'codes'), found);
  // strictTypes stays off: it is about type inference hints, not rules that would silently not apply.
  const ajv = createAjv({ strictSchema: true, strictRequired: true, strictTuples: true });
  const lint = new SchemaLint({ ajv, problems: found, codeTables });
  const loaded = loadCommon(opts.commonFile ?? path.join(dir, 'common.schema.yaml'), lint);
  const common = loaded.common;
  closeCodeTables(common, codeTables);
  requireNonEmpty(common);
  applyTextRules(common);
  const defs = (common.$defs ?? {}) as Record<string, JsonSchema>;
  const resolve = (s: JsonSchema): JsonSchema => {
    const ref = s.$ref as string | undefined;
    if (!ref) return s;
    const m = /^common#\/\$defs\/(.+)$/.exec(ref);
    if (!m || !defs[m[1]]) throw new Error(`unresolvable $ref ${ref}`);
    return { ...defs[m[1]], ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
  };
  try {
    ajv.addSchema(common);
  } catch {
    loaded.ok = false; // the lint above has named the reason
  }
  const services = new Map<string, ServiceEntry>();
  const validators = new Map<string, RequestValidator>();
  const files = opts.entries ?? readdirSync(dir).filter((n) => n.endsWith('.yaml') && n !== 'common.schema.yaml').sort().map((n) => path.join(dir, n));
  const compiled = new Map<string, { entry: ServiceEntry; validator: RequestValidator }>();
  const reusable = opts.reuse && compiledEntries.get(opts.reuse.from);
  for (const file of files) {
    const kept = opts.reuse?.files.has(file) ? reusable?.get(file) : undefined;
    if (kept) {
      services.set(kept.entry.service, kept.entry);
      validators.set(kept.entry.service, kept.validator);
      compiled.set(file, kept);
      continue;
    }
    const { entry, src, clean } = loadEntry(file, lint, common);
    if (!entry || !src) continue;
    services.set(entry.service, entry);
    if (!clean || !loaded.ok) continue;
    closeCodeTables(entry.request, codeTables);
    closeCodeTables(entry.response, codeTables);
    requireNonEmpty(entry.request, (common.$defs ?? {}) as Record<string, JsonSchema>);
    applyTextRules(entry.request);
    const id = `https://medbill.local/catalogue/${entry.service}`;
    try {
      const validator = compileRequestValidator(ajv, entry.request, id, resolve);
      validators.set(entry.service, validator);
      compiled.set(file, { entry, validator });
      // Never run (answers are built by mappings), but compiled so its mistakes stop start-up too.
      if (isMap(entry.response)) ajv.compile({ ...entry.response, $id: `${id}-response` });
    } catch (e) {
      found.add(src.loc([validators.has(entry.service) ? 'response' : 'request']), 'CAT_SCHEMA', entry.service, { part: validators.has(entry.service) ? 'response' : 'request', detail: (e as Error).message });
    }
  }
  if (!problems) found.throwIfAny();
  const catalogue: Catalogue = {
    services,
    common,
    codeTables,
    resolve,
    validate(service, data) {
      const v = validators.get(service);
      if (!v) throw new FlowError('ValidationError', RESULT.unknownService, `服务 ${service} 不存在`);
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw hisError('E1001', 'notObject', {}, 'data');
      const root = services.get(service)!.request;
      const input = data as Record<string, unknown>;
      // List sizes before any item: an oversize list is refused for the price of a length comparison.
      const big = v.oversize(input);
      if (big) {
        const { field, title } = fieldNamed(big.instancePath, root, resolve);
        throw hisError('E1001', 'tooManyItems', { field, title, limit: big.limit, count: big.count }, field);
      }
      const { errors, stopped } = v.collect(input);
      if (!errors.length) return;
      // The first error in document order, then a few more so a HIS programmer fixes them in one go.
      const described = errors.map((e) => describeError(e, root, resolve));
      const unique = [...new Map(described.map((d) => [d.message, d])).values()];
      const first = unique[0];
      const rest = unique.slice(1, 6).map((d) => d.message).join('；');
      const message = stopped
        ? hisMessage('E1001', 'moreStopped', { first: first.message, count: unique.length - 1, rest })
        : unique.length > 1
          ? hisMessage('E1001', 'more', { first: first.message, count: unique.length - 1, rest })
          : first.message;
      throw new FlowError('ValidationError', RESULT.validation, message, first.field);
    },
  };
  compiledEntries.set(catalogue, compiled);
  return catalogue;
}

/** A field path and its Chinese title, for messages about a value that is not one Ajv error. */
function fieldNamed(instancePath: string, root: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): { field: string; title: string } {
  const schema = subSchema(root, instancePath, resolve);
  return { field: fieldPath(instancePath) || '(data)', title: schema?.title ? `（${String(schema.title)}）` : '' };
}
