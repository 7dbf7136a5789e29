/**
 * Hand-rolled SOAP 1.1/1.2 document/literal for the SVS: read a request envelope into (operation, raw
 * field texts), write a reply or a fault. xml-scan.ts reads the XML (strict, and fast on long Base64
 * texts); this module adds what SOAP needs and what hostile input demands: DOCTYPE/ENTITY declarations
 * are refused outright (no XXE, no entity expansion), nesting is capped, the body must hold exactly one
 * operation element whose fields are plain text elements, and every error is a SoapRequestError
 * carrying a message fit for a client.
 * Namespaces are matched by local name: GM clients in the wild send the operation qualified and the
 * fields unqualified, or the reverse, and refusing them would buy nothing.
 */
import { scanXml, XmlSyntaxError, type XmlElement } from './xml-scan';
import { xmlEscape } from '../../../src/xml-escape';

export type SoapVersion = '1.1' | '1.2';

export const SOAP_ENV = { '1.1': 'http://schemas.xmlsoap.org/soap/envelope/', '1.2': 'http://www.w3.org/2003/05/soap-envelope' } as const;
export const SOAP_CONTENT_TYPE = { '1.1': 'text/xml; charset=utf-8', '1.2': 'application/soap+xml; charset=utf-8' } as const;

export class SoapRequestError extends Error {
  constructor(
    message: string,
    readonly httpStatus = 500,
  ) {
    super(message);
  }
}

export interface SoapRequest {
  version: SoapVersion;
  operation: string;
  /** field name → text content, exactly as sent (entities decoded, whitespace trimmed) */
  fields: Record<string, string>;
}

export function soapVersionOf(contentType: string | undefined, body: string): SoapVersion {
  if (contentType?.includes('application/soap+xml')) return '1.2';
  return body.includes(SOAP_ENV['1.2']) ? '1.2' : '1.1';
}

const onlyWhitespace = (t: string): boolean => t.trim() === '';

export function parseSoapRequest(body: string, contentType?: string): SoapRequest {
  const version = soapVersionOf(contentType, body);
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new SoapRequestError('请求含 DOCTYPE/ENTITY 声明，已拒绝（防 XXE）/ DOCTYPE and ENTITY declarations are not accepted', 400);
  let env: XmlElement;
  try {
    env = scanXml(body);
  } catch (e) {
    if (!(e instanceof XmlSyntaxError)) throw e;
    throw new SoapRequestError(`请求不是格式正确的 XML / malformed XML: ${e.message.slice(0, 200)}`, 400);
  }
  if (env.name !== 'Envelope') throw new SoapRequestError('缺少 SOAP Envelope / not a SOAP envelope', 400);
  const bodies = env.children.filter((c) => c.name === 'Body');
  if (bodies.length !== 1 || env.children.some((c) => c.name !== 'Body' && c.name !== 'Header') || !onlyWhitespace(env.text)) {
    throw new SoapRequestError('SOAP Envelope 应只含 Header 与一个 Body / the envelope must hold an optional Header and one Body', 400);
  }
  const soapBody = bodies[0];
  if (soapBody.children.length !== 1 || !onlyWhitespace(soapBody.text)) {
    throw new SoapRequestError(`SOAP Body 必须恰好包含一个操作元素（收到 ${soapBody.children.length} 个）/ the Body must hold exactly one operation element`, 400);
  }
  const opEl = soapBody.children[0];
  if (!onlyWhitespace(opEl.text)) throw new SoapRequestError(`操作元素 ${opEl.name} 应包含字段元素 / operation element must contain field elements`, 400);
  // no prototype: a field named __proto__ or constructor is just an unknown field
  const fields = Object.create(null) as Record<string, string>;
  for (const f of opEl.children) {
    if (Object.hasOwn(fields, f.name)) throw new SoapRequestError(`字段 ${f.name} 出现多次 / field ${f.name} given more than once`, 400);
    if (f.children.length) throw new SoapRequestError(`字段 ${f.name} 应为文本，不能含子元素 / field ${f.name} must be text`, 400);
    fields[f.name] = f.text.trim();
  }
  return { version, operation: opEl.name, fields };
}


/** Removes characters XML 1.0 cannot carry, so a reply never becomes unparseable because of an echoed value. */
export function xmlText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return xmlEscape(s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD'));
}

export function soapReply(version: SoapVersion, namespace: string, element: string, fields: Array<[string, string]>): string {
  let inner = '';
  for (const [k, v] of fields) inner += `<tns:${k}>${v}</tns:${k}>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP_ENV[version]}"><soap:Body>` +
    `<tns:${element} xmlns:tns="${namespace}">${inner}</tns:${element}></soap:Body></soap:Envelope>`
  );
}

/** A SOAP fault whose detail repeats the SVS return code, so code-only clients still get one. */
export function soapFault(version: SoapVersion, namespace: string, sender: boolean, message: string, code: number): string {
  const detail = `<tns:SvsFault xmlns:tns="${namespace}"><tns:result>${code}</tns:result><tns:message>${xmlText(message)}</tns:message></tns:SvsFault>`;
  const fault =
    version === '1.1'
      ? `<soap:Fault><faultcode>soap:${sender ? 'Client' : 'Server'}</faultcode><faultstring>${xmlText(message)}</faultstring><detail>${detail}</detail></soap:Fault>`
      : `<soap:Fault><soap:Code><soap:Value>soap:${sender ? 'Sender' : 'Receiver'}</soap:Value></soap:Code><soap:Reason><soap:Text xml:lang="zh">${xmlText(message)}</soap:Text></soap:Reason><soap:Detail>${detail}</soap:Detail></soap:Fault>`;
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP_ENV[version]}"><soap:Body>${fault}</soap:Body></soap:Envelope>`;
}
