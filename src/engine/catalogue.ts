/**
 * The service catalogue: one YAML file per Bosssoft serviceId under config/catalogue/,
 * each holding a JSON Schema for the request and the response. It is the single source for request
 * validation (here), the WSDL/XSD (adapters/his/soap) and the HIS programmer's docs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { decimalShape, decimalText } from '../domain/money';
import { isoDate, parseStamp17 } from '../domain/time';
import { FlowError, RESULT } from './errors';

export type JsonSchema = Record<string, unknown>;

export interface ServiceEntry {
  service: string;
  title: string;
  category: string;
  flow?: string;
  issues?: { busType: string; billKind: string };
  request: JsonSchema;
  response?: JsonSchema;
  file: string;
}

export interface Catalogue {
  services: Map<string, ServiceEntry>;
  common: JsonSchema;
  /** Validates (and coerces in place: numbers sent for string fields become strings) a request. */
  validate(service: string, data: unknown): void;
  /** Resolves a `$ref: common#/$defs/x` (for generators walking the schemas). */
  resolve(schema: JsonSchema): JsonSchema;
}

/**
 * Adds minLength 1 and notBlank to required strings: an empty required field is as missing as an
 * absent one, and so is one of spaces only (a payer of "   " would print a bill without a name).
 */
function requireNonEmpty(schema: JsonSchema): void {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  const required = (schema.required as string[] | undefined) ?? [];
  if (props) {
    for (const [name, p] of Object.entries(props)) {
      if (required.includes(name) && p.type === 'string' && p.minLength === undefined && !p.allowEmpty) {
        p.minLength = 1;
        p.notBlank = true;
      }
      requireNonEmpty(p);
    }
  }
  if (schema.items && typeof schema.items === 'object') requireNonEmpty(schema.items as JsonSchema);
  const defs = schema.$defs as Record<string, JsonSchema> | undefined;
  if (defs) for (const d of Object.values(defs)) requireNonEmpty(d);
}

export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, strict: false });
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
    // "" is minLength's to report; this catches what trim() would empty (spaces, tabs, U+3000).
    validate: (on: boolean, s: string): boolean => !on || s.length === 0 || s.trim() !== '',
  });
  for (const kw of ['codeTable', 'allowEmpty', 'x-doc']) ajv.addKeyword({ keyword: kw });
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

export function describeError(e: ErrorObject, root: JsonSchema, resolve: (s: JsonSchema) => JsonSchema): { field: string; message: string } {
  const missing = e.keyword === 'required' ? String((e.params as { missingProperty: string }).missingProperty) : undefined;
  const field = fieldPath(e.instancePath, missing) || '(data)';
  const schema = subSchema(root, missing ? `${e.instancePath}/${missing}` : e.instancePath, resolve);
  const title = schema?.title ? `（${String(schema.title)}）` : '';
  const name = `字段 ${field}${title}`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { field, message: `${name} 为必填项，不能缺失` };
    case 'minLength':
      return { field, message: Number(p.limit) === 1 ? `${name} 为必填项，不能为空` : `${name} 长度不能少于 ${String(p.limit)} 个字符` };
    case 'notBlank':
      return { field, message: `${name} 为必填项，不能为空（不能只有空格等空白字符）` };
    case 'maxLength':
      return { field, message: `${name} 长度不能超过 ${String(p.limit)} 个字符` };
    case 'decimal': {
      const spec = schema?.decimal as [number, number] | undefined;
      const rule = spec ? `，最多 ${spec[0] - spec[1]} 位整数、${spec[1]} 位小数` : '';
      return { field, message: `${name} 必须是数字${rule}` };
    }
    case 'format':
      return { field, message: `${name} 格式错误，应为 ${FORMAT_ZH[String(p.format)] ?? String(p.format)}，且须为有效日期时间` };
    case 'type':
      return { field, message: `${name} 类型错误，应为${typeZh(String(p.type))}` };
    case 'enum':
      return { field, message: `${name} 取值无效，允许的值：${(p.allowedValues as unknown[]).join('、')}` };
    case 'minItems':
      return { field, message: `${name} 至少需要 ${String(p.limit)} 条` };
    case 'maxItems':
      return { field, message: `${name} 不能超过 ${String(p.limit)} 条` };
    case 'minimum':
      return { field, message: `${name} 不能小于 ${String(p.limit)}` };
    case 'maximum':
      return { field, message: `${name} 不能大于 ${String(p.limit)}` };
    default:
      return { field, message: `${name} 不符合规则 ${e.keyword}` };
  }
}

function typeZh(t: string): string {
  return (
    { string: '字符串', integer: '整数', number: '数字', array: '列表（JSON 数组）', object: '对象（JSON 对象）', boolean: '布尔值' } as Record<string, string>
  )[t] ?? t;
}

export function loadCatalogue(dir: string): Catalogue {
  const ajv = createAjv();
  const common = parse(readFileSync(path.join(dir, 'common.schema.yaml'), 'utf8')) as JsonSchema;
  requireNonEmpty(common);
  ajv.addSchema(common);
  const services = new Map<string, ServiceEntry>();
  const validators = new Map<string, ValidateFunction>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.yaml') && n !== 'common.schema.yaml').sort()) {
    const file = path.join(dir, f);
    const entry = parse(readFileSync(file, 'utf8')) as ServiceEntry;
    entry.file = file;
    if (entry.service !== path.basename(f, '.yaml')) throw new Error(`${file}: service '${entry.service}' must equal the file name`);
    requireNonEmpty(entry.request);
    services.set(entry.service, entry);
    try {
      validators.set(entry.service, ajv.compile({ ...entry.request, $id: `https://medbill.local/catalogue/${entry.service}` }));
    } catch (e) {
      throw new Error(`${file}: request schema does not compile: ${(e as Error).message}`);
    }
  }
  const defs = common.$defs as Record<string, JsonSchema>;
  const resolve = (s: JsonSchema): JsonSchema => {
    const ref = s.$ref as string | undefined;
    if (!ref) return s;
    const m = /^common#\/\$defs\/(.+)$/.exec(ref);
    if (!m || !defs[m[1]]) throw new Error(`unresolvable $ref ${ref}`);
    return { ...defs[m[1]], ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
  };
  return {
    services,
    common,
    resolve,
    validate(service, data) {
      const v = validators.get(service);
      if (!v) throw new FlowError('ValidationError', RESULT.unknownService, `服务 ${service} 不存在`);
      if (typeof data !== 'object' || data === null || Array.isArray(data))
        throw new FlowError('ValidationError', RESULT.validation, '业务参数 data 必须是 JSON 对象', 'data');
      if (!v(data)) {
        const root = services.get(service)!.request;
        // Report the first error in document order; list the rest so a HIS programmer fixes them in one go.
        const described = (v.errors ?? []).map((e) => describeError(e, root, resolve));
        const unique = [...new Map(described.map((d) => [d.message, d])).values()];
        const first = unique[0];
        const more = unique.length > 1 ? `；另有 ${unique.length - 1} 处错误：` + unique.slice(1, 6).map((d) => d.message).join('；') : '';
        throw new FlowError('ValidationError', RESULT.validation, first.message + more, first.field);
      }
    },
  };
}
