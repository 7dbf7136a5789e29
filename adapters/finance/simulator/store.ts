/** The simulator's bill table: accepted e-bills with their supervisory signature. */
import path from 'node:path';
import type { Knex } from 'knex';
import { isUniqueViolation, openDb } from '../../../src/store/db';
import { financeMigrationSource } from './migrations';

export interface FinanceBillRow {
  id: number;
  bill_batch_code: string;
  bill_no: string;
  random: string;
  fiscal_xml: string;
  content_sha256: string;
  payer: string | null;
  total_amount: string | null;
  issue_date: string | null;
  unit_signature: string;
  unit_cert_serial: string | null;
  supervisor_signature: string;
  supervisor_cert_serial: string;
  supervisor_time: string;
  received_at: number;
  kind: 'blue' | 'red';
  place_code: string | null;
  bill_kind: string | null;
  related_bill_batch_code: string | null;
  related_bill_no: string | null;
}

/** One accepted bill event that is not a document (fin_events). */
export interface FinanceEventRow {
  id: number;
  event_id: string;
  type: 'paper-convert' | 'paper-void' | 'blank-void';
  content_sha256: string;
  place_code: string | null;
  bill_batch_code: string | null;
  bill_no: string | null;
  p_bill_batch_code: string | null;
  p_bill_no: string | null;
  medium: string | null;
  start_no: string | null;
  end_no: string | null;
  count: number;
  reason: string | null;
  event_time: string;
  event_date: string;
  received_at: number;
}

export type NewFinanceBill = Omit<FinanceBillRow, 'id'>;

/** One answered upload request (fin_uploads). */
export interface FinanceUploadRecord {
  bill_batch_code: string | null;
  bill_no: string | null;
  outcome: 'accepted' | 'repeated' | 'refused';
  code: string | null;
  status: number;
  received_at: number;
}

/** One answered /api/events request (fin_event_receipts). */
export interface FinanceEventReceipt {
  event_id: string | null;
  outcome: 'accepted' | 'repeated' | 'refused';
  code: string | null;
  status: number;
  received_at: number;
}

export function financeDbFile(dataDir: string): string {
  return path.join(dataDir, 'finance.sqlite');
}

export class FinanceBillStore {
  private constructor(readonly db: Knex) {}

  /** Opens (creating and migrating) the simulator's own SQLite file. */
  static async open(file: string): Promise<FinanceBillStore> {
    // A stand-in for the provincial system: its durability is not ours to prove, and an fsync per
    // upload would only slow the outbox tests down.
    const db = openDb(`sqlite:${file}`, { sqliteSynchronous: 'normal' });
    await db.migrate.latest({ migrationSource: financeMigrationSource });
    return new FinanceBillStore(db);
  }

  byNumber(billBatchCode: string, billNo: string): Promise<FinanceBillRow | undefined> {
    return this.db<FinanceBillRow>('fin_bills').where({ bill_batch_code: billBatchCode, bill_no: billNo }).first();
  }

  /**
   * Inserts unless the number is taken; then returns the row that holds it. Two concurrent uploads of
   * one number both end here, and exactly one row wins.
   */
  async insertOrGet(row: NewFinanceBill): Promise<{ inserted: boolean; row: FinanceBillRow }> {
    try {
      const [id] = await this.db('fin_bills').insert(row);
      return { inserted: true, row: { ...row, id: Number(id) } };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const existing = await this.byNumber(row.bill_batch_code, row.bill_no);
      if (!existing) throw e;
      return { inserted: false, row: existing };
    }
  }

  /** The live red bill of a blue bill, if finance holds one. */
  redOf(billBatchCode: string, billNo: string): Promise<FinanceBillRow | undefined> {
    return this.db<FinanceBillRow>('fin_bills').where({ kind: 'red', related_bill_batch_code: billBatchCode, related_bill_no: billNo }).first();
  }

  eventById(eventId: string): Promise<FinanceEventRow | undefined> {
    return this.db<FinanceEventRow>('fin_events').where({ event_id: eventId }).first();
  }

  /** Inserts unless the eventId is taken; then returns the row that holds it (one row wins a race). */
  async insertEventOrGet(row: Omit<FinanceEventRow, 'id'>): Promise<{ inserted: boolean; row: FinanceEventRow }> {
    try {
      const [id] = await this.db('fin_events').insert(row);
      return { inserted: true, row: { ...row, id: Number(id) } };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const existing = await this.eventById(row.event_id);
      if (!existing) throw e;
      return { inserted: false, row: existing };
    }
  }

  /** The paper events of an e-bill, oldest first (the check page shows its current paper). */
  paperEventsOf(billBatchCode: string, billNo: string): Promise<FinanceEventRow[]> {
    return this.db<FinanceEventRow>('fin_events').whereIn('type', ['paper-convert', 'paper-void']).where({ bill_batch_code: billBatchCode, bill_no: billNo }).orderBy('id');
  }

  /** Every accepted event, in order of arrival (tests prove exactly-once delivery with it). */
  events(): Promise<FinanceEventRow[]> {
    return this.db<FinanceEventRow>('fin_events').orderBy('id');
  }

  async recordEventReceipt(r: FinanceEventReceipt): Promise<void> {
    await this.db('fin_event_receipts').insert(r);
  }

  async eventReceipts(): Promise<FinanceEventReceipt[]> {
    const rows: FinanceEventReceipt[] = await this.db('fin_event_receipts').select('event_id', 'outcome', 'code', 'status', 'received_at').orderBy('id');
    return rows.map((r) => ({ ...r, status: Number(r.status), received_at: Number(r.received_at) }));
  }

  async recordUpload(r: FinanceUploadRecord): Promise<void> {
    await this.db('fin_uploads').insert(r);
  }

  async uploads(): Promise<FinanceUploadRecord[]> {
    const rows: FinanceUploadRecord[] = await this.db('fin_uploads').select('bill_batch_code', 'bill_no', 'outcome', 'code', 'status', 'received_at').orderBy('id');
    return rows.map((r) => ({ ...r, status: Number(r.status), received_at: Number(r.received_at) }));
  }

  close(): Promise<void> {
    return this.db.destroy();
  }
}
