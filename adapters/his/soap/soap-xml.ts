/**
 * Lean document/literal SOAP 1.1 + 1.2 on fast-xml-parser: read an envelope into a namespace-resolved
 * tree, write responses and faults in the version the request used. Hand-rolled rather than node-soap
 * because node-soap fixes the SOAP version per server (forceSoap12Headers) and we answer 1.1 and 1.2
 * at one URL, and because we need the raw XML, the refusals and the faults under our own control.
 *
 * Safety: the caller refuses `<!DOCTYPE`/`<!ENTITY` before this parser sees the text (no entity is
 * ever expanded); the structure is checked by XMLValidator (the parser alone is lenient), and entity
 * references are decoded here, strictly: the five XML entities and character references, nothing else.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { TNS } from './operations';
import { xmlText } from './xml';

export type SoapVersion = '1.1' | '1.2';
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

export interface XNode {
  local: string;
  /** resolved namespace URI ('' when unqualified) */
  ns: string;
  /** attributes by local name (xmlns declarations excluded), with their namespace */
  attrs: { local: string; ns: string; value: string }[];
  children: XNode[];
  /** concatenated character data of this element (not of its descendants) */
  text: string;
}

export class XmlError extends Error {}

/** Deeper than any call needs (Envelope/Body/operation/request/list/field is 6). */
const MAX_DEPTH = 64;
const TOO_DEEP = `XML 嵌套层级过深（超过 ${MAX_DEPTH} 层）`;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: false,
  cdataPropName: '#cdata',
  // The parser's own depth limit, at ours: it then stops early instead of building 100 levels first.
  maxNestedTags: MAX_DEPTH,
});

const ENTITY = /&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z][A-Za-z0-9._-]*);|&/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY, (m, ref: string | undefined) => {
    if (!ref) throw new XmlError('出现未转义的 & 字符（应写作 &amp;）');
    if (ref[0] !== '#') {
      const v = NAMED[ref];
      if (v === undefined) throw new XmlError(`未定义的实体引用 &${ref};（只允许 &amp; &lt; &gt; &quot; &apos; 与字符引用）`);
      return v;
    }
    const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (!(cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)))
      throw new XmlError(`字符引用 ${m} 不是合法的 XML 字符`);
    return String.fromCodePoint(cp);
  });
}

// fast-xml-parser's preserveOrder output: [{ tagName: [children], ':@': {attrs} } | {'#text': s} | {'#cdata': [{'#text': s}]}]
type PoNode = Record<string, unknown>;

function split(q: string): [string, string] {
  const i = q.indexOf(':');
  return i < 0 ? ['', q] : [q.slice(0, i), q.slice(i + 1)];
}

function build(items: PoNode[], scope: Map<string, string>, depth: number): { elements: XNode[]; text: string } {
  if (depth > MAX_DEPTH) throw new XmlError(TOO_DEEP);
  const elements: XNode[] = [];
  let text = '';
  for (const item of items) {
    if ('#text' in item) {
      text += decodeEntities(String(item['#text']));
      continue;
    }
    if ('#cdata' in item) {
      for (const c of item['#cdata'] as PoNode[]) text += String(c['#text'] ?? '');
      continue;
    }
    const qname = Object.keys(item).find((k) => k !== ':@');
    if (!qname) continue;
    const rawAttrs = (item[':@'] ?? {}) as Record<string, string>;
    let inner = scope;
    for (const [k, v] of Object.entries(rawAttrs)) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) {
        if (inner === scope) inner = new Map(scope);
        inner.set(k === 'xmlns' ? '' : k.slice(6), decodeEntities(v));
      }
    }
    const [prefix, local] = split(qname);
    const ns = inner.get(prefix);
    if (ns === undefined) throw new XmlError(`元素 <${qname}> 的命名空间前缀 ${prefix} 未声明`);
    const attrs: XNode['attrs'] = [];
    for (const [k, v] of Object.entries(rawAttrs)) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
      const [ap, al] = split(k);
      const ans = ap === '' ? '' : ap === 'xml' ? XML_NS : inner.get(ap);
      if (ans === undefined) throw new XmlError(`属性 ${k} 的命名空间前缀 ${ap} 未声明`);
      attrs.push({ local: al, ns: ans, value: decodeEntities(String(v)) });
    }
    const sub = build((item[qname] ?? []) as PoNode[], inner, depth + 1);
    elements.push({ local, ns, attrs, children: sub.elements, text: sub.text });
  }
  return { elements, text };
}

/** Well-formed XML → its single root element, namespaces resolved. Throws XmlError with a Chinese reason. */
export function parseXml(xml: string): XNode {
  const v = XMLValidator.validate(xml);
  if (v !== true) throw new XmlError(`请求不是格式正确的 XML（第 ${v.err.line} 行第 ${v.err.col} 列）`);
  let tree: PoNode[];
  try {
    tree = parser.parse(xml) as PoNode[];
  } catch (e) {
    // The parser's limits throw plain Errors; they are refusals of the message, not faults of ours.
    throw new XmlError(/nested/i.test((e as Error).message) ? TOO_DEEP : '请求无法解析为 XML');
  }
  const { elements, text } = build(tree, new Map([['', '']]), 0);
  if (elements.length !== 1) throw new XmlError('XML 必须有且只有一个根元素');
  if (text.trim()) throw new XmlError('根元素之外不能有文本');
  return elements[0];
}

export function attr(n: XNode, local: string, ns = ''): string | undefined {
  return n.attrs.find((a) => a.local === local && a.ns === ns)?.value;
}

export function isNil(n: XNode): boolean {
  const v = attr(n, 'nil', XSI_NS);
  return v === 'true' || v === '1';
}

export type EnvelopeParse =
  | { ok: true; version: SoapVersion; headers: XNode[]; body: XNode; op: XNode }
  | { ok: false; version: SoapVersion; code: FaultCode; reason: string };

export type FaultCode = 'Sender' | 'Receiver' | 'VersionMismatch' | 'MustUnderstand';

/** Headers medbill processes; any other header marked mustUnderstand gets a MustUnderstand fault. */
const UNDERSTOOD = new Set(['http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd Security']);

/**
 * Reads the SOAP envelope. `hinted` is the version the Content-Type suggests; the envelope's namespace
 * decides, so a 1.2 envelope sent as text/xml is still answered in 1.2.
 */
export function readEnvelope(xml: string, hinted: SoapVersion): EnvelopeParse {
  let root: XNode;
  try {
    root = parseXml(xml);
  } catch (e) {
    if (e instanceof XmlError) return { ok: false, version: hinted, code: 'Sender', reason: e.message };
    throw e;
  }
  if (root.local !== 'Envelope') return { ok: false, version: hinted, code: 'Sender', reason: `根元素应为 soap:Envelope，收到 <${root.local}>` };
  const version: SoapVersion | undefined = root.ns === SOAP11_NS ? '1.1' : root.ns === SOAP12_NS ? '1.2' : undefined;
  if (!version)
    return { ok: false, version: hinted, code: 'VersionMismatch', reason: `不支持的 SOAP 信封命名空间 ${root.ns || '（无）'}：SOAP 1.1 用 ${SOAP11_NS}，SOAP 1.2 用 ${SOAP12_NS}` };
  const parts = root.children.filter((c) => c.ns === root.ns);
  const header = parts.find((c) => c.local === 'Header');
  const body = parts.find((c) => c.local === 'Body');
  if (!body) return { ok: false, version, code: 'Sender', reason: 'SOAP 信封缺少 Body' };
  const headers = header?.children ?? [];
  for (const h of headers) {
    const mu = attr(h, 'mustUnderstand', root.ns);
    if ((mu === '1' || mu === 'true') && !UNDERSTOOD.has(`${h.ns} ${h.local}`))
      return { ok: false, version, code: 'MustUnderstand', reason: `无法处理标记为 mustUnderstand 的 SOAP 头 {${h.ns}}${h.local}` };
  }
  if (body.children.length !== 1)
    return { ok: false, version, code: 'Sender', reason: body.children.length ? 'SOAP Body 只能包含一个操作元素' : 'SOAP Body 为空，应包含一个操作元素（如 <tns:testServerConnect>）' };
  return { ok: true, version, headers, body, op: body.children[0] };
}

export function contentType(v: SoapVersion): string {
  return v === '1.2' ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8';
}

export function envelopeXml(v: SoapVersion, bodyContent: string): string {
  const ns = v === '1.2' ? SOAP12_NS : SOAP11_NS;
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${ns}"><soap:Body>${bodyContent}</soap:Body></soap:Envelope>`;
}

/** Request element children, written in our namespace, in the given order. */
export function wrapperXml(name: string, children: [string, string][]): string {
  return `<tns:${name} xmlns:tns="${TNS}">${children.map(([k, v]) => `<tns:${k}>${xmlText(v)}</tns:${k}>`).join('')}</tns:${name}>`;
}

export interface FaultOut {
  status: number;
  contentType: string;
  body: string;
}

/** A fault in the request's own version; `detail` carries our result code and message id, never a stack. */
export function faultXml(v: SoapVersion, code: FaultCode, reason: string, detail?: { result?: string; msgId?: string }): FaultOut {
  const det = detail
    ? `<tns:fault xmlns:tns="${TNS}">${detail.result ? `<tns:result>${xmlText(detail.result)}</tns:result>` : ''}${detail.msgId ? `<tns:msgId>${xmlText(detail.msgId)}</tns:msgId>` : ''}</tns:fault>`
    : '';
  if (v === '1.1') {
    const fc = code === 'Sender' ? 'Client' : code === 'Receiver' ? 'Server' : code;
    return {
      status: 500,
      contentType: contentType(v),
      body: envelopeXml(v, `<soap:Fault><faultcode>soap:${fc}</faultcode><faultstring xml:lang="zh">${xmlText(reason)}</faultstring>${det ? `<detail>${det}</detail>` : ''}</soap:Fault>`),
    };
  }
  // SOAP 1.2 HTTP binding: a Sender fault is 400, the others 500.
  return {
    status: code === 'Sender' ? 400 : 500,
    contentType: contentType(v),
    body: envelopeXml(
      v,
      `<soap:Fault><soap:Code><soap:Value>soap:${code}</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="zh">${xmlText(reason)}</soap:Text></soap:Reason>${det ? `<soap:Detail>${det}</soap:Detail>` : ''}</soap:Fault>`,
    ),
  };
}
