/**
 * The bill events finance hears about besides the signed documents: paper conversion, paper void and
 * blank void. Built here, in the store's transactions that make them happen (src/store/paper.ts,
 * stock.ts, bills.ts), so the event is durable exactly when the change is.
 *
 * The identity of an event is what happened, never a random id: a repeat after a crash or a requeue
 * carries the same eventId, and finance records it once (src/engine/finance.ts documents the rules;
 * the shapes here are that port's FinanceEvent).
 */
import { stamp17 } from './time';

/** The outbox topic of these events (the job: src/engine/jobs/finance-event.ts). */
export const FINANCE_EVENT_TOPIC = 'finance-event';

export interface PaperConvertEvent {
  type: 'paper-convert';
  eventId: string;
  time: string;
  placeCode: string;
  billBatchCode: string;
  billNo: string;
  pBillBatchCode: string;
  pBillNo: string;
  operator?: string;
}

export interface PaperVoidEvent {
  type: 'paper-void';
  eventId: string;
  time: string;
  placeCode: string;
  pBillBatchCode: string;
  pBillNo: string;
  billBatchCode?: string;
  billNo?: string;
  reason: string;
  operator?: string;
}

export interface BlankVoidEvent {
  type: 'blank-void';
  eventId: string;
  time: string;
  placeCode: string;
  medium: 'ebill' | 'paper';
  billBatchCode: string;
  startNo: string;
  endNo: string;
  reason: string;
  operator?: string;
}

export type BillEvent = PaperConvertEvent | PaperVoidEvent | BlankVoidEvent;

/** yyyyMMddHHmmss Beijing time, as finance counts the day of an event. */
export const eventTime = (ms = Date.now()): string => stamp17(ms).slice(0, 14);

const opt = (v: string | null | undefined): string | undefined => (v ? v : undefined);

/** The eventId an event's content implies (finance checks that a received event carries it). */
export function eventIdOf(e: BillEvent): string {
  switch (e.type) {
    case 'paper-convert':
      return `paper-convert:${e.billBatchCode}/${e.billNo}:${e.pBillBatchCode}/${e.pBillNo}`;
    case 'paper-void':
      return `paper-void:${e.pBillBatchCode}/${e.pBillNo}`;
    case 'blank-void':
      return `blank-void:${e.medium}:${e.billBatchCode}/${e.startNo}-${e.endNo}`;
  }
}

export function paperConvertEvent(e: { placeCode: string; billBatchCode: string; billNo: string; pBillBatchCode: string; pBillNo: string; operator?: string | null }, at = Date.now()): PaperConvertEvent {
  return {
    type: 'paper-convert',
    eventId: eventIdOf({ type: 'paper-convert', ...e } as PaperConvertEvent),
    time: eventTime(at),
    placeCode: e.placeCode,
    billBatchCode: e.billBatchCode,
    billNo: e.billNo,
    pBillBatchCode: e.pBillBatchCode,
    pBillNo: e.pBillNo,
    ...(opt(e.operator) ? { operator: e.operator! } : {}),
  };
}

export function paperVoidEvent(
  e: { placeCode: string; pBillBatchCode: string; pBillNo: string; billBatchCode?: string | null; billNo?: string | null; reason: string; operator?: string | null },
  at = Date.now(),
): PaperVoidEvent {
  return {
    type: 'paper-void',
    eventId: eventIdOf({ type: 'paper-void', ...e } as PaperVoidEvent),
    time: eventTime(at),
    placeCode: e.placeCode,
    pBillBatchCode: e.pBillBatchCode,
    pBillNo: e.pBillNo,
    ...(opt(e.billBatchCode) && opt(e.billNo) ? { billBatchCode: e.billBatchCode!, billNo: e.billNo! } : {}),
    reason: e.reason.slice(0, 200),
    ...(opt(e.operator) ? { operator: e.operator! } : {}),
  };
}

export function blankVoidEvent(
  e: { placeCode: string; medium: 'ebill' | 'paper'; billBatchCode: string; startNo: string; endNo: string; reason: string; operator?: string | null },
  at = Date.now(),
): BlankVoidEvent {
  return {
    type: 'blank-void',
    eventId: eventIdOf({ type: 'blank-void', ...e } as BlankVoidEvent),
    time: eventTime(at),
    placeCode: e.placeCode,
    medium: e.medium,
    billBatchCode: e.billBatchCode,
    startNo: e.startNo,
    endNo: e.endNo,
    reason: e.reason.slice(0, 200),
    ...(opt(e.operator) ? { operator: e.operator! } : {}),
  };
}

/** The outbox row of an event: keyed by its eventId, so the job and finance agree on what it is. */
export function eventJob(e: BillEvent, messageId?: string | null): { topic: string; key: string; payload: BillEvent; messageId?: string } {
  return { topic: FINANCE_EVENT_TOPIC, key: e.eventId.slice(0, 200), payload: e, ...(messageId ? { messageId } : {}) };
}
