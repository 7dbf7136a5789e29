/**
 * The HIS programmer's field reference, generated from the service catalogue (a field's rule is written
 * once, there). `medbill docs` writes docs/reference/services.md; a test keeps it current.
 */
import type { Catalogue, JsonSchema } from './catalogue';

function typeText(s: JsonSchema): string {
  if (s.decimal) {
    const [p, d] = s.decimal as [number, number];
    return `数字 Number(${p},${d})`;
  }
  if (s.format === 'datetime17') return '字符 yyyyMMddHHmmssSSS';
  if (s.format === 'date8') return '字符 yyyyMMdd';
  if (s.format === 'date10') return '字符 yyyy-MM-dd';
  if (s.type === 'array') return '列表';
  if (s.type === 'integer') return '整数';
  if (s.type === 'string') return s.maxLength ? `字符 String(${String(s.maxLength)})` : '字符';
  return String(s.type ?? '');
}

const CONTROL_DOC: Record<string, string> = { tab: '制表符', newline: '换行符（LF）', cr: '回车符（CR）' };

function ruleText(s: JsonSchema): string {
  const parts: string[] = [];
  if (s.enum) parts.push(`取值 ${(s.enum as unknown[]).join(' / ')}`);
  if (s.minItems) parts.push(`至少 ${String(s.minItems)} 条`);
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
  }
  const out = rows.length ? ['| 字段 | 名称 | 类型 | 必填 | 规则 |', '|---|---|---|---|---|', ...rows] : [];
  for (const [label, items] of nested) {
    const sub = table(cat, items, '');
    if (sub.length) out.push('', `**${label}**`, '', ...sub);
  }
  return out;
}

export function catalogueMarkdown(cat: Catalogue): string {
  const lines = [
    '# 服务接口字段说明 (generated from config/catalogue — do not edit; run `medbill docs`)',
    '',
    '每个服务：`POST http://HOST:17001/medical-web/api/medical/{serviceId}`，请求体为博思 v3.2.0 信封',
    '`{appid, data, noise, version, sign}`；`data` 为下表业务参数 JSON 的 Base64。SOAP 见 docs/guides/his-soap.md。',
    '金额可传数字或字符串；必填字符串不能为空；校验失败返回 E1001 并指出字段路径与规则，金额不平返回 E1002。',
    '所有字符串字段都不能含：不成对的 UTF-16 代理项、控制字符（C0/C1、DEL；规则栏注明允许的除外）、Unicode 非字符（U+FFFE、U+FFFF 等）、',
    '双向文本嵌入/覆盖/隔离控制符（U+202A–U+202E、U+2066–U+2069）；E1001 指出字段、字符（U+XXXX）及其位置。列表条数超过上限时直接拒绝，不逐条校验。',
    '',
  ];
  for (const e of [...cat.services.values()].sort((a, b) => a.service.localeCompare(b.service))) {
    lines.push(`## ${e.service} — ${e.title}`, '');
    if (e.limits?.bodyBytes) lines.push(`请求体不能超过 ${e.limits.bodyBytes} 字节（超过时返回 E0003）。`, '');
    lines.push('请求参数（data）：', '', ...table(cat, e.request), '');
    if (e.response && cat.resolve(e.response).type === 'object') lines.push('返回（message 解码后）：', '', ...table(cat, e.response), '');
    else if (e.response) lines.push(`返回：${String(e.response.title ?? '成功文本')}`, '');
  }
  return [...lines, ...codeTablesMarkdown(cat)].join('\n');
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
