/** SOAP-side test helpers: raw envelopes, a fetch wrapper that reads our answers, the node-soap client. */
import { readFileSync } from 'node:fs';
import * as soap from 'soap';
import { TNS } from '../../adapters/his/soap/operations';
import { parseXml, SOAP11_NS, SOAP12_NS, XNode } from '../../adapters/his/soap/soap-xml';
import { passwordDigest, WSSE_NS, WSU_NS } from '../../adapters/his/soap/wssec';
import { escText } from '../../adapters/his/soap/xml';
import { DEMO_APPID, DEMO_KEY, envelope, SAMPLE_FILE } from '../helpers/app';

export { SOAP11_NS, SOAP12_NS, TNS };
export const WS_PATH = '/medical-web/ws/EBillService';

export function sample(busNo?: string): Record<string, unknown> {
  const s = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
  if (busNo) s.busNo = busNo;
  return s;
}

export const uniqueBusNo = (tag: string) => `SOAP-${tag}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** An envelope-style call as a hand-written HIS would send it. */
export function envelopeCall(op: string, data: unknown, o: { version?: '1.1' | '1.2'; appid?: string; key?: string; drop?: string; sign?: string } = {}): string {
  const env: Record<string, string> = { ...envelope(data, o.appid ?? DEMO_APPID, o.key ?? DEMO_KEY) };
  if (o.sign) env.sign = o.sign;
  if (o.drop) delete env[o.drop];
  const kids = Object.entries(env).map(([k, v]) => `<t:${k}>${v}</t:${k}>`).join('');
  return wrap(`<t:${op}>${kids}</t:${op}>`, o.version);
}

export function wrap(body: string, version: '1.1' | '1.2' = '1.1', header = ''): string {
  const ns = version === '1.2' ? SOAP12_NS : SOAP11_NS;
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${ns}" xmlns:t="${TNS}">${header ? `<s:Header>${header}</s:Header>` : ''}<s:Body>${body}</s:Body></s:Envelope>`;
}

/** Business JSON → typed elements, the way our WSDL lays them out. */
export function toXml(v: unknown, name: string): string {
  if (Array.isArray(v)) return v.map((x) => toXml(x, name)).join('');
  if (v && typeof v === 'object') return `<t:${name}>${Object.entries(v).map(([k, x]) => toXml(x, k)).join('')}</t:${name}>`;
  return `<t:${name}>${escText(String(v))}</t:${name}>`;
}

export function usernameToken(o: { appid?: string; key?: string; nonce?: string; created?: string; text?: boolean } = {}): string {
  const nonce = o.nonce ?? Buffer.from(Math.random().toString(36) + Date.now()).toString('base64');
  const created = o.created ?? new Date().toISOString();
  const key = o.key ?? DEMO_KEY;
  const pw = o.text
    ? `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${key}</wsse:Password>`
    : `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${passwordDigest(nonce, created, key)}</wsse:Password>`;
  return (
    `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}"><wsse:UsernameToken>` +
    `<wsse:Username>${o.appid ?? DEMO_APPID}</wsse:Username>${pw}<wsse:Nonce>${nonce}</wsse:Nonce><wsu:Created>${created}</wsu:Created>` +
    `</wsse:UsernameToken></wsse:Security>`
  );
}

export function typedCall(data: Record<string, unknown>, o: { version?: '1.1' | '1.2'; header?: string } = {}): string {
  return wrap(`<t:invoiceEBillOutpatientTyped>${toXml(data, 'request')}</t:invoiceEBillOutpatientTyped>`, o.version, o.header ?? usernameToken());
}

export interface SoapAnswer {
  status: number;
  contentType: string;
  text: string;
  root: XNode;
  /** envelope namespace of the answer */
  ns: string;
  /** the single element inside Body */
  body: XNode;
}

export async function post(baseUrl: string, xml: string | Buffer, headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' }): Promise<SoapAnswer> {
  const res = await fetch(baseUrl + WS_PATH, { method: 'POST', headers, body: xml });
  const text = await res.text();
  const root = parseXml(text);
  const bodyEl = root.children.find((c) => c.local === 'Body');
  if (!bodyEl || bodyEl.children.length !== 1) throw new Error(`no single body child in ${text.slice(0, 300)}`);
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, root, ns: root.ns, body: bodyEl.children[0] };
}

export const kid = (n: XNode, local: string): XNode => {
  const c = n.children.find((x) => x.local === local);
  if (!c) throw new Error(`<${n.local}> has no <${local}>`);
  return c;
};

/** Fault text and code in either version. */
export function fault(a: SoapAnswer): { code: string; reason: string; result?: string; msgId?: string } {
  const f = a.body;
  if (f.local !== 'Fault') throw new Error(`not a fault: ${a.text.slice(0, 300)}`);
  const detail = f.children.find((c) => c.local === 'detail' || c.local === 'Detail')?.children[0];
  const d = detail ? { result: detail.children.find((c) => c.local === 'result')?.text, msgId: detail.children.find((c) => c.local === 'msgId')?.text } : {};
  if (a.ns === SOAP12_NS) return { code: kid(kid(f, 'Code'), 'Value').text, reason: kid(kid(f, 'Reason'), 'Text').text, ...d };
  return { code: kid(f, 'faultcode').text, reason: kid(f, 'faultstring').text, ...d };
}

export async function soapClient(baseUrl: string, options: soap.IOptions = {}): Promise<soap.Client> {
  return soap.createClientAsync(`${baseUrl}${WS_PATH}?wsdl`, options, baseUrl + WS_PATH);
}
