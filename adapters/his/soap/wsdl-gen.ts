/**
 * Generates wsdl/EBillService.wsdl from the service catalogue (a field's rule is written once, there): WSDL 1.1,
 * document/literal wrapped, one inline XSD, SOAP 1.1 and SOAP 1.2 bindings, one service.
 *
 * - every serviceId → an envelope-style operation: the Bosssoft envelope fields as strings, so existing
 *   HIS signing code is reused unchanged;
 * - every issuance service (`issues:` set) → also `<serviceId>Typed`, whose request carries the business
 *   fields as XML (authenticated by a WS-Security UsernameToken, see docs/guides/his-soap.md).
 *
 * The output is a pure function of the catalogue (sorted operations, sorted shared types, no dates), so
 * it is committed and a test compares it with a fresh generation.
 */
import type { Catalogue } from '../../../src/engine/catalogue';
import {
  ADDRESS_PLACEHOLDER,
  ENVELOPE_REQUEST_FIELDS,
  ENVELOPE_RESPONSE_FIELDS,
  Field,
  SERVICE_NAME,
  SoapOperation,
  soapOperations,
  TNS,
} from './operations';
import { escAttr, escText } from './xml';

const NS = {
  wsdl: 'http://schemas.xmlsoap.org/wsdl/',
  soap: 'http://schemas.xmlsoap.org/wsdl/soap/',
  soap12: 'http://schemas.xmlsoap.org/wsdl/soap12/',
  xs: 'http://www.w3.org/2001/XMLSchema',
  http: 'http://schemas.xmlsoap.org/soap/http',
};

const PATTERNS: Record<string, { pattern: string; doc: string }> = {
  datetime17: { pattern: '\\d{17}', doc: 'yyyyMMddHHmmssSSS' },
  date8: { pattern: '\\d{8}|\\d{4}-\\d{2}-\\d{2}', doc: 'yyyyMMdd' },
  date10: { pattern: '\\d{4}-\\d{2}-\\d{2}', doc: 'yyyy-MM-dd' },
};

const ENVELOPE_DOC: Record<string, string> = {
  appid: '调用方应用账号（平台分配）',
  data: '业务参数：业务 JSON 文本的 UTF-8 字节做标准 Base64',
  noise: '每次请求唯一的随机串（建议 UUID）',
  version: '版本号，固定 1.0',
  sign: '签名：MD5("appid=…&data=…&noise=…&key=…&version=…") 的大写十六进制',
};
const ENVELOPE_RESPONSE_DOC: Record<string, string> = {
  data: '结果：Base64 的 JSON {result, message}；result 为 S0000 表示成功，message 为 Base64 的业务结果或中文错误信息',
  noise: '响应随机串',
  sign: '响应签名（与请求相同算法，使用调用方 appid 与 key，version=1.0）',
};

class Out {
  readonly lines: string[] = [];
  line(depth: number, text: string): void {
    this.lines.push('  '.repeat(depth) + text);
  }
  doc(depth: number, text: string | undefined, tag = 'xs:annotation'): void {
    if (!text) return;
    if (tag === 'xs:annotation') this.line(depth, `<xs:annotation><xs:documentation>${escText(text)}</xs:documentation></xs:annotation>`);
    else this.line(depth, `<wsdl:documentation>${escText(text)}</wsdl:documentation>`);
  }
}

function fieldDoc(f: Field): string | undefined {
  const parts: string[] = [];
  if (f.title) parts.push(f.title);
  const fmt = f.schema.format as string | undefined;
  if (fmt && PATTERNS[fmt]) parts.push(`格式 ${PATTERNS[fmt].doc}`);
  if (f.schema.codeTable) parts.push(`代码表 ${String(f.schema.codeTable)}`);
  if (f.repeated) parts.push(f.maxItems !== undefined ? `可重复，${f.minItems ?? 0}–${f.maxItems} 条` : '可重复');
  return parts.length ? parts.join('；') : undefined;
}

/** The XSD base type and facets of a scalar field (no facets: the built-in type says it all). */
function restriction(f: Field, where: string): { base: string; facets: string[] } {
  const s = f.schema;
  const facets: string[] = [];
  switch (f.kind) {
    case 'string': {
      if (s.enum) for (const v of s.enum as unknown[]) facets.push(`<xs:enumeration value="${escAttr(String(v))}"/>`);
      if (s.minLength !== undefined) facets.push(`<xs:minLength value="${Number(s.minLength)}"/>`);
      if (s.maxLength !== undefined) facets.push(`<xs:maxLength value="${Number(s.maxLength)}"/>`);
      const fmt = s.format as string | undefined;
      if (fmt) {
        if (!PATTERNS[fmt]) throw new Error(`${where}: format ${fmt} has no XSD pattern (add it to PATTERNS in wsdl-gen.ts)`);
        facets.push(`<xs:pattern value="${escAttr(PATTERNS[fmt].pattern)}"/>`);
      }
      if (s.pattern) facets.push(`<xs:pattern value="${escAttr(String(s.pattern))}"/>`);
      return { base: 'xs:string', facets };
    }
    case 'decimal': {
      const [p, sc] = s.decimal as [number, number];
      facets.push(`<xs:totalDigits value="${p}"/>`, `<xs:fractionDigits value="${sc}"/>`);
      return { base: 'xs:decimal', facets };
    }
    case 'integer':
    case 'number': {
      if (s.minimum !== undefined) facets.push(`<xs:minInclusive value="${Number(s.minimum)}"/>`);
      if (s.maximum !== undefined) facets.push(`<xs:maxInclusive value="${Number(s.maximum)}"/>`);
      // xs:long, not xs:integer: stub generators turn xs:integer into BigInteger for a sequence number.
      return { base: f.kind === 'integer' ? 'xs:long' : 'xs:decimal', facets };
    }
    case 'boolean':
      return { base: 'xs:boolean', facets };
    default:
      throw new Error(`${where}: not a scalar`);
  }
}

function occurs(f: Field, forceOptional: boolean): string {
  let min = f.required && !forceOptional ? 1 : 0;
  // A required list may be empty unless minItems says otherwise; in XML an empty list is no element.
  if (f.repeated && min === 1) min = Math.min(1, f.minItems ?? 0);
  // maxItems is checked (with a Chinese message) by the catalogue; a large maxOccurs makes some
  // validators (Xerces) build huge automata, so repeated elements are unbounded here.
  return (min === 1 ? '' : ` minOccurs="${min}"`) + (f.repeated ? ' maxOccurs="unbounded"' : '');
}

function fieldElement(out: Out, depth: number, f: Field, where: string, forceOptional = false): void {
  const at = `${where}.${f.name}`;
  const head = `<xs:element name="${f.name}"`;
  const occ = occurs(f, forceOptional);
  const doc = fieldDoc(f);
  // An element of a named type: empty, or holding only its documentation.
  const typed = (type: string): void => {
    if (!doc) return out.line(depth, `${head} type="${type}"${occ}/>`);
    out.line(depth, `${head} type="${type}"${occ}>`);
    out.doc(depth + 1, doc);
    out.line(depth, '</xs:element>');
  };
  if (f.kind === 'object') {
    if (f.defName) return typed(`tns:${f.defName}`);
    out.line(depth, `${head}${occ}>`);
    out.doc(depth + 1, doc);
    out.line(depth + 1, '<xs:complexType>');
    sequence(out, depth + 2, f.children ?? [], at);
    out.line(depth + 1, '</xs:complexType>');
    out.line(depth, '</xs:element>');
    return;
  }
  const { base, facets } = restriction(f, at);
  if (!facets.length) return typed(base);
  out.line(depth, `${head}${occ}>`);
  out.doc(depth + 1, doc);
  out.line(depth + 1, `<xs:simpleType><xs:restriction base="${base}">${facets.join('')}</xs:restriction></xs:simpleType>`);
  out.line(depth, '</xs:element>');
}

function sequence(out: Out, depth: number, fields: Field[], where: string, forceOptional = false): void {
  if (!fields.length) {
    out.line(depth, '<xs:sequence/>');
    return;
  }
  out.line(depth, '<xs:sequence>');
  for (const f of fields) fieldElement(out, depth + 1, f, where, forceOptional);
  out.line(depth, '</xs:sequence>');
}

/** Shared object types (`$defs`) used by typed operations, by name. */
function sharedTypes(ops: SoapOperation[]): Map<string, Field> {
  const found = new Map<string, Field>();
  const walk = (fields: Field[]) => {
    for (const f of fields) {
      if (f.kind !== 'object') continue;
      if (f.defName && !found.has(f.defName)) found.set(f.defName, f);
      walk(f.children ?? []);
    }
  };
  for (const o of ops) {
    walk(o.request ?? []);
    walk(o.response ?? []);
  }
  return new Map([...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export const typedRequestType = (o: SoapOperation) => `${o.serviceId}Data`;
export const typedResultType = (o: SoapOperation) => `${o.serviceId}Result`;

export interface GenerateOptions {
  /** soap:address location; the committed file keeps the placeholder */
  address?: string;
}

export function generateWsdl(cat: Catalogue, opts: GenerateOptions = {}): string {
  const ops = soapOperations(cat);
  const typed = ops.filter((o) => o.style === 'typed');
  const shared = sharedTypes(ops);
  const typeNames = new Set<string>(['EnvelopeRequest', 'EnvelopeResponse']);
  const claim = (n: string) => {
    if (typeNames.has(n)) throw new Error(`XSD type name ${n} is used twice (a $defs name collides with a generated type)`);
    typeNames.add(n);
  };
  const address = opts.address ?? ADDRESS_PLACEHOLDER;
  const out = new Out();
  out.line(0, '<?xml version="1.0" encoding="UTF-8"?>');
  out.line(0, '<!-- Generated by `medbill wsdl` from config/catalogue/*.yaml: do not edit; change the catalogue and regenerate. -->');
  out.line(0, `<wsdl:definitions name="${SERVICE_NAME}" targetNamespace="${TNS}"`);
  out.line(2, `xmlns:wsdl="${NS.wsdl}" xmlns:soap="${NS.soap}" xmlns:soap12="${NS.soap12}"`);
  out.line(2, `xmlns:xs="${NS.xs}" xmlns:tns="${TNS}">`);
  out.doc(
    1,
    'medbill 医疗电子票据管理平台 HIS WebService（兼容博思 v3.2.0 接口）。每个 serviceId 一个信封式操作（appid/data/noise/version/sign，与 JSON 接口的签名完全相同）；开票服务另有 <serviceId>Typed 操作，以 XML 字段传业务参数，用 WS-Security UsernameToken（用户名 appid，PasswordDigest 用 key）认证。',
    'wsdl',
  );
  out.line(1, '<wsdl:types>');
  out.line(2, `<xs:schema targetNamespace="${TNS}" elementFormDefault="qualified">`);

  out.line(3, '<xs:complexType name="EnvelopeRequest">');
  out.doc(4, '博思 v3.2.0 请求信封');
  out.line(4, '<xs:sequence>');
  for (const n of ENVELOPE_REQUEST_FIELDS) {
    out.line(5, `<xs:element name="${n}" type="xs:string">`);
    out.doc(6, ENVELOPE_DOC[n]);
    out.line(5, '</xs:element>');
  }
  out.line(4, '</xs:sequence>');
  out.line(3, '</xs:complexType>');
  out.line(3, '<xs:complexType name="EnvelopeResponse">');
  out.doc(4, '博思 v3.2.0 响应信封');
  out.line(4, '<xs:sequence>');
  for (const n of ENVELOPE_RESPONSE_FIELDS) {
    out.line(5, `<xs:element name="${n}" type="xs:string">`);
    out.doc(6, ENVELOPE_RESPONSE_DOC[n]);
    out.line(5, '</xs:element>');
  }
  out.line(4, '</xs:sequence>');
  out.line(3, '</xs:complexType>');

  for (const [name, f] of shared) {
    claim(name);
    out.line(3, `<xs:complexType name="${name}">`);
    out.doc(4, f.schema.title as string | undefined);
    sequence(out, 4, f.children ?? [], name);
    out.line(3, '</xs:complexType>');
  }
  for (const o of typed) {
    claim(typedRequestType(o));
    out.line(3, `<xs:complexType name="${typedRequestType(o)}">`);
    out.doc(4, `${o.entry.title}：业务参数`);
    sequence(out, 4, o.request ?? [], o.name);
    out.line(3, '</xs:complexType>');
    claim(typedResultType(o));
    out.line(3, `<xs:complexType name="${typedResultType(o)}">`);
    out.doc(4, `${o.entry.title}：结果。result 为 S0000 时带业务字段，否则 message 为中文错误信息`);
    out.line(4, '<xs:sequence>');
    out.line(5, '<xs:element name="result" type="xs:string">');
    out.doc(6, '结果代码：S0000 成功，其它为失败');
    out.line(5, '</xs:element>');
    out.line(5, '<xs:element name="message" type="xs:string">');
    out.doc(6, '结果说明：成功时为“成功”，失败时为中文错误信息（指明字段与规则）');
    out.line(5, '</xs:element>');
    for (const f of o.response ?? []) fieldElement(out, 5, f, `${o.name}Response`, true);
    out.line(4, '</xs:sequence>');
    out.line(3, '</xs:complexType>');
  }

  // Wrapper elements. Typed requests wrap the business fields in one child so JAX-WS/.NET stubs take
  // one request object rather than one parameter per field (60 for outpatient).
  for (const o of ops) {
    if (o.style === 'envelope') {
      out.line(3, `<xs:element name="${o.name}" type="tns:EnvelopeRequest">`);
      out.doc(4, `${o.title}（请求信封）`);
      out.line(3, '</xs:element>');
      out.line(3, `<xs:element name="${o.name}Response" type="tns:EnvelopeResponse"/>`);
    } else {
      out.line(3, `<xs:element name="${o.name}">`);
      out.doc(4, o.title);
      out.line(4, `<xs:complexType><xs:sequence><xs:element name="request" type="tns:${typedRequestType(o)}"/></xs:sequence></xs:complexType>`);
      out.line(3, '</xs:element>');
      out.line(3, `<xs:element name="${o.name}Response">`);
      out.line(4, `<xs:complexType><xs:sequence><xs:element name="response" type="tns:${typedResultType(o)}"/></xs:sequence></xs:complexType>`);
      out.line(3, '</xs:element>');
    }
  }
  out.line(2, '</xs:schema>');
  out.line(1, '</wsdl:types>');

  for (const o of ops) {
    out.line(1, `<wsdl:message name="${o.name}Request"><wsdl:part name="parameters" element="tns:${o.name}"/></wsdl:message>`);
    out.line(1, `<wsdl:message name="${o.name}Response"><wsdl:part name="parameters" element="tns:${o.name}Response"/></wsdl:message>`);
  }

  out.line(1, `<wsdl:portType name="${SERVICE_NAME}PortType">`);
  for (const o of ops) {
    out.line(2, `<wsdl:operation name="${o.name}">`);
    out.doc(3, `${o.title}（serviceId ${o.serviceId}）`, 'wsdl');
    out.line(3, `<wsdl:input message="tns:${o.name}Request"/>`);
    out.line(3, `<wsdl:output message="tns:${o.name}Response"/>`);
    out.line(2, '</wsdl:operation>');
  }
  out.line(1, '</wsdl:portType>');

  for (const [v, prefix] of [
    ['11', 'soap'],
    ['12', 'soap12'],
  ] as const) {
    out.line(1, `<wsdl:binding name="${SERVICE_NAME}Soap${v}Binding" type="tns:${SERVICE_NAME}PortType">`);
    out.line(2, `<${prefix}:binding style="document" transport="${NS.http}"/>`);
    for (const o of ops) {
      out.line(2, `<wsdl:operation name="${o.name}">`);
      // The server dispatches on the body element; soapAction is informative and never required.
      out.line(3, `<${prefix}:operation soapAction="${TNS}/${o.name}" style="document"${prefix === 'soap12' ? ' soapActionRequired="false"' : ''}/>`);
      out.line(3, `<wsdl:input><${prefix}:body use="literal"/></wsdl:input>`);
      out.line(3, `<wsdl:output><${prefix}:body use="literal"/></wsdl:output>`);
      out.line(2, '</wsdl:operation>');
    }
    out.line(1, '</wsdl:binding>');
  }

  out.line(1, `<wsdl:service name="${SERVICE_NAME}">`);
  out.line(2, `<wsdl:port name="${SERVICE_NAME}Soap11" binding="tns:${SERVICE_NAME}Soap11Binding"><soap:address location="${escAttr(address)}"/></wsdl:port>`);
  out.line(2, `<wsdl:port name="${SERVICE_NAME}Soap12" binding="tns:${SERVICE_NAME}Soap12Binding"><soap12:address location="${escAttr(address)}"/></wsdl:port>`);
  out.line(1, '</wsdl:service>');
  out.line(0, '</wsdl:definitions>');
  return out.lines.join('\n') + '\n';
}
