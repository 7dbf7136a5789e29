/**
 * The provincial finance e-bill system as the engine sees it. adapters/finance implements it (the HTTP
 * client of the embedded simulator's protocol is the default binding, `finance.binding: simulator`; a
 * province's own protocol is another binding of this same interface, never a change to the flows); the
 * engine never imports an adapter.
 *
 * Every call answers one attempt, classified the same way:
 *   ok        — finance did it (or had already done it: every call is idempotent by its identity)
 *   refused   — finance looked and said no: sending the same thing again cannot help (dead letter)
 *   transient — network trouble, timeout, overload, a server fault: the same call may succeed later
 * Whether and when to try again is the outbox's business (src/engine/jobs/), not the binding's.
 */

import type { BillEvent } from '../domain/finance-event';

// ── bills: blue and red e-bills, as signed documents ───────────────────────────────────────────────

export interface FinanceBill {
  billBatchCode: string;
  billNo: string;
  random: string;
  /** the stored fiscal XML document, exactly as the unit signed it */
  fiscalXml: string;
  /** 开票点: not in the signed document; finance's daily totals are per day, place and kind */
  placeCode?: string;
  /** medbill's bill kind (outpatient, inpatient, …; src/domain/bill-kinds) */
  billKind?: string;
}

export interface FinanceAccepted {
  kind: 'accepted';
  /** the bill finance says it signed (checked against the one sent) */
  billBatchCode: string;
  billNo: string;
  /** Base64 DER GM/T 0010 SignedData, detached, over the same signed text as the unit signature */
  supervisorSignature: string;
  /** serial of the finance supervisor certificate, hex */
  certSerial: string;
  /** signing time, yyyyMMddHHmmss Beijing time */
  time: string;
  /** finance had already accepted this bill with the same signed text */
  repeated: boolean;
}

/** Finance looked and said no: sending the same thing again cannot help. */
export interface FinanceRefused {
  kind: 'refused';
  /** the peer's status (HTTP status for the HTTP bindings) */
  status: number;
  /** machine-readable reason (adapters/finance/api.ts RefusalCode for the simulator binding) */
  code: string;
  /** Chinese, for people */
  message: string;
  /** English detail for logs */
  detail?: string;
}

/** Network trouble, timeout, overload or a server fault: the same call may succeed later. */
export interface FinanceTransient {
  kind: 'transient';
  /** what went wrong, for logs and /readyz: names the failure, not the peer's address */
  reason: string;
}

export type FinanceUploadResult = FinanceAccepted | FinanceRefused | FinanceTransient;

/** The outcome of every call other than a bill upload. */
export type FinanceResult<T> = ({ kind: 'ok' } & T) | FinanceRefused | FinanceTransient;

// ── events other than a bill document ──────────────────────────────────────────────────────────────

/**
 * A bill event that is not a signed document: paper conversion, paper void, blank void. Its shapes and
 * the eventId rules live with the code that builds them (src/domain/finance-event.ts): the identity of
 * an event is what happened, never a random id, so a repeat after a crash or a requeue is the same
 * event to finance. `time` is yyyyMMddHHmmss Beijing time, when it happened at the hospital.
 */
export type FinanceEvent = BillEvent;

export type FinanceEventType = FinanceEvent['type'];

export interface FinanceEventAccepted {
  eventId: string;
  /** finance had already recorded this event with the same content */
  repeated: boolean;
}

// ── base information ───────────────────────────────────────────────────────────────────────────────

export interface FinanceBillKind {
  /** 4-digit 票据种类 code (0601 outpatient…), as in the bill code's positions 3–6 */
  billCode: string;
  name: string;
  /** medium this kind may be issued on */
  media: Array<'ebill' | 'paper'>;
}

export interface FinanceChargeItem {
  /** 收费项目编码 */
  code: string;
  name: string;
  /** the bill kinds (billCode) on which the item may be charged; empty = all */
  billCodes: string[];
  /** yyyyMMdd; absent = no end */
  validFrom?: string;
  validTo?: string;
}

export interface FinanceBaseInfo {
  /** finance's version of the whole set (changes whenever anything in it changes) */
  version: string;
  billKinds: FinanceBillKind[];
  chargeItems: FinanceChargeItem[];
  /** other code tables by name (e.g. payChannel, medCareType): code → name */
  codeTables: Record<string, Record<string, string>>;
}

// ── stock from finance: 申领 → 审批 → 号段下发 → 入库确认 ─────────────────────────────────────────────

export interface FinanceStockApplication {
  /** chosen by medbill, idempotent: applying twice with one id is one application */
  applicationId: string;
  billKind: string;
  /** 4-digit bill kind code (billCodes of src/domain/bill-kinds) */
  billCode: string;
  medium: 'ebill' | 'paper';
  quantity: number;
  applicant: string;
  reason?: string;
}

export type FinanceApplicationState = 'pending' | 'approved' | 'rejected' | 'received';

export interface FinanceApplicationStatus {
  applicationId: string;
  state: FinanceApplicationState;
  /** why finance rejected it (Chinese) */
  rejectReason?: string;
  /** the range finance allocated, once approved */
  allocation?: { billBatchCode: string; startNo: string; endNo: string; count: number };
  /** yyyyMMddHHmmss of the last state change */
  updatedAt: string;
}

// ── reconciliation ─────────────────────────────────────────────────────────────────────────────────

/** Finance's totals for one day (the bills' issue date, Beijing), per place and bill kind. */
export interface FinanceDailyTotals {
  /** YYYY-MM-DD */
  date: string;
  rows: FinanceDailyTotalRow[];
}

export interface FinanceDailyTotalRow {
  placeCode: string;
  /** 8-digit bill code (票据代码) the counts are under */
  billBatchCode: string;
  blueCount: number;
  /** exact decimal string, yuan, 2 places */
  blueAmount: string;
  redCount: number;
  /** negative or zero, exact decimal string */
  redAmount: string;
  paperConvertCount: number;
  paperVoidCount: number;
  blankVoidCount: number;
}

// ── the port ───────────────────────────────────────────────────────────────────────────────────────

export interface Finance {
  readonly name: string;
  /** a blue or red e-bill: finance checks it and adds the supervisory signature */
  upload(bill: FinanceBill): Promise<FinanceUploadResult>;
  /** paper conversion, paper void, blank void */
  sendEvent(event: FinanceEvent): Promise<FinanceResult<FinanceEventAccepted>>;
  baseInfo(): Promise<FinanceResult<{ info: FinanceBaseInfo }>>;
  applyStock(app: FinanceStockApplication): Promise<FinanceResult<{ status: FinanceApplicationStatus }>>;
  stockApplication(applicationId: string): Promise<FinanceResult<{ status: FinanceApplicationStatus }>>;
  /** 入库确认: medbill has put the allocated range into its ledger */
  confirmReceipt(applicationId: string): Promise<FinanceResult<{ status: FinanceApplicationStatus }>>;
  dailyTotals(date: string): Promise<FinanceResult<{ totals: FinanceDailyTotals }>>;
}
