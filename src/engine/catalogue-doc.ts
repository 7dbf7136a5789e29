/**
 * The HIS programmer's field reference, generated from the service catalogue (a field's rule is written
 * once, there). `medbill docs` writes docs/reference/services.md; a test keeps it current.
 */
import type { Catalogue, JsonSchema, ServiceEntry } from './catalogue';
import { HIS_CODES, HisCodeSpec, RetryAdvice } from './codes';

/** What the HIS does with each retry advice of the code table, in the HIS programmer's words. */
export const RETRY_ZH: Record<RetryAdvice, string> = {
  no: '不要原样重发：按信息修改请求（或无需处理）',
  same: '稍后用相同请求（相同 busNo）重发',
  query: '先用 getEBillByBusNo 查询，未开具时再用相同 busNo 重发',
};

/** Codes any service can answer: the envelope, the field rules, the limits and faults of the platform. */
const EVERY_SERVICE = ['S0000', 'E0001', 'E0002', 'E0003', 'E0004', 'E0005', 'E0006', 'E0007', 'E1001', 'E3002', 'E3003', 'E9999'];
/** What issuing adds (catalogue entries with `issues:`): amounts, busNo, stock, signing. */
const ISSUING = ['E1002', 'E2001', 'E2003', 'E2004', 'E3001'];

/**
 * The codes a service can answer, in table order: those of every service, those of issuing, and those
 * its flow tests and conformance file show it answering (`tested`, gathered by the caller from the
 * repository's data, so a new service's own codes appear without code changes).
 */
function codesOf(e: ServiceEntry, tested: ReadonlySet<string> = new Set()): string[] {
  const want = new Set([...EVERY_SERVICE, ...(e.issues ? ISSUING : []), ...tested]);
  return Object.keys(HIS_CODES).filter((c) => want.has(c));
}

/** Result codes seen per service in tests, by serviceId (see docs.ts: flow tests and conformance files). */
export type TestedCodes = ReadonlyMap<string, ReadonlySet<string>>;

function typeText(s: JsonSchema): string {
  if (s.decimal) {
    const [p, d] = s.decimal as [number, number];
    return `数字 Number(${p},${d})`;
  }
  if (s.format === 'datetime17') return '字符 yyyyMMddHHmmssSSS';
  if (s.format === 'date8') return '字符 yyyyMMdd';
  if (s.format === 'date10') return '字符 yyyy-MM-dd';
  if (s.type === 'array') return '列表';
  if (s.type === 'object' || s.properties) return '对象';
  if (s.type === 'number') return '数字';
  if (s.type === 'boolean') return '布尔';
  if (s.type === 'integer') return '整数';
  if (s.type === 'string') return s.maxLength ? `字符 String(${String(s.maxLength)})` : '字符';
  return String(s.type ?? '');
}

const CONTROL_DOC: Record<string, string> = { tab: '制表符', newline: '换行符（LF）', cr: '回车符（CR）' };

function ruleText(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.enum) parts.push(`取值 ${(s.enum as unknown[]).join(' / ')}`);
  if (s.minItems) parts.push(`至少 ${String(s.minItems)} 条`);
  if (s.minimum !== undefined) parts.push(`不小于 ${String(s.minimum)}`);
  if (s.maximum !== undefined) parts.push(`不大于 ${String(s.maximum)}`);
  if (s.pattern) parts.push(`格式 /${String(s.pattern)}/`);
  if (s.maxItems) parts.push(`至多 ${String(s.maxItems)} 条`);
  if (s.codeTable) parts.push(`代码表 ${String(s.codeTable)}`);
  if (s.identifier) parts.push('标识符：不能含零宽等不可见字符，空白只允许普通空格');
  if (Array.isArray(s.allowControls) && s.allowControls.length) parts.push(`可含${(s.allowControls as string[]).map((c) => CONTROL_DOC[c] ?? c).join('、')}`);
  return parts.join('；');
}

function table(cat: Catalogue, schema: JsonSchema, prefix = ''): string[] {
  const s = cat.resolve(schema);
  const required = new Set((s.required as string[] | undefined) ?? []);
  const rows: string[] = [];
  const nested: [string, JsonSchema][] = [];
  for (const [name, raw] of Object.entries((s.properties as Record<string, JsonSchema>) ?? {})) {
    const p = cat.resolve(raw);
    rows.push(`| ${prefix}${name} | ${String(p.title ?? '')} | ${typeText(p)} | ${required.has(name) ? '是' : ''} | ${ruleText(p)} |`);
    if (p.type === 'array' && p.items) nested.push([`${prefix}${name}[]`, p.items as JsonSchema]);
    else if (p.properties) nested.push([`${prefix}${name}`, p]);
  }
  const out = rows.length ? ['| 字段 | 名称 | 类型 | 必填 | 规则 |', '|---|---|---|---|---|', ...rows] : [];
  for (const [label, items] of nested) {
    const sub = table(cat, items, '');
    if (sub.length) out.push('', `**${label}**`, '', ...sub);
  }
  return out;
}

export function catalogueMarkdown(cat: Catalogue, tested: TestedCodes = new Map()): string {
  const lines = [
    '# 服务接口字段说明 (generated from config/catalogue — do not edit; run `medbill docs`)',
    '',
    '每个服务：`POST http://HOST:17001/medical-web/api/medical/{serviceId}`，请求体为博思 v3.2.0 信封',
    '`{appid, data, noise, version, sign}`；`data` 为下表业务参数 JSON 的 Base64。SOAP 见 docs/guides/his-soap.md。',
    '金额可传数字或字符串；必填字符串不能为空；校验失败返回 E1001 并指出字段路径与规则，金额不平返回 E1002。',
    '所有字符串字段都不能含：不成对的 UTF-16 代理项、控制字符（C0/C1、DEL；规则栏注明允许的除外）、Unicode 非字符（U+FFFE、U+FFFF 等）、',
    '双向文本嵌入/覆盖/隔离控制符（U+202A–U+202E、U+2066–U+2069）；E1001 指出字段、字符（U+XXXX）及其位置。列表条数超过上限时直接拒绝，不逐条校验。',
    `共 ${cat.services.size} 个服务。每个服务列出它可能返回的结果代码；每个代码是否可以重试见文末“结果代码与重试”（与 docs/reference/errors.md 同源：src/engine/codes.ts）。`,
    'OpenAPI 3.1 描述：`GET http://HOST:17001/medical-web/openapi.json`（docs/reference/openapi.json）；WSDL：`…/medical-web/ws/EBillService?wsdl`。',
    '',
    '| 服务 | 名称 | 类别 |',
    '|---|---|---|',
    ...[...cat.services.values()].sort((a, b) => a.service.localeCompare(b.service)).map((e) => `| [${e.service}](#${e.service.toLowerCase()}) | ${e.title} | ${e.category} |`),
    '',
  ];
  for (const e of [...cat.services.values()].sort((a, b) => a.service.localeCompare(b.service))) {
    lines.push(`## ${e.service} — ${e.title}`, '');
    if (e.limits?.bodyBytes) lines.push(`请求体不能超过 ${e.limits.bodyBytes} 字节（超过时返回 E0003）。`, '');
    lines.push('请求参数（data）：', '', ...table(cat, e.request), '');
    if (e.response && cat.resolve(e.response).type === 'object') lines.push('返回（message 解码后）：', '', ...table(cat, e.response), '');
    else if (e.response) lines.push(`返回：${String(e.response.title ?? '成功文本')}`, '');
    const codes = HIS_CODES as Record<string, HisCodeSpec>;
    lines.push(`结果代码：${codesOf(e, tested.get(e.service)).map((c) => `${c} ${codes[c].title}（${c === 'S0000' ? '成功' : `重试：${codes[c].retry}`}）`).join('；')}。`, '');
    if (e.issues) lines.push(`开票服务：业务类型 busType ${e.issues.busType}，票据种类 ${e.issues.billKind}；同一 busNo 重发返回同一张票据。SOAP 另有类型化操作 ${e.service}Typed。`, '');
  }
  return [...lines, ...resultCodesMarkdown(), ...codeTablesMarkdown(cat)].join('\n');
}

/** Every result code a HIS may receive, with what to do about it. */
function resultCodesMarkdown(): string[] {
  const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const table = HIS_CODES as Record<string, HisCodeSpec>;
  return [
    '## 结果代码与重试',
    '',
    '`result` 的全部取值。重试：no = ' + RETRY_ZH.no + '；same = ' + RETRY_ZH.same + '；query = ' + RETRY_ZH.query + '。',
    '',
    '| 代码 | 名称 | 重试 | 说明 |',
    '|---|---|---|---|',
    ...Object.entries(table).map(([c, spec]) => `| ${c} | ${cell(spec.title)} | ${spec.retry}：${RETRY_ZH[spec.retry]} | ${cell(spec.doc)} |`),
    '',
  ];
}

/** The code tables (config/codes): what each code means, and which tables are closed (enforced). */
function codeTablesMarkdown(cat: Catalogue): string[] {
  if (!cat.codeTables.size) return [];
  const cell = (t: string) => t.replace(/\|/g, '\\|');
  const lines = [
    '## 代码表（config/codes）',
    '',
    '标注“封闭”的代码表只接受列出的代码，其他取值返回 E1001；其余代码表为说明，HIS 可以发送自己的编码，由平台对照，不做校验。',
    '',
  ];
  for (const t of [...cat.codeTables.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`### ${t.name}${t.closed ? '（封闭）' : ''}`, '', t.description, '');
    if (t.source) lines.push(`来源：${t.source}`, '');
    lines.push('| 代码 | 名称 | 说明 |', '|---|---|---|', ...t.codes.map((c) => `| ${cell(c.code)} | ${cell(c.name)} | ${cell(c.note ?? '')} |`), '');
  }
  return lines;
}
