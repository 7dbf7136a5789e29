/**
 * OpenAPI 3.1 description of the HIS JSON channel, generated from the service catalogue and the code
 * table (nothing is written twice): one POST path per serviceId taking the Bosssoft envelope, whose
 * `data` is Base64 of that service's business request (described with contentMediaType/contentSchema,
 * JSON Schema 2020-12), and whose answer carries `result` (a code of src/engine/codes.ts) and the Base64
 * business response or Chinese error text. `medbill openapi` writes docs/reference/openapi.json; the
 * server serves it at GET /<servicePath>/openapi.json with its own URL.
 *
 * The catalogue's own keywords are not JSON Schema: `decimal` becomes number-or-numeric-string with a
 * pattern, formats become patterns, and the rest (codeTable, identifier, allowControls…) are kept as
 * `x-` extensions so nothing the HIS programmer should know is lost.
 */
import type { Catalogue, JsonSchema } from '../../../src/engine/catalogue';
import { HIS_CODES, HisCodeSpec } from '../../../src/engine/codes';

const FORMAT_PATTERNS: Record<string, { pattern: string; doc: string }> = {
  datetime17: { pattern: '^\\d{17}$', doc: 'yyyyMMddHHmmssSSS' },
  date8: { pattern: '^(\\d{8}|\\d{4}-\\d{2}-\\d{2})$', doc: 'yyyyMMdd（也接受 yyyy-MM-dd）' },
  date10: { pattern: '^\\d{4}-\\d{2}-\\d{2}$', doc: 'yyyy-MM-dd' },
};

/** JSON Schema 2020-12 keywords passed through as they are; anything else becomes `x-<name>`. */
const STANDARD = new Set([
  'type', 'title', 'description', 'enum', 'const', 'properties', 'required', 'items', 'minItems', 'maxItems',
  'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'pattern',
  'additionalProperties', 'oneOf', 'anyOf', 'allOf', 'default', 'examples', 'multipleOf', 'uniqueItems',
]);
/** Added by the catalogue loader for every string: the rule is described once, in info.description. */
const DROPPED = new Set(['$id', '$defs', 'signable', 'notBlank', 'allowEmpty', 'x-doc']);

function refName(ref: string): string {
  const m = /#\/\$defs\/(.+)$/.exec(ref);
  if (!m) throw new Error(`openapi: unsupported $ref ${ref}`);
  return m[1];
}

/** One catalogue schema → a JSON Schema 2020-12 schema (components refs for shared definitions). */
export function toJsonSchema(s: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  const notes: string[] = [];
  for (const [k, v] of Object.entries(s)) {
    if (DROPPED.has(k)) continue;
    if (k === '$ref') out.$ref = `#/components/schemas/${refName(String(v))}`;
    else if (k === 'decimal') {
      const [p, sc] = v as [number, number];
      out.type = ['number', 'string'];
      out.pattern = `^-?\\d{1,${p - sc}}(\\.\\d{1,${sc}})?$`;
      out['x-decimal'] = [p, sc];
      notes.push(`金额/数字 Number(${p},${sc})：可传 JSON 数字或数字字符串，至多 ${sc} 位小数`);
    } else if (k === 'format' && FORMAT_PATTERNS[String(v)]) {
      out.pattern = FORMAT_PATTERNS[String(v)].pattern;
      out['x-format'] = v;
      notes.push(`格式 ${FORMAT_PATTERNS[String(v)].doc}`);
    } else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Record<string, JsonSchema>).map(([n, p]) => [n, toJsonSchema(p)]));
    else if (k === 'items') out.items = toJsonSchema(v as JsonSchema);
    else if (STANDARD.has(k)) out[k] = v;
    else out[k.startsWith('x-') ? k : `x-${k}`] = v;
  }
  if (notes.length) out.description = [out.description, ...notes].filter(Boolean).join('；');
  return out;
}

const ENVELOPE_REQUEST: JsonSchema = {
  type: 'object',
  title: '博思 v3.2.0 请求信封',
  required: ['appid', 'data', 'noise', 'version', 'sign'],
  properties: {
    appid: { type: 'string', description: '调用方应用账号（平台分配）' },
    data: { type: 'string', contentEncoding: 'base64', contentMediaType: 'application/json', description: '业务参数：业务 JSON 文本的 UTF-8 字节做标准 Base64' },
    noise: { type: 'string', description: '每次请求唯一的随机串（建议 UUID）' },
    version: { type: 'string', const: '1.0', description: '版本号，固定 1.0' },
    sign: { type: 'string', pattern: '^[0-9A-F]{32}$', description: '签名：MD5("appid=…&data=…&noise=…&key=…&version=…") 的大写十六进制' },
  },
};

const ENVELOPE_RESPONSE: JsonSchema = {
  type: 'object',
  title: '博思 v3.2.0 响应信封',
  required: ['data', 'noise', 'sign'],
  properties: {
    data: { type: 'string', contentEncoding: 'base64', contentMediaType: 'application/json', contentSchema: { $ref: '#/components/schemas/Result' }, description: 'Base64 的 JSON {result, message}' },
    noise: { type: 'string', description: '响应随机串' },
    sign: { type: 'string', description: '响应签名（与请求相同算法，调用方 appid 与 key，version=1.0）' },
  },
};

function codesSchema(): JsonSchema {
  const table = HIS_CODES as Record<string, HisCodeSpec>;
  const codes = Object.keys(table);
  return {
    type: 'string',
    title: '结果代码',
    enum: codes,
    description: `S0000 成功；其它为失败，message 为中文错误信息。retry：no 修改请求后再发，same 稍后原样重发，query 先用 getEBillByBusNo 查询。\n\n${codes
      .map((c) => `- ${c} ${table[c].title}（retry: ${table[c].retry}）`)
      .join('\n')}`,
    'x-codes': Object.fromEntries(codes.map((c) => [c, { title: table[c].title, class: table[c].class, retry: table[c].retry, doc: table[c].doc }])),
  };
}

export interface OpenApiOptions {
  /** the server's base URL (served copies); the committed file uses a placeholder */
  serverUrl?: string;
  servicePath?: string;
  version?: string;
}

export function generateOpenApi(cat: Catalogue, o: OpenApiOptions = {}): Record<string, unknown> {
  const servicePath = o.servicePath ?? 'medical-web';
  const schemas: Record<string, JsonSchema> = {
    EnvelopeRequest: ENVELOPE_REQUEST,
    EnvelopeResponse: ENVELOPE_RESPONSE,
    ResultCode: codesSchema(),
    Result: {
      type: 'object',
      required: ['result', 'message'],
      properties: {
        result: { $ref: '#/components/schemas/ResultCode' },
        message: { type: 'string', contentEncoding: 'base64', description: '成功时为 Base64 的业务结果（JSON 或成功文本），失败时为 Base64 的中文错误信息（指明字段与规则）' },
      },
    },
  };
  for (const [name, def] of Object.entries(((cat.common.$defs ?? {}) as Record<string, JsonSchema>))) schemas[name] = toJsonSchema(def);
  const paths: Record<string, unknown> = {};
  for (const e of [...cat.services.values()].sort((a, b) => (a.service < b.service ? -1 : 1))) {
    const req = `${e.service}Request`;
    const res = `${e.service}Response`;
    schemas[req] = { ...toJsonSchema(e.request), title: `${e.title}：业务参数` };
    schemas[res] = e.response ? { ...toJsonSchema(e.response), title: `${e.title}：返回` } : { type: 'string', title: '成功文本' };
    const envelopeOf = (schema: string, base: string, field: 'data' | 'message'): JsonSchema => ({
      allOf: [{ $ref: `#/components/schemas/${base}` }],
      description: `${field === 'data' ? 'data' : 'data → message'} 解码后为 ${schema}`,
      'x-business-schema': `#/components/schemas/${schema}`,
    });
    paths[`/${servicePath}/api/medical/${e.service}`] = {
      post: {
        operationId: e.service,
        summary: e.title,
        tags: [e.category],
        description: `业务参数见 ${req}（data 为其 JSON 的 Base64）；成功时 message 解码后为 ${res}。${e.issues ? `开票服务（busType ${e.issues.busType}）：同一 busNo 重发返回同一张票据。` : ''}${e.limits?.bodyBytes ? `请求体不超过 ${e.limits.bodyBytes} 字节。` : ''}`,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                ...envelopeOf(req, 'EnvelopeRequest', 'data'),
                properties: { data: { type: 'string', contentEncoding: 'base64', contentMediaType: 'application/json', contentSchema: { $ref: `#/components/schemas/${req}` } } },
              },
            },
            'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/EnvelopeRequest' } },
          },
        },
        responses: {
          '200': {
            description: '签名的响应信封（业务失败也是 HTTP 200，result 不为 S0000）',
            content: { 'application/json': { schema: { ...envelopeOf(res, 'EnvelopeResponse', 'message'), 'x-success-message-schema': `#/components/schemas/${res}` } } },
          },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'medbill 医疗电子票据管理平台 HIS 接口（兼容博思 v3.2.0）',
      version: o.version ?? '3.2.0',
      description:
        '每个服务 POST 一个博思信封 {appid, data, noise, version, sign}；data 是业务参数 JSON 的 Base64，sign 为 MD5 签名。' +
        '所有字符串字段不能含不成对的代理项、控制字符、Unicode 非字符和双向文本控制符；必填字符串不能为空。字段规则见 docs/reference/services.md。' +
        '（Generated from config/catalogue by `medbill openapi` — do not edit.）',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: o.serverUrl ?? 'http://HOST:17001' }],
    paths,
    components: { schemas },
  };
}

export function openApiText(cat: Catalogue, o: OpenApiOptions = {}): string {
  return JSON.stringify(generateOpenApi(cat, o), null, 2) + '\n';
}
