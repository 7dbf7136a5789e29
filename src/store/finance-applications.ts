/**
 * Stock applications medbill sent to finance (migration 016) and where each stands. The range finance
 * allocated is received into the stock ledger through StockStore.receiveTx in the same transaction that
 * marks the application received, so receiving twice (the poll and the command at once, or a retry
 * after a crash) puts the range in the ledger once.
 */
import type { Knex } from 'knex';
import type { Medium } from '../domain/stock';
import type { GroupCommit } from './group-commit';
import type { StockOutcome, StockStore } from './stock';

export type LocalApplicationState = 'new' | 'pending' | 'approved' | 'rejected' | 'received';

export interface ApplicationRow {
  id: number;
  application_id: string;
  bill_kind: string;
  bill_code: string;
  medium: Medium;
  quantity: number;
  applicant: string;
  reason: string | null;
  state: LocalApplicationState;
  reject_reason: string | null;
  bill_batch_code: string | null;
  start_no: string | null;
  end_no: string | null;
  received_at: number | null;
  confirmed_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface NewApplication {
  applicationId: string;
  billKind: string;
  billCode: string;
  medium: Medium;
  quantity: number;
  applicant: string;
  reason?: string;
}

/** What finance said about an application (the engine's FinanceApplicationStatus, as the store needs it). */
export interface FinanceDecision {
  state: 'pending' | 'approved' | 'rejected' | 'received';
  rejectReason?: string;
  allocation?: { billBatchCode: string; startNo: string; endNo: string };
}

export class FinanceApplicationStore {
  constructor(
    private readonly db: Knex,
    private readonly writer: GroupCommit,
    private readonly stock: StockStore,
  ) {}

  get(applicationId: string): Promise<ApplicationRow | undefined> {
    return this.db<ApplicationRow>('finance_stock_applications').where({ application_id: applicationId }).first();
  }

  /** Records the application before it is sent, so a crash after sending leaves a row to resend from. */
  async create(a: NewApplication, now = Date.now()): Promise<ApplicationRow> {
    const held = await this.get(a.applicationId);
    if (held) return held;
    await this.db('finance_stock_applications').insert({
      application_id: a.applicationId,
      bill_kind: a.billKind,
      bill_code: a.billCode,
      medium: a.medium,
      quantity: a.quantity,
      applicant: a.applicant.slice(0, 60),
      reason: a.reason?.slice(0, 200) ?? null,
      state: 'new',
      created_at: now,
      updated_at: now,
    });
    return (await this.get(a.applicationId))!;
  }

  /**
   * Takes finance's word for the state and the allocation; the local "received" (the ledger row) is
   * never undone by it: finance says received only after medbill confirmed.
   */
  async decided(applicationId: string, d: FinanceDecision, now = Date.now()): Promise<ApplicationRow> {
    const row = await this.get(applicationId);
    if (!row) throw new Error(`no stock application ${applicationId}`);
    const state = row.state === 'received' ? 'received' : d.state === 'received' ? (row.received_at ? 'received' : 'approved') : d.state;
    await this.db('finance_stock_applications')
      .where({ application_id: applicationId })
      .update({
        state,
        reject_reason: d.rejectReason?.slice(0, 200) ?? null,
        bill_batch_code: d.allocation?.billBatchCode ?? row.bill_batch_code,
        start_no: d.allocation?.startNo ?? row.start_no,
        end_no: d.allocation?.endNo ?? row.end_no,
        updated_at: now,
      });
    return (await this.get(applicationId))!;
  }

  /**
   * Puts the allocated range into the unit's store, once: `already` when an earlier call did. A refusal
   * of the ledger (the range overlaps stock received otherwise) changes nothing and is returned.
   */
  receive(applicationId: string, operator: string, now = Date.now()): Promise<StockOutcome<{ count: number; already: boolean; row: ApplicationRow }>> {
    return this.writer.run(async (tx) => {
      const row = await tx.get<ApplicationRow>(`SELECT * FROM finance_stock_applications WHERE application_id = ?${tx.forUpdate}`, [applicationId]);
      if (!row || !row.bill_batch_code || !row.start_no || !row.end_no) throw new Error(`stock application ${applicationId} has no allocation`);
      if (row.received_at) return { ok: true as const, count: 0, already: true, row };
      const r = await this.stock.receiveTx(
        tx,
        { billBatchCode: row.bill_batch_code, startNo: row.start_no, endNo: row.end_no, medium: row.medium, billKind: row.bill_kind },
        { operator: operator.slice(0, 30), remark: `财政申领单 ${applicationId}`.slice(0, 200), source: 'finance' },
      );
      if (!r.ok) return r;
      await tx.run('UPDATE finance_stock_applications SET state = ?, received_at = ?, updated_at = ? WHERE application_id = ?', ['received', now, now, applicationId]);
      return { ok: true as const, count: r.count, already: false, row: { ...row, state: 'received' as const, received_at: now } };
    });
  }

  async confirmed(applicationId: string, now = Date.now()): Promise<void> {
    await this.db('finance_stock_applications').where({ application_id: applicationId }).whereNull('confirmed_at').update({ confirmed_at: now, updated_at: now });
  }

  /** Applications with a step still to do: not yet answered, waiting for finance, or received but unconfirmed. */
  open(): Promise<ApplicationRow[]> {
    return this.db<ApplicationRow>('finance_stock_applications')
      .whereIn('state', ['new', 'pending', 'approved'])
      .orWhere((q) => q.where({ state: 'received' }).whereNull('confirmed_at'))
      .orderBy('id');
  }

  list(limit = 100): Promise<ApplicationRow[]> {
    return this.db<ApplicationRow>('finance_stock_applications').orderBy('id', 'desc').limit(limit);
  }
}
