/**
 * Fiscal e-bill XML (docs/reference/fiscal-ebill.md#the-xml-document and #the-unit-signature). The
 * unit signs the UTF-8 bytes of `<Header>…</Header><EInvoiceData>…</EInvoiceData>` exactly as built
 * here; that string is stored and spliced verbatim into the document, and verification always slices
 * it back out of the stored text, never re-serialises (whitespace or attribute order would break the
 * signature).
 */
import { xmlEscape } from '../xml-escape';

/** Ordered plain data → XML: objects are elements in key order, arrays repeat the element, absent is omitted. */
export function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => toXml(name, v)).join('');
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>).map(([k, v]) => toXml(k, v)).join('');
    return inner ? `<${name}>${inner}</${name}>` : `<${name}/>`;
  }
  const text = String(value);
  return text === '' ? `<${name}/>` : `<${name}>${xmlEscape(text)}</${name}>`;
}

export interface FiscalDoc {
  Header: Record<string, unknown>;
  EInvoiceData: Record<string, unknown>;
}

/** The exact text the unit signature covers. */
export function signedContent(doc: FiscalDoc): string {
  return toXml('Header', doc.Header) + toXml('EInvoiceData', doc.EInvoiceData);
}

export interface UnitSignature {
  value: string; // Base64 GM/T 0010 SignedData, detached
  time: string; // yyyyMMddHHmmss
  serialNumber: string; // signer certificate serial, hex
}

export function fiscalXml(content: string, sig: UnitSignature, supervisor?: UnitSignature): string {
  const el = (tag: string, s: UnitSignature) =>
    `<${tag} Format="DETACH" Algorithm="SM2" Time="${s.time}" SerialNumber="${xmlEscape(s.serialNumber)}">${s.value}</${tag}>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?><EInvoice>' +
    content +
    '<EInvoiceSignature>' +
    el('InvoicingPartySignature', sig) +
    (supervisor ? el('SupervisorPartySignature', supervisor) : '') +
    '</EInvoiceSignature></EInvoice>'
  );
}

/** Slices the signed text and signature values back out of a stored document, without parsing. */
export function splitFiscalXml(xml: string): { content: string; unitSignature?: string; supervisorSignature?: string } | null {
  const start = xml.indexOf('<Header>');
  const end = xml.indexOf('<EInvoiceSignature>');
  if (start < 0 || end < start) return null;
  const grab = (tag: string) => {
    const m = new RegExp(`<${tag}[^>]*>([A-Za-z0-9+/=\\s]*)</${tag}>`).exec(xml.slice(end));
    return m ? m[1].replace(/\s+/g, '') : undefined;
  };
  return { content: xml.slice(start, end), unitSignature: grab('InvoicingPartySignature'), supervisorSignature: grab('SupervisorPartySignature') };
}

/** A bill's identity and the text its unit signature will cover, between fiscal-xml and persist. */
export interface PendingIssue {
  billBatchCode: string;
  billNo: string;
  random: string;
  createTime: string;
  issueDate: string;
  issueTime: string;
  totalAmt: string;
  content: string;
}

/** QR text: the e-bill tag, code, number, check code, date, amount (docs/reference/fiscal-ebill.md#qr-code-and-public-check). */
export function qrText(tag: string, b: { billBatchCode: string; billNo: string; random: string; issueDate: string; totalAmt: string }): string {
  return [tag, b.billBatchCode, b.billNo, b.random, b.issueDate, b.totalAmt].join(',');
}
