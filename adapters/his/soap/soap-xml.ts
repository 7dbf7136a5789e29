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
import type { HisMessage, HisParams } from '../../../src/engine/codes';
import { FlowError, hisError } from '../../../src/engine/errors';
import { log } from '../../../src/log';
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

/** Deepest element nesting accepted; SOAP requests need about 8 levels, typed bills about 12. */
export const MAX_XML_DEPTH = 64;

/** Why a message is not readable XML: an E0003 refusal from the code table. */
export class XmlError extends Error {
  constructor(readonly error: FlowError) {
    super(error.message);
  }
}

function xmlError<M extends HisMessage<'E0003'>>(message: M, params: HisParams<'E0003', M>): XmlError {
  return new XmlError(hisError('E0003', message, params, 'Envelope'));
}

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
  // The parser's own guard (it throws past it); build() and tooDeep() keep the same limit.
  maxNestedTags: MAX_XML_DEPTH,
});

const ENTITY = /&(#x[0-9A-Fa-f]+|#[0-9]+|[A-Za-z][A-Za-z0-9._-]*);|&/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(ENTITY, (m, ref: string | undefined) => {
    if (!ref) throw xmlError('xmlAmpersand', {});
    if (ref[0] !== '#') {
      const v = NAMED[ref];
      if (v === undefined) throw xmlError('xmlEntity', { ref: ref.slice(0, 40) });
      return v;
    }
    const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (!(cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)))
      throw xmlError('xmlCharRef', { ref: m.slice(0, 40) });
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
  if (depth > MAX_XML_DEPTH) throw xmlError('xmlTooDeep', { limit: MAX_XML_DEPTH });
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
    if (ns === undefined) throw xmlError('xmlElementPrefix', { qname: qname.slice(0, 80), prefix: prefix.slice(0, 40) });
    const attrs: XNode['attrs'] = [];
    for (const [k, v] of Object.entries(rawAttrs)) {
      if (k === 'xmlns' || k.startsWith('xmlns:')) continue;
      const [ap, al] = split(k);
      const ans = ap === '' ? '' : ap === 'xml' ? XML_NS : inner.get(ap);
      if (ans === undefined) throw xmlError('xmlAttributePrefix', { name: k.slice(0, 80), prefix: ap.slice(0, 40) });
      attrs.push({ local: al, ns: ans, value: decodeEntities(String(v)) });
    }
    const sub = build((item[qname] ?? []) as PoNode[], inner, depth + 1);
    elements.push({ local, ns, attrs, children: sub.elements, text: sub.text });
  }
  return { elements, text };
}

/**
 * True when elements nest deeper than `max`: one linear pass over the tags, stopping at the first tag
 * past the limit, so a 2 MB body of nested elements is refused before the validator walks all of it.
 * Comments, CDATA, PIs and declarations are skipped; quoted attribute values may hold '>'.
 */
export function tooDeep(xml: string, max: number): boolean {
  let depth = 0;
  let i = xml.indexOf('<');
  while (i >= 0 && i < xml.length) {
    const c = xml[i + 1];
    let end: number;
    const skipTo = (close: string, from: number) => {
      const k = xml.indexOf(close, from);
      return k < 0 ? -1 : k + close.length - 1;
    };
    if (xml.startsWith('<!--', i)) end = skipTo('-->', i + 4);
    else if (xml.startsWith('<![CDATA[', i)) end = skipTo(']]>', i + 9);
    else if (c === '?' || c === '!') end = xml.indexOf('>', i + 2);
    else {
      // Scan to the tag's own '>' (outside quotes).
      let q = '';
      end = -1;
      for (let j = i + 1; j < xml.length; j++) {
        const ch = xml[j];
        if (q) {
          if (ch === q) q = '';
        } else if (ch === '"' || ch === "'") q = ch;
        else if (ch === '>') {
          end = j;
          break;
        }
      }
      if (end < 0) return false; // unterminated: the validator reports where
      if (c === '/') depth--;
      else if (xml[end - 1] !== '/' && ++depth > max) return true;
    }
    if (end < 0) return false;
    i = xml.indexOf('<', end + 1);
  }
  return false;
}

/** Well-formed XML → its single root element, namespaces resolved. Throws XmlError with a Chinese reason. */
export function parseXml(xml: string): XNode {
  if (tooDeep(xml, MAX_XML_DEPTH)) throw xmlError('xmlTooDeep', { limit: MAX_XML_DEPTH });
  const v = XMLValidator.validate(xml);
  if (v !== true) throw xmlError('xmlMalformed', { line: v.err.line, col: v.err.col });
  let tree: PoNode[];
  try {
    tree = parser.parse(xml) as PoNode[];
  } catch (e) {
    // The parser's own limits (nesting, …) and any fault inside it: a refusal, never a reset connection.
    log().warn('XML parser refused a message', { error: String((e as Error)?.message ?? e).slice(0, 200) });
    throw /nested/i.test(String((e as Error)?.message)) ? xmlError('xmlTooDeep', { limit: MAX_XML_DEPTH }) : xmlError('xmlUnreadable', {});
  }
  const { elements, text } = build(tree, new Map([['', '']]), 0);
  if (elements.length !== 1) throw xmlError('xmlOneRoot', {});
  if (text.trim()) throw xmlError('xmlTextOutsideRoot', {});
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
  | { ok: false; version: SoapVersion; code: FaultCode; error: FlowError };

const notEnvelope = <M extends HisMessage<'E0003'>>(version: SoapVersion, code: FaultCode, message: M, params: HisParams<'E0003', M>): EnvelopeParse => ({
  ok: false,
  version,
  code,
  error: hisError('E0003', message, params, 'Envelope'),
});

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
    if (e instanceof XmlError) return { ok: false, version: hinted, code: 'Sender', error: e.error };
    // Not ours (a fault in the tree walk): still a stored refusal and a fault, never a reset connection.
    log().warn('SOAP envelope unreadable', { error: String((e as Error)?.message ?? e).slice(0, 200) });
    return notEnvelope(hinted, 'Sender', 'xmlUnreadable', {});
  }
  if (root.local !== 'Envelope') return notEnvelope(hinted, 'Sender', 'notEnvelope', { local: root.local.slice(0, 80) });
  const version: SoapVersion | undefined = root.ns === SOAP11_NS ? '1.1' : root.ns === SOAP12_NS ? '1.2' : undefined;
  if (!version) return notEnvelope(hinted, 'VersionMismatch', 'soapVersion', { ns: root.ns.slice(0, 200) || '（无）', soap11: SOAP11_NS, soap12: SOAP12_NS });
  const parts = root.children.filter((c) => c.ns === root.ns);
  const header = parts.find((c) => c.local === 'Header');
  const body = parts.find((c) => c.local === 'Body');
  if (!body) return notEnvelope(version, 'Sender', 'noBody', {});
  const headers = header?.children ?? [];
  for (const h of headers) {
    const mu = attr(h, 'mustUnderstand', root.ns);
    if ((mu === '1' || mu === 'true') && !UNDERSTOOD.has(`${h.ns} ${h.local}`))
      return notEnvelope(version, 'MustUnderstand', 'mustUnderstand', { header: `{${h.ns.slice(0, 200)}}${h.local.slice(0, 80)}` });
  }
  if (body.children.length !== 1) return body.children.length ? notEnvelope(version, 'Sender', 'bodyMany', {}) : notEnvelope(version, 'Sender', 'bodyEmpty', {});
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
