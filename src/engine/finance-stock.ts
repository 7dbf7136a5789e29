/**
 * Stock from finance, medbill's side: apply (申领), learn finance's decision, receive the allocated range
 * into the stock ledger, confirm receipt (入库确认). Each step is idempotent, so the `finance-stock-poll`
 * schedule, `medbill stock receive --application` and a retry after a crash may all run it again.
 * Numbers are still taken only by takeNumber: a received range is stock like any other.
 */
import { BILL_KINDS, billKindOf, type Medium } from '../domain/stock';
import { log } from '../log';
import type { ApplicationRow, FinanceApplicationStore } from '../store/finance-applications';
import type { StockRefusal } from '../store/stock';
import type { Finance, FinanceApplicationStatus, FinanceRefused, FinanceTransient } from './finance';

export interface ApplyInput {
  applicationId: string;
  billKind: string;
  medium: Medium;
  quantity: number;
  applicant: string;
  reason?: string;
}

export type StockStepResult =
  | { kind: 'ok'; row: ApplicationRow; received?: number; confirmed?: boolean }
  | { kind: 'invalid'; message: string }
  | { kind: 'ledger'; refusal: StockRefusal; row: ApplicationRow }
  | FinanceRefused
  | FinanceTransient;

/** A stable id for an application made without one: the command's own choice, shown to the user. */
export function newApplicationId(now = Date.now()): string {
  return `APP-${now.toString(36).toUpperCase()}-${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
}

export class FinanceStockDesk {
  constructor(
    private readonly finance: Finance,
    private readonly store: FinanceApplicationStore,
  ) {}

  async apply(a: ApplyInput): Promise<StockStepResult> {
    const kind = billKindOf(a.billKind);
    if (!kind) return { kind: 'invalid', message: `票据种类 ${a.billKind} 未定义（outpatient、inpatient、… 或其编码如 0601）` };
    if (!Number.isInteger(a.quantity) || a.quantity < 1) return { kind: 'invalid', message: `申领数量 quantity ${a.quantity} 应为正整数` };
    const row = await this.store.create({ ...a, billKind: kind, billCode: BILL_KINDS[kind].billCode });
    // The same id with other content is finance's to refuse (conflict): the stored row is what was sent.
    const r = await this.finance.applyStock({
      applicationId: row.application_id,
      billKind: row.bill_kind,
      billCode: row.bill_code,
      medium: row.medium,
      quantity: Number(row.quantity),
      applicant: row.applicant,
      ...(row.reason ? { reason: row.reason } : {}),
    });
    if (r.kind !== 'ok') return r;
    return { kind: 'ok', row: await this.store.decided(row.application_id, r.status) };
  }

  /**
   * Asks finance where the application stands; when approved, receives the range and confirms it.
   * An application medbill never recorded cannot be received (its kind and medium are medbill's).
   */
  async receive(applicationId: string, operator: string): Promise<StockStepResult> {
    let row = await this.store.get(applicationId);
    if (!row) return { kind: 'invalid', message: `申领单 ${applicationId} 不是本单位通过 medbill stock apply 提交的申领` };
    if (row.state === 'new') {
      const sent = await this.apply({ applicationId, billKind: row.bill_kind, medium: row.medium, quantity: Number(row.quantity), applicant: row.applicant, reason: row.reason ?? undefined });
      if (sent.kind !== 'ok') return sent;
      row = sent.row;
    }
    if (!row.received_at) {
      const s = await this.finance.stockApplication(applicationId);
      if (s.kind !== 'ok') return s;
      row = await this.store.decided(applicationId, s.status);
      if (row.state !== 'approved') return { kind: 'ok', row };
      if (!consistent(row, s.status)) return { kind: 'invalid', message: `财政下发的号段 ${s.status.allocation?.billBatchCode ?? ''} 与申领单 ${applicationId} 的票据种类不符` };
      const got = await this.store.receive(applicationId, operator);
      if (!got.ok) return { kind: 'ledger', refusal: got, row };
      row = got.row;
      if (!got.already) log().info('stock received from finance', { applicationId, billBatchCode: row.bill_batch_code, startNo: row.start_no, endNo: row.end_no, count: got.count });
    }
    const c = await this.finance.confirmReceipt(applicationId);
    if (c.kind !== 'ok') return c;
    await this.store.confirmed(applicationId);
    return { kind: 'ok', row: (await this.store.get(applicationId))!, received: row.start_no && row.end_no ? Number(row.end_no) - Number(row.start_no) + 1 : undefined, confirmed: true };
  }

  /** The schedule: every open application one step further; one failing does not stop the others. */
  async poll(operator = 'finance-stock-poll'): Promise<{ checked: number; received: number; failed: number }> {
    const open = await this.store.open();
    let received = 0;
    let failed = 0;
    for (const a of open) {
      const r = await this.receive(a.application_id, operator).catch((e: Error): StockStepResult => ({ kind: 'transient', reason: e.message }));
      if (r.kind === 'ok') {
        if (r.row.state === 'received' && !a.received_at) received++;
      } else {
        failed++;
        log().warn('stock application not advanced', { applicationId: a.application_id, outcome: r.kind, reason: 'reason' in r ? r.reason : 'message' in r ? r.message : undefined });
      }
    }
    return { checked: open.length, received, failed };
  }
}

/** The allocated code must be of the applied kind (positions 3–6 of an 8-digit code are the billCode). */
function consistent(row: ApplicationRow, s: FinanceApplicationStatus): boolean {
  const code = s.allocation?.billBatchCode ?? row.bill_batch_code ?? '';
  return row.medium === 'paper' || (code.length === 8 && code.slice(2, 6) === row.bill_code);
}
