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
 * - The bill's life as finance heard it: a red bill names its blue bill, a red-flushed blue bill names
 *   its red bill, a bill converted to paper names the paper bill it is on now (fin_events).
 * - Per client: the rate limit and lockout of BillAccessGuard, and after a few wrong codes a captcha
 *   (./captcha.ts): the page shows the image, JSON gets `captchaRequired` and GET /billcheck/captcha.
 */
import express from 'express';
import { sameSecret } from '../../../src/crypto';
import { isoDate } from '../../../src/domain/time';
import type { BillAccessGuard } from '../../../src/web/bill-access';
import { renderBillcheckPage } from './billcheck-page';
import type { Captcha, CaptchaGate } from './captcha';
import { readFiscalDocument } from './document';
import type { FinanceBillRow, FinanceBillStore, FinanceEventRow } from './store';
import type { FinanceTrust, SignatureVerdict } from './trust';

export interface BillcheckQuery {
  payer: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  /** the captcha being answered, when the page asked for one */
  captchaId: string;
  captcha: string;
}

export interface BillRef {
  billBatchCode: string;
  billNo: string;
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
        kind: 'blue' | 'red';
        /** a red bill: the blue bill it red-flushes */
        relatedBill: BillRef | null;
        /** a blue bill: whether it was red-flushed, and by which red bill */
        redFlushed: boolean;
        redBill: BillRef | null;
        /** the paper bill it is converted to now (null: none, or the paper was voided) */
        paper: { pBillBatchCode: string; pBillNo: string } | null;
      };
      signatures: { unit: SignatureStatus; supervisor: SignatureStatus };
    }
  | { found: false; message: string; captchaRequired?: boolean; captcha?: { id: string; url: string; image: string; expiresIn: number } };

export const NOT_FOUND_MESSAGE = '未查询到该电子票据，请核对交款人、票据代码、票据号码和校验码';
const MISSING_MESSAGE = '请填写票据代码、票据号码和校验码';
export const CAPTCHA_MESSAGE = '校验码错误次数较多，请输入图片中的验证码后再查验';
const CAPTCHA_WRONG = '验证码错误或已过期，请输入新图片中的验证码';
const FIELD_MAX = 100;

type Deps = { store: FinanceBillStore; trust: FinanceTrust; guard: BillAccessGuard; captcha: CaptchaGate };

const captchaBody = (c: Captcha) => ({ id: c.id, url: `billcheck/captcha/${c.id}.svg`, image: `data:image/svg+xml;base64,${Buffer.from(c.svg, 'utf8').toString('base64')}`, expiresIn: c.expiresIn });

export function billcheckRoutes(deps: Deps): express.Router {
  const images = new Map<string, string>();
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
    if (deps.captcha.required(admitted.client)) {
      const answered = q.captchaId !== '' && q.captcha !== '';
      if (!answered || !deps.captcha.solve(q.captchaId, q.captcha)) {
        const c = remember(deps.captcha.issue());
        const asked: BillcheckResult = { found: false, message: answered ? CAPTCHA_WRONG : CAPTCHA_MESSAGE, captchaRequired: true, captcha: captchaBody(c) };
        if (json) res.status(403).json(asked);
        else res.status(403).type('html').send(renderBillcheckPage(q, asked));
        return;
      }
    }
    const key = `${q.billBatchCode}-${q.billNo}`;
    const { result, exists } = await lookup(deps, q);
    const locked = exists ? deps.guard.billLocked(key, admitted.client) : undefined;
    if (locked) return tooMany(locked);
    if (!result.found) {
      deps.guard.wrongCode(admitted.client, exists ? key : undefined);
      deps.captcha.fail(admitted.client);
    }
    if (json) res.json(result);
    else res.type('html').send(renderBillcheckPage(q, result));
  };
  // The SVG of an open captcha, for clients that fetch images by URL; bounded like the answers.
  function remember(c: Captcha): Captcha {
    images.set(c.id, c.svg);
    if (images.size > 1000) images.delete(images.keys().next().value as string);
    return c;
  }
  r.get('/billcheck/captcha', (req, res) => {
    // Asking for a captcha is admitted like a lookup: no free supply of images.
    const admitted = deps.guard.admit(req);
    res.set('cache-control', 'no-store');
    if (!admitted.ok) return void res.status(admitted.status).set('retry-after', String(admitted.retryAfter)).json({ message: admitted.message });
    res.json(captchaBody(remember(deps.captcha.issue())));
  });
  r.get('/billcheck/captcha/:id.svg', (req, res) => {
    const svg = images.get(req.params.id);
    res.set('cache-control', 'no-store');
    if (!svg) return void res.status(404).type('text/plain; charset=utf-8').send('验证码不存在或已过期\n');
    res.type('image/svg+xml').send(svg);
  });
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
  return { payer: pick('payer'), billBatchCode: pick('billBatchCode'), billNo: pick('billNo'), random: pick('random'), captchaId: pick('captchaId'), captcha: pick('captcha') };
}

export async function check(deps: { store: FinanceBillStore; trust: FinanceTrust }, q: Omit<BillcheckQuery, 'captchaId' | 'captcha'>): Promise<BillcheckResult> {
  return (await lookup(deps, q)).result;
}

/** The answer, and whether the number exists (for the lockout only: never shown, the answers are the same). */
async function lookup(deps: { store: FinanceBillStore; trust: FinanceTrust }, q: Omit<BillcheckQuery, 'captchaId' | 'captcha'>): Promise<{ result: BillcheckResult; exists: boolean }> {
  const row = await deps.store.byNumber(q.billBatchCode, q.billNo);
  const notFound = { found: false as const, message: NOT_FOUND_MESSAGE };
  if (!row) return { result: notFound, exists: false };
  // Without an early exit, so response time says nothing about how much of a check code matched.
  if (!sameSecret(row.random.toLowerCase(), q.random.toLowerCase())) return { result: notFound, exists: true };
  const payerKnown = q.payer !== '';
  if (payerKnown && !sameSecret(row.payer ?? '', q.payer)) return { result: notFound, exists: true };
  return { result: { found: true, ...(await describe(deps, row, payerKnown)) }, exists: true };
}

async function describe(deps: { store: FinanceBillStore; trust: FinanceTrust }, row: FinanceBillRow, payerKnown: boolean) {
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
  const red = row.kind === 'red' ? undefined : await deps.store.redOf(row.bill_batch_code, row.bill_no);
  const paper = currentPaper(await deps.store.paperEventsOf(row.bill_batch_code, row.bill_no));
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
      kind: row.kind,
      relatedBill: row.kind === 'red' && row.related_bill_batch_code && row.related_bill_no ? { billBatchCode: row.related_bill_batch_code, billNo: row.related_bill_no } : null,
      redFlushed: !!red,
      redBill: red ? { billBatchCode: red.bill_batch_code, billNo: red.bill_no } : null,
      paper,
    },
    signatures: { unit: status(unit), supervisor: status(supervisor) },
  };
}

/** Replays the bill's paper events: a conversion links a paper bill, a void of that paper ends the link. */
function currentPaper(events: FinanceEventRow[]): { pBillBatchCode: string; pBillNo: string } | null {
  let now: { pBillBatchCode: string; pBillNo: string } | null = null;
  for (const e of events) {
    if (!e.p_bill_batch_code || !e.p_bill_no) continue;
    if (e.type === 'paper-convert') now = { pBillBatchCode: e.p_bill_batch_code, pBillNo: e.p_bill_no };
    else if (now && now.pBillBatchCode === e.p_bill_batch_code && now.pBillNo === e.p_bill_no) now = null;
  }
  return now;
}

const status = (v: SignatureVerdict): SignatureStatus => ({ verified: v.verified, signer: v.signer ?? null, serial: v.serial ?? null, detail: v.detail });

/** 张三 → 张*, 欧阳娜娜 → 欧***: enough for the holder to recognise, too little to identify. */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length <= 1) return chars.length ? '*' : '';
  return chars[0] + '*'.repeat(chars.length - 1);
}
