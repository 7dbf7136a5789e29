/**
 * medbill's events of one day as finance counts them (docs/finance-exchange.md#daily-reconciliation), and
 * the stored reconciliation reports (migration 016). The bills of the day are ReportStore.dayBills' (by
 * create_time, the issue time in the signed document); here paper conversions and voids by their
 * paper_bills times and blank voids by the stock movement's time, the day being Beijing's. Plain SQL both SQLite and MariaDB accept; sums in fen happen in
 * the domain.
 */
import type { Knex } from 'knex';
import type { SqlDb } from './sql';

export interface LedgerCountRow {
  what: 'paperConvert' | 'paperVoid' | 'blankVoid';
  place_code: string | null;
  bill_batch_code: string;
  n: number | string;
}

const BEIJING_MS = 8 * 3600_000;

export class FinanceReconcileStore {
  constructor(
    private readonly db: Knex,
    private readonly sql: SqlDb,
  ) {}

  /** Paper conversions, paper voids and blank voids of a day, counted per place and code. */
  async events(day: string): Promise<LedgerCountRow[]> {
    const from = `${day}000000000`;
    const to = `${day}235959999`;
    const startMs = Date.UTC(Number(day.slice(0, 4)), Number(day.slice(4, 6)) - 1, Number(day.slice(6, 8))) - BEIJING_MS;
    return this.sql.withConnection(async (tx) => [
      // Every link of a paper to an e-bill is one conversion, also when the paper was later voided or replaced.
      ...(await tx.all<LedgerCountRow>(
        "SELECT 'paperConvert' AS what, place_code, paper_batch_code AS bill_batch_code, COUNT(*) AS n FROM paper_bills WHERE bill_id IS NOT NULL AND linked_time >= ? AND linked_time <= ? GROUP BY place_code, paper_batch_code",
        [from, to],
      )),
      ...(await tx.all<LedgerCountRow>(
        "SELECT 'paperVoid' AS what, place_code, paper_batch_code AS bill_batch_code, COUNT(*) AS n FROM paper_bills WHERE state = 'voided' AND bill_id IS NOT NULL AND voided_time >= ? AND voided_time <= ? GROUP BY place_code, paper_batch_code",
        [from, to],
      )),
      ...(await tx.all<LedgerCountRow>(
        "SELECT 'blankVoid' AS what, place_code, bill_batch_code, SUM(end_no - start_no + 1) AS n FROM stock_movements WHERE op = 'voided' AND at >= ? AND at < ? GROUP BY place_code, bill_batch_code",
        [startMs, startMs + 86_400_000],
      )),
    ]);
  }

  async saveReport(date: string, differences: number, report: unknown, source: 'cli' | 'schedule', now = Date.now()): Promise<number> {
    const [id] = await this.db('finance_reconcile_reports').insert({ recon_date: date, differences, report: JSON.stringify(report), source, created_at: now });
    return Number(id);
  }

  async latest(date: string): Promise<{ id: number; differences: number; report: unknown; created_at: number } | undefined> {
    const r = await this.db('finance_reconcile_reports').where({ recon_date: date }).orderBy('id', 'desc').first();
    return r && { id: Number(r.id), differences: Number(r.differences), report: JSON.parse(r.report), created_at: Number(r.created_at) };
  }
}
