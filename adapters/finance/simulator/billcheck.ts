/**
 * GET|POST /billcheck — the public verification page (查验, docs/reference/fiscal-ebill.md#qr-code-and-public-check), modelled on
 * dzpj.czt.gd.gov.cn/billcheck: 交款人 (payer), 票据代码, 票据号码, 校验码 as form fields or query
 * parameters. HTML by default; JSON with `Accept: application/json`.
 *
 * - A wrong check code, or a payer name that is given and wrong, answers exactly what an unknown
 *   number answers: existence is never leaked.
 * - The payer name is optional (some provinces check with three elements); the name is shown in full
 *   only to someone who typed it correctly, masked otherwise.
 * - Both signatures are verified again on every request from the stored document text, the chain at
 *   the time finance accepted the bill (a bill stays genuine after its signing certificate expires).
 */
import express from 'express';
import { sameSecret } from '../../../src/crypto';
import { isoDate } from '../../../src/domain/time';
import type { BillAccessGuard } from '../../../src/web/bill-access';
import { renderBillcheckPage } from './billcheck-page';
import { readFiscalDocument } from './document';
import type { FinanceBillRow, FinanceBillStore } from './store';
import type { FinanceTrust, SignatureVerdict } from './trust';

export interface BillcheckQuery {
  payer: string;
  billBatchCode: string;
  billNo: string;
  random: string;
}

export interface SignatureStatus {
  verified: boolean;
  signer: string | null;
  serial: string | null;
  detail: string;
}

export type BillcheckResult =
  | {
      found: true;
      bill: {
        billName: string;
        billBatchCode: string;
        billNo: string;
        totalAmount: string;
        /** yyyy-MM-dd */
        issueDate: string;
        issueTime: string;
        payer: string;
        payerMasked: boolean;
        invoicingParty: string;
        /** when finance accepted the bill, ISO 8601 */
        acceptedAt: string;
      };
      signatures: { unit: SignatureStatus; supervisor: SignatureStatus };
    }
  | { found: false; message: string };

export const NOT_FOUND_MESSAGE = '未查询到该电子票据，请核对交款人、票据代码、票据号码和校验码';
const MISSING_MESSAGE = '请填写票据代码、票据号码和校验码';
const FIELD_MAX = 100;

export function billcheckRoutes(deps: { store: FinanceBillStore; trust: FinanceTrust; guard: BillAccessGuard }): express.Router {
  const r = express.Router();
  const small = { limit: 16 * 1024 };
  const handler = async (req: express.Request, res: express.Response): Promise<void> => {
    const q = readQuery(req.query, req.body);
    const json = req.accepts(['html', 'json']) === 'json';
    res.set('cache-control', 'no-store');
    if (!q.billBatchCode || !q.billNo || !q.random) {
      const asked = Object.values(q).some(Boolean);
      if (json) res.status(400).json({ found: false, message: MISSING_MESSAGE });
      else res.type('html').send(renderBillcheckPage(q, asked ? { found: false, message: MISSING_MESSAGE } : undefined));
      return;
    }
    const tooMany = (t: { status: number; retryAfter: number; message: string }) => {
      res.status(t.status).set('retry-after', String(t.retryAfter));
      if (json) res.json({ found: false, message: t.message });
      else res.type('html').send(renderBillcheckPage(q, { found: false, message: t.message }));
    };
    const admitted = deps.guard.admit(req);
    if (!admitted.ok) return tooMany(admitted);
    const key = `${q.billBatchCode}-${q.billNo}`;
    const { result, exists } = await lookup(deps, q);
    const locked = exists ? deps.guard.billLocked(key, admitted.client) : undefined;
    if (locked) return tooMany(locked);
    if (!result.found) deps.guard.wrongCode(admitted.client, exists ? key : undefined);
    if (json) res.json(result);
    else res.type('html').send(renderBillcheckPage(q, result));
  };
  r.get('/billcheck', handler);
  r.post('/billcheck', express.urlencoded({ extended: false, ...small }), express.json(small), handler);
  return r;
}

/** The four fields from the query string and/or the form body; anything but a short string counts as absent. */
function readQuery(query: unknown, body: unknown): BillcheckQuery {
  const pick = (k: keyof BillcheckQuery): string => {
    for (const src of [body, query]) {
      const v = typeof src === 'object' && src !== null ? (src as Record<string, unknown>)[k] : undefined;
      if (typeof v === 'string' && v.trim()) return v.trim().slice(0, FIELD_MAX);
    }
    return '';
  };
  return { payer: pick('payer'), billBatchCode: pick('billBatchCode'), billNo: pick('billNo'), random: pick('random') };
}

export async function check(deps: { store: FinanceBillStore; trust: FinanceTrust }, q: BillcheckQuery): Promise<BillcheckResult> {
  return (await lookup(deps, q)).result;
}

/** The answer, and whether the number exists (for the lockout only: never shown, the answers are the same). */
async function lookup(deps: { store: FinanceBillStore; trust: FinanceTrust }, q: BillcheckQuery): Promise<{ result: BillcheckResult; exists: boolean }> {
  const row = await deps.store.byNumber(q.billBatchCode, q.billNo);
  const notFound = { found: false as const, message: NOT_FOUND_MESSAGE };
  if (!row) return { result: notFound, exists: false };
  // Without an early exit, so response time says nothing about how much of a check code matched.
  if (!sameSecret(row.random.toLowerCase(), q.random.toLowerCase())) return { result: notFound, exists: true };
  const payerKnown = q.payer !== '';
  if (payerKnown && !sameSecret(row.payer ?? '', q.payer)) return { result: notFound, exists: true };
  return { result: { found: true, ...(await describe(deps, row, payerKnown)) }, exists: true };
}

async function describe(deps: { trust: FinanceTrust }, row: FinanceBillRow, payerKnown: boolean) {
  const acceptedAt = new Date(Number(row.received_at));
  const read = readFiscalDocument(row.fiscal_xml);
  const unreadable: SignatureVerdict = { verified: false, detail: read.ok ? '' : `stored document unreadable: ${read.detail}` };
  const [unit, supervisor] = read.ok
    ? await Promise.all([
        deps.trust.verifyUnit(read.doc.content, read.doc.unitSignature, acceptedAt),
        deps.trust.verifySupervisor(read.doc.content, row.supervisor_signature, acceptedAt),
      ])
    : [unreadable, unreadable];
  const f = read.ok ? read.doc.fields : undefined;
  const payer = row.payer ?? '';
  return {
    bill: {
      billName: f?.billName ?? '',
      billBatchCode: row.bill_batch_code,
      billNo: row.bill_no,
      totalAmount: f?.totalAmount ?? row.total_amount ?? '',
      issueDate: isoDate(f?.issueDate ?? row.issue_date ?? '') ?? '',
      issueTime: f?.issueTime ?? '',
      payer: payerKnown ? payer : maskName(payer),
      payerMasked: !payerKnown,
      invoicingParty: f?.invoicingPartyName ?? '',
      acceptedAt: acceptedAt.toISOString(),
    },
    signatures: { unit: status(unit), supervisor: status(supervisor) },
  };
}

const status = (v: SignatureVerdict): SignatureStatus => ({ verified: v.verified, signer: v.signer ?? null, serial: v.serial ?? null, detail: v.detail });

/** 张三 → 张*, 欧阳娜娜 → 欧***: enough for the holder to recognise, too little to identify. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return chars.length ? '*' : '';
  return chars[0] + '*'.repeat(chars.length - 1);
}
