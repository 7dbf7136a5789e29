/**
 * POST /api/bills — the unit uploads a signed e-bill; finance checks it and adds the supervisory
 * signature (docs/reference/fiscal-ebill.md#the-supervisory-signature: unit signs first, finance
 * validates, then signs). Protocol in ../api.ts.
 *
 * Order of checks: request shape → Base64/UTF-8 → document structure → identity against the request →
 * unit signature and its chain → (code, number) already held? Every refusal is a code plus a Chinese
 * message; a valid repeat of an accepted document answers the stored supervisory signature.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import { log } from '../../../src/log';
import type { RefusalCode, UploadAccepted, UploadRefused } from '../api';
import { readFiscalDocument } from './document';
import type { FinanceBillRow, FinanceBillStore } from './store';
import type { RelatedWait } from './related-wait';
import type { FinanceTrust } from './trust';

export const REFUSAL_MESSAGES: Record<RefusalCode, string> = {
  'bad-request': '请求格式错误：应为 JSON 对象 {billBatchCode, billNo, random, fiscalXml}',
  'body-too-large': '请求体过大',
  'bad-encoding': '票据文件 fiscalXml 必须是 UTF-8 XML 文本的 Base64 编码',
  'not-fiscal-xml': '票据文件不是有效的财政电子票据 XML（应为 <EInvoice><Header>…</Header><EInvoiceData>…</EInvoiceData><EInvoiceSignature>…</EInvoiceSignature></EInvoice>）',
  'fields-missing': '票据文件缺少必需的票据要素（票据代码、票据号码、校验码、总金额、开票日期）',
  'identity-mismatch': '请求中的票据代码、票据号码或校验码与票据文件不一致',
  'unit-signature-missing': '票据文件缺少开票单位签名',
  'unit-signature-malformed': '开票单位签名值不是有效的 PKCS#7 签名数据',
  'unit-signature-algorithm': '开票单位签名算法不符合要求（应为 SM2/SM3 的 GM/T 0010 签名）',
  'unit-signature-invalid': '开票单位签名验证失败：票据内容或签名已被篡改',
  'unit-signer-unknown': '开票单位签名中未包含签名证书',
  'unit-cert-untrusted': '开票单位签名证书不可信（证书链无法验证、已过期或用途不符）',
  'unit-cert-revoked': '开票单位签名证书已被吊销',
  'related-bill-unknown': '关联的原电子票据在财政系统中不存在',
  'bad-event': '票据事件格式错误或事件标识与内容不一致',
  'unknown-application': '票据申领单不存在',
  'application-state': '票据申领单当前状态不允许此操作',
  conflict: '该票据代码和号码下已存在内容不同的电子票据',
};

const STATUS: Partial<Record<RefusalCode, number>> = { 'bad-request': 400, 'bad-event': 400, 'body-too-large': 413, conflict: 409, 'unknown-application': 404, 'application-state': 409 };

export function refusal(code: RefusalCode, detail?: string): { status: number; body: UploadRefused } {
  return { status: STATUS[code] ?? 422, body: { ok: false, code, message: REFUSAL_MESSAGES[code], ...(detail ? { detail } : {}) } };
}

const SHAPES: Record<'billBatchCode' | 'billNo' | 'random', RegExp> = {
  billBatchCode: /^\d{1,20}$/,
  billNo: /^\d{1,20}$/,
  random: /^[0-9A-Za-z]{1,20}$/,
};

export interface UploadDeps {
  store: FinanceBillStore;
  trust: FinanceTrust;
  bodyLimitBytes: number;
  related: RelatedWait;
}

export function uploadRoutes(deps: UploadDeps): express.Router {
  const r = express.Router();
  r.post('/api/bills', express.json({ limit: deps.bodyLimitBytes }), async (req, res) => {
    const out = await accept(deps, req.body as unknown);
    const b = out.body;
    if (b.ok) log().info('finance: bill accepted', { billBatchCode: b.billBatchCode, billNo: b.billNo, repeated: b.repeated });
    else log().warn('finance: bill refused', { code: b.code, detail: b.detail });
    const asked = (req.body ?? {}) as { billBatchCode?: unknown; billNo?: unknown };
    const field = (v: unknown) => (typeof v === 'string' ? v.slice(0, 20) : null);
    await deps.store.recordUpload({
      bill_batch_code: field(asked.billBatchCode),
      bill_no: field(asked.billNo),
      outcome: b.ok ? (b.repeated ? 'repeated' : 'accepted') : 'refused',
      code: b.ok ? null : b.code,
      status: out.status,
      received_at: Date.now(),
    });
    res.status(out.status).json(b);
  });
  return r;
}

type Outcome = { status: 200; body: UploadAccepted } | { status: number; body: UploadRefused };

async function accept(deps: UploadDeps, body: unknown): Promise<Outcome> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return refusal('bad-request', 'body is not a JSON object');
  const b = body as Record<string, unknown>;
  for (const [field, shape] of Object.entries(SHAPES)) {
    const v = b[field];
    if (typeof v !== 'string' || !shape.test(v)) return refusal('bad-request', `${field} missing or not of the form ${shape.source}`);
  }
  const req = { billBatchCode: b.billBatchCode as string, billNo: b.billNo as string, random: b.random as string };
  if (typeof b.fiscalXml !== 'string' || !b.fiscalXml) return refusal('bad-request', 'fiscalXml missing');

  const xml = decodeBase64Utf8(b.fiscalXml);
  if (xml === null) return refusal('bad-encoding', b.fiscalXml.trimStart().startsWith('<') ? 'fiscalXml looks like plain XML; send it Base64-encoded' : 'not Base64 of UTF-8 text');
  const read = readFiscalDocument(xml);
  if (!read.ok) return refusal(read.code, read.detail);
  const { doc } = read;
  const f = doc.fields;
  if (f.billBatchCode !== req.billBatchCode || f.billNo !== req.billNo || f.random !== req.random) {
    return refusal('identity-mismatch', `the document is ${f.billBatchCode}/${f.billNo} with check code of length ${f.random.length}`);
  }
  const unit = await deps.trust.verifyUnitUpload(doc.content, doc.unitSignature, new Date());
  if (unit.unavailable) return { status: 503, body: { ok: false, code: 'unit-cert-untrusted', message: '暂时无法查询开票单位证书的吊销状态，请稍后重试', detail: unit.detail } };
  if (!unit.verified) return refusal(unit.code ?? 'unit-signature-invalid', unit.detail);

  const sha = createHash('sha256').update(doc.content, 'utf8').digest('hex');
  const held = await deps.store.byNumber(req.billBatchCode, req.billNo);
  if (held) return answerRepeat(held, sha);

  // A red bill (RelatedInvoiceCode/Number): negative, and its blue bill must be here first.
  const red = Boolean(f.relatedBillBatchCode || f.relatedBillNo);
  if (red) {
    if (!f.relatedBillBatchCode || !f.relatedBillNo) return refusal('fields-missing', 'a red bill needs both RelatedInvoiceCode and RelatedInvoiceNumber');
    if (!/^-\d+(\.\d+)?$/.test(f.totalAmount) || /^-0+(\.0+)?$/.test(f.totalAmount)) return refusal('fields-missing', 'a red bill\'s TotalAmount must be negative');
    const blue = await deps.store.byNumber(f.relatedBillBatchCode, f.relatedBillNo);
    if (!blue || blue.kind !== 'blue') {
      const wait = deps.related.notYet(`red:${req.billBatchCode}/${req.billNo}`);
      const detail = `blue bill ${f.relatedBillBatchCode}/${f.relatedBillNo} ${blue ? 'is itself a red bill' : 'is not held by finance'}`;
      if (wait !== undefined && !blue) return { status: 425, body: { ok: false, code: 'related-bill-unknown', message: '关联的原电子票据尚未上传到财政系统，请稍后重试', detail: `${detail}; retry within ${wait} s` } };
      return refusal('related-bill-unknown', detail);
    }
    const other = await deps.store.redOf(f.relatedBillBatchCode, f.relatedBillNo);
    if (other) return refusal('conflict', `blue bill ${f.relatedBillBatchCode}/${f.relatedBillNo} already has red bill ${other.bill_batch_code}/${other.bill_no}`);
  }

  const now = Date.now();
  const sup = deps.trust.signSupervisor(doc.content, now);
  const { inserted, row } = await deps.store.insertOrGet({
    bill_batch_code: req.billBatchCode,
    bill_no: req.billNo,
    random: req.random,
    fiscal_xml: doc.xml,
    content_sha256: sha,
    payer: f.payerName.slice(0, 100),
    total_amount: f.totalAmount.slice(0, 24),
    issue_date: f.issueDate.slice(0, 8),
    unit_signature: doc.unitSignature,
    unit_cert_serial: unit.serial ?? null,
    supervisor_signature: sup.signature,
    supervisor_cert_serial: sup.certSerial,
    supervisor_time: sup.time,
    received_at: now,
    kind: red ? 'red' : 'blue',
    place_code: typeof b.placeCode === 'string' ? b.placeCode.slice(0, 50) : null,
    bill_kind: typeof b.billKind === 'string' ? b.billKind.slice(0, 20) : null,
    related_bill_batch_code: red ? f.relatedBillBatchCode.slice(0, 20) : null,
    related_bill_no: red ? f.relatedBillNo.slice(0, 20) : null,
  });
  return inserted ? { status: 200, body: accepted(row, false) } : answerRepeat(row, sha);
}

/**
 * The same signed text under a held number is a repeat (the unit retried after losing our answer):
 * it gets the stored signature, even if its own unit signature value differs (SM2 signatures are
 * randomised, so a re-signed identical text is still the same bill). Different text is a conflict.
 */
function answerRepeat(held: FinanceBillRow, sha: string): Outcome {
  if (held.content_sha256 !== sha) return refusal('conflict', `${held.bill_batch_code}/${held.bill_no} was accepted at ${new Date(held.received_at).toISOString()} with other content`);
  return { status: 200, body: accepted(held, true) };
}

function accepted(row: FinanceBillRow, repeated: boolean): UploadAccepted {
  return {
    ok: true,
    billBatchCode: row.bill_batch_code,
    billNo: row.bill_no,
    supervisorSignature: row.supervisor_signature,
    supervisorCertSerial: row.supervisor_cert_serial,
    time: row.supervisor_time,
    repeated,
  };
}

/** Strict Base64 (line breaks tolerated, as MIME writers add them) of valid UTF-8; null otherwise. */
export function decodeBase64Utf8(b64: string): string | null {
  const s = b64.replace(/[\r\n]+/g, '');
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  try {
    // ignoreBOM keeps a leading BOM: the document is stored byte for byte as the unit sent it.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.from(s, 'base64'));
  } catch {
    return null;
  }
}
