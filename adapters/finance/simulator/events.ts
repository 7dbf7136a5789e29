/**
 * POST /api/events — paper conversion, paper void and blank void (a FinanceEvent, src/engine/finance.ts).
 * Idempotent by eventId: the same content again answers `repeated: true`; other content under a held
 * eventId is a 409 conflict; an eventId that is not the one its content implies is `bad-event`. A paper
 * event naming an e-bill finance does not hold gets 425 for `finance.relatedBillWait`, then
 * `related-bill-unknown`. Every accepted event is a fin_events row (the daily totals count them).
 */
import { createHash } from 'node:crypto';
import express from 'express';
import { type BillEvent, eventIdOf } from '../../../src/domain/finance-event';
import { log } from '../../../src/log';
import type { EventAccepted, UploadRefused } from '../api';
import type { RelatedWait } from './related-wait';
import type { FinanceBillStore, FinanceEventRow } from './store';
import { refusal } from './upload';

const DIGITS = /^\d{1,20}$/;
const TIME = /^\d{14}$/;
/** one blank-void event covers at most this many numbers (medbill voids at most 1,000 per request) */
const MAX_BLANK_SPAN = 100_000n;

type Outcome = { status: number; body: EventAccepted | UploadRefused };

export function eventRoutes(deps: { store: FinanceBillStore; related: RelatedWait }): express.Router {
  const r = express.Router();
  r.post('/api/events', express.json({ limit: 64 * 1024 }), async (req, res) => {
    const out = await accept(deps, req.body as unknown);
    const b = out.body;
    if (b.ok) log().info('finance: event accepted', { eventId: b.eventId, repeated: b.repeated });
    else log().warn('finance: event refused', { code: b.code, status: out.status, detail: b.detail });
    const asked = (req.body ?? {}) as { eventId?: unknown };
    await deps.store.recordEventReceipt({
      event_id: typeof asked.eventId === 'string' ? asked.eventId.slice(0, 200) : null,
      outcome: b.ok ? (b.repeated ? 'repeated' : 'accepted') : 'refused',
      code: b.ok ? null : b.code,
      status: out.status,
      received_at: Date.now(),
    });
    res.status(out.status).json(b);
  });
  return r;
}

/** Why the body is not a well-formed event (English), or undefined when it is. */
function shapeProblem(b: Record<string, unknown>): string | undefined {
  const str = (k: string, re?: RegExp, max = 200): string | undefined => {
    const v = b[k];
    if (typeof v !== 'string' || v.length > max || (re && !re.test(v))) return `${k} missing or malformed`;
    return undefined;
  };
  const common = str('eventId') ?? str('time', TIME) ?? str('placeCode', undefined, 50);
  if (common) return common;
  switch (b.type) {
    case 'paper-convert':
      return str('billBatchCode', DIGITS) ?? str('billNo', DIGITS) ?? str('pBillBatchCode', DIGITS) ?? str('pBillNo', DIGITS);
    case 'paper-void': {
      const linked = b.billBatchCode !== undefined || b.billNo !== undefined ? (str('billBatchCode', DIGITS) ?? str('billNo', DIGITS)) : undefined;
      return str('pBillBatchCode', DIGITS) ?? str('pBillNo', DIGITS) ?? linked ?? str('reason');
    }
    case 'blank-void': {
      if (b.medium !== 'ebill' && b.medium !== 'paper') return 'medium must be ebill or paper';
      const bad = str('billBatchCode', DIGITS) ?? str('startNo', DIGITS) ?? str('endNo', DIGITS) ?? str('reason');
      if (bad) return bad;
      const [s, e] = [String(b.startNo), String(b.endNo)];
      if (s.length !== e.length || BigInt(e) < BigInt(s)) return 'startNo..endNo is not a range';
      if (BigInt(e) - BigInt(s) + 1n > MAX_BLANK_SPAN) return `a blank void covers at most ${MAX_BLANK_SPAN} numbers`;
      return undefined;
    }
    default:
      return 'type must be paper-convert, paper-void or blank-void';
  }
}

/** SHA-256 of the event's JSON with sorted keys: "the same content" whatever order the fields came in. */
function contentHash(e: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.keys(e).sort().map((k) => [k, e[k]]));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

async function accept(deps: { store: FinanceBillStore; related: RelatedWait }, body: unknown): Promise<Outcome> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return refusal('bad-event', 'body is not a JSON object');
  const b = body as Record<string, unknown>;
  const problem = shapeProblem(b);
  if (problem) return refusal('bad-event', problem);
  const e = b as unknown as BillEvent;
  const expected = eventIdOf(e);
  if (e.eventId !== expected) return refusal('bad-event', `eventId must be ${expected} for this content`);
  const sha = contentHash(b);

  const held = await deps.store.eventById(e.eventId);
  if (held) return repeatOf(held, sha);

  const bill = e.type === 'blank-void' ? undefined : e.billBatchCode && e.billNo ? { code: e.billBatchCode, no: e.billNo } : undefined;
  if (bill && !(await deps.store.byNumber(bill.code, bill.no))) {
    const wait = deps.related.notYet(`event:${e.eventId}`);
    const detail = `e-bill ${bill.code}/${bill.no} is not held by finance`;
    if (wait !== undefined) return { status: 425, body: { ok: false, code: 'related-bill-unknown', message: '关联的电子票据尚未上传到财政系统，请稍后重试', detail: `${detail}; retry within ${wait} s` } };
    return refusal('related-bill-unknown', detail);
  }
  const { inserted, row } = await deps.store.insertEventOrGet({
    event_id: e.eventId,
    type: e.type,
    content_sha256: sha,
    place_code: e.placeCode || null,
    bill_batch_code: e.type === 'blank-void' ? e.billBatchCode : (e.billBatchCode ?? null),
    bill_no: e.type === 'blank-void' ? null : (e.billNo ?? null),
    p_bill_batch_code: e.type === 'blank-void' ? null : e.pBillBatchCode,
    p_bill_no: e.type === 'blank-void' ? null : e.pBillNo,
    medium: e.type === 'blank-void' ? e.medium : 'paper',
    start_no: e.type === 'blank-void' ? e.startNo : null,
    end_no: e.type === 'blank-void' ? e.endNo : null,
    count: e.type === 'blank-void' ? Number(BigInt(e.endNo) - BigInt(e.startNo) + 1n) : 1,
    reason: e.type === 'paper-convert' ? null : e.reason.slice(0, 200),
    event_time: e.time,
    event_date: e.time.slice(0, 8),
    received_at: Date.now(),
  });
  return inserted ? { status: 200, body: { ok: true, eventId: row.event_id, repeated: false } } : repeatOf(row, sha);
}

function repeatOf(held: FinanceEventRow, sha: string): Outcome {
  if (held.content_sha256 !== sha) return refusal('conflict', `event ${held.event_id} was recorded at ${new Date(Number(held.received_at)).toISOString()} with other content`);
  return { status: 200, body: { ok: true, eventId: held.event_id, repeated: true } };
}
