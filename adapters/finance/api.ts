/**
 * The simulator binding's protocol between medbill and the finance e-bill system (the embedded
 * simulator; a province's own protocol is another binding of src/engine/finance.ts). Shared by both
 * ends so they cannot drift apart. docs/finance-exchange.md is its prose.
 *
 * Classification, for every path: 2xx done; 400/404/409/413/422 refused (dead letter); 408/425/429/5xx
 * and network trouble transient (retried). 425 means "not yet": e.g. a red bill or a paper event whose
 * blue bill has not reached finance yet — it will be accepted once that one has.
 *
 *   POST /api/bills                         blue or red e-bill (below)
 *   POST /api/events                        FinanceEvent (paper-convert | paper-void | blank-void) → EventAccepted
 *   GET  /api/base-info                     FinanceBaseInfo
 *   POST /api/stock/applications            FinanceStockApplication → FinanceApplicationStatus
 *   GET  /api/stock/applications/:id        FinanceApplicationStatus
 *   POST /api/stock/applications/:id/receipt  入库确认 → FinanceApplicationStatus (state received)
 *   GET  /api/reconciliation/daily?date=YYYY-MM-DD  FinanceDailyTotals
 *   finance staff (simulator's own page and `medbill finance applications|approve|reject`):
 *   GET  /admin/stock/applications          HTML list with approve/reject forms, JSON with Accept: application/json
 *   POST /admin/stock/applications/:id/approve   → FinanceApplicationStatus
 *   POST /admin/stock/applications/:id/reject    {reason} → FinanceApplicationStatus
 *
 * Bills:
 *   POST {finance.url}/api/bills   Content-Type: application/json
 *   request  { billBatchCode, billNo, random, fiscalXml }
 *            fiscalXml = Base64 of the UTF-8 bytes of the signed fiscal XML document. Base64 rather than
 *            the XML as a JSON string: the unit signature covers exact bytes, and Base64 keeps every
 *            byte (BOM, line ends, odd code points) out of reach of proxies and JSON re-encoders. It is
 *            also what the national-style exchanges carry (docs/reference/fiscal-ebill.md#the-supervisory-signature).
 *   200      UploadAccepted — a repeat of the same document answers the same supervisory signature
 *   4xx      UploadRefused  — 400 malformed request, 409 another document under that number,
 *                             413 body too large, 422 document refused (signature, trust, identity)
 *   5xx      transient: the sender retries
 */

export interface UploadRequest {
  billBatchCode: string;
  billNo: string;
  random: string;
  /** 开票点 and medbill's bill kind: not in the signed document, needed for finance's daily totals */
  placeCode?: string;
  billKind?: string;
  /** Base64 (UTF-8 bytes) of the whole fiscal XML document carrying the unit signature */
  fiscalXml: string;
}

export interface UploadAccepted {
  ok: true;
  billBatchCode: string;
  billNo: string;
  /** Base64 DER GM/T 0010 SignedData, detached, over the same signed text as the unit signature */
  supervisorSignature: string;
  /** serial of the finance supervisor certificate, lower-case hex (as the XML SerialNumber attribute) */
  supervisorCertSerial: string;
  /** signing time, yyyyMMddHHmmss Beijing time (the XML Time attribute) */
  time: string;
  /** true when this number was already accepted with the same signed text */
  repeated: boolean;
}

/** Machine-readable refusal reasons; `message` carries the Chinese text for people. */
export type RefusalCode =
  | 'bad-request' // not a JSON object, or a required field missing / of the wrong shape
  | 'body-too-large'
  | 'bad-encoding' // fiscalXml is not Base64 of UTF-8 text
  | 'not-fiscal-xml' // not an <EInvoice> document we can slice the signed text out of
  | 'fields-missing' // the signed text lacks EInvoiceCode, EInvoiceNumber, RandomNumber, TotalAmount or IssueDate
  | 'identity-mismatch' // the request's code/number/check code differ from the signed document's
  | 'unit-signature-missing'
  | 'unit-signature-malformed' // not a SignedData we can parse
  | 'unit-signature-algorithm' // not GM/T 0010 SM2/SM3
  | 'unit-signature-invalid' // does not verify over the signed text (tampered document or signature)
  | 'unit-signer-unknown' // the SignedData does not carry the signer certificate
  | 'unit-cert-untrusted' // the signer certificate does not chain to a trusted root, or is expired / not for signing
  | 'unit-cert-revoked' // the signer certificate is revoked (CRL or OCSP)
  | 'related-bill-unknown' // a red bill or paper event names a bill finance never accepted (after the 425 window)
  | 'bad-event' // an /api/events body of the wrong shape or an eventId that does not match its content
  | 'unknown-application' // no stock application with that id
  | 'application-state' // the application is not in a state that allows this (e.g. receipt before approval)
  | 'conflict'; // another document is already stored under this code and number

export interface UploadRefused {
  ok: false;
  code: RefusalCode;
  message: string;
  /** English detail for logs (never input echoed back, never a stack) */
  detail?: string;
}

export type UploadResponse = UploadAccepted | UploadRefused;

/** /api/events answer; the request body is a FinanceEvent (src/engine/finance.ts). */
export interface EventAccepted {
  ok: true;
  eventId: string;
  repeated: boolean;
}
