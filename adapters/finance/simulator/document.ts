/**
 * Reading an uploaded fiscal e-bill document. The signed text is sliced out of the received string
 * (splitFiscalXml) and never re-serialised; it is parsed only to read the bill's fields, and only after
 * it passed the structural checks below. Nothing here throws on hostile input: every failure is a
 * refusal code with an English detail.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { splitFiscalXml } from '../../../src/domain/fiscal-xml';
import type { RefusalCode } from '../api';

export interface FiscalFields {
  billName: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  totalAmount: string;
  /** yyyyMMdd */
  issueDate: string;
  /** HH:mm:ss */
  issueTime: string;
  payerName: string;
  payerCode: string;
  invoicingPartyName: string;
  invoicingPartyCode: string;
  /** a red bill's blue bill (MainExt RelatedInvoiceCode/Number); empty on a blue bill */
  relatedBillBatchCode: string;
  relatedBillNo: string;
}

export interface FiscalDocument {
  /** the whole document as received */
  xml: string;
  /** `<Header>…</Header><EInvoiceData>…</EInvoiceData>`, the bytes both signatures cover */
  content: string;
  /** Base64 of the unit's SignedData */
  unitSignature: string;
  fields: FiscalFields;
}

export type DocumentResult = { ok: true; doc: FiscalDocument } | { ok: false; code: RefusalCode; detail: string };

// What may precede <Header>: a BOM, an XML declaration and the root start tag, nothing else.
const PREFIX = /^\uFEFF?\s*(?:<\?xml[^?<>]*\?>)?\s*<EInvoice>$/;
// What may follow the signed text: the signature block and the end of the root, nothing else.
const SUFFIX = /^<EInvoiceSignature>[\s\S]*<\/EInvoiceSignature>\s*<\/EInvoice>\s*$/;

const parser = new XMLParser({
  ignoreAttributes: true,
  // Codes and numbers keep their leading zeros and amounts their exact text.
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: false,
});

export function readFiscalDocument(xml: string): DocumentResult {
  const fail = (code: RefusalCode, detail: string): DocumentResult => ({ ok: false, code, detail });
  // Our documents never carry a DTD; refusing one up front rules out entity tricks in any parser.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return fail('not-fiscal-xml', 'a DTD or entity declaration is not allowed');
  const split = splitFiscalXml(xml);
  if (!split) return fail('not-fiscal-xml', 'no <Header> followed by <EInvoiceSignature>');
  const start = xml.indexOf('<Header>');
  const end = start + split.content.length;
  if (!PREFIX.test(xml.slice(0, start))) return fail('not-fiscal-xml', 'unexpected text before <Header> (expected only the XML declaration and <EInvoice>)');
  if (!SUFFIX.test(xml.slice(end))) return fail('not-fiscal-xml', 'unexpected text after the signature block');
  const { content } = split;
  if (!content.endsWith('</EInvoiceData>') || content.split('</Header><EInvoiceData>').length !== 2) {
    return fail('not-fiscal-xml', 'the signed text is not exactly <Header>…</Header><EInvoiceData>…</EInvoiceData>');
  }
  const wrapped = `<SignedText>${content}</SignedText>`;
  const valid = XMLValidator.validate(wrapped);
  if (valid !== true) return fail('not-fiscal-xml', `the signed text is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  if (!split.unitSignature) return fail('unit-signature-missing', 'no InvoicingPartySignature element with a Base64 value');

  let tree: unknown;
  try {
    tree = parser.parse(wrapped);
  } catch (e) {
    return fail('not-fiscal-xml', `the signed text does not parse: ${(e as Error).message}`);
  }
  const main = at(tree, ['SignedText', 'EInvoiceData', 'Main']);
  const text = (...p: string[]): string | undefined => {
    const v = at(main, p);
    return typeof v === 'string' ? v : undefined;
  };
  const required = { billBatchCode: text('EInvoiceCode'), billNo: text('EInvoiceNumber'), random: text('RandomNumber'), totalAmount: text('TotalAmount'), issueDate: text('IssueDate') };
  const missing = Object.entries(required)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length) return fail('fields-missing', `Main lacks (or repeats) ${missing.join(', ')}`);
  return {
    ok: true,
    doc: {
      xml,
      content,
      unitSignature: split.unitSignature,
      fields: {
        billName: text('EInvoiceName') ?? '',
        billBatchCode: required.billBatchCode!,
        billNo: required.billNo!,
        random: required.random!,
        totalAmount: required.totalAmount!,
        issueDate: required.issueDate!,
        issueTime: text('IssueTime') ?? '',
        payerName: text('PayerParty', 'PayerPartyName') ?? '',
        payerCode: text('PayerParty', 'PayerPartyCode') ?? '',
        invoicingPartyName: text('InvoicingParty', 'InvoicingPartyName') ?? '',
        invoicingPartyCode: text('InvoicingParty', 'InvoicingPartyCode') ?? '',
        relatedBillBatchCode: text('MainExt', 'RelatedInvoiceCode') ?? '',
        relatedBillNo: text('MainExt', 'RelatedInvoiceNumber') ?? '',
      },
    },
  };
}

/** Walks plain objects only: a repeated element (an array) or a missing one yields undefined. */
function at(v: unknown, path: string[]): unknown {
  let cur = v;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}
