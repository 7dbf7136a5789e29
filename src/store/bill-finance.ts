/**
 * The finance side of a bill (migration 002): the supervisory signature and where the upload stands.
 * Kept beside BillStore rather than in it: only the finance upload job writes these columns.
 */
import type { Knex } from 'knex';
import type { BillRow } from './bills';

/** uploaded: archived with both signatures; rejected: finance refused it; unverified: finance's signature did not verify */
export type FinanceState = 'uploaded' | 'rejected' | 'unverified';

export interface BillFinanceColumns {
  supervisor_signature: string | null;
  supervisor_cert_serial: string | null;
  supervisor_time: string | null;
  finance_state: FinanceState | null;
  finance_error: string | null;
  finance_updated_at: number | null;
}

export type BillWithFinance = BillRow & BillFinanceColumns;

export interface SupervisorRecord {
  signature: string;
  certSerial: string;
  time: string;
  /** the fiscal XML with both signatures; its signed text is byte-identical to the stored one */
  fiscalXml: string;
}

export function billWithFinance(db: Knex, billId: number): Promise<BillWithFinance | undefined> {
  return db<BillWithFinance>('bills').where({ id: billId }).first();
}

/**
 * Stores the supervisory signature and the two-signature XML. Guarded by the old XML so a concurrent
 * change to the bill (none exists today) is noticed instead of overwritten: returns the rows updated.
 */
export function recordSupervisorSignature(db: Knex, billId: number, previousXml: string, s: SupervisorRecord): Promise<number> {
  return db('bills').where({ id: billId, fiscal_xml: previousXml }).update({
    supervisor_signature: s.signature,
    supervisor_cert_serial: s.certSerial,
    supervisor_time: s.time,
    fiscal_xml: s.fiscalXml,
    finance_state: 'uploaded',
    finance_error: null,
    finance_updated_at: Date.now(),
    updated_at: Date.now(),
  });
}

export function recordFinanceRefusal(db: Knex, billId: number, reason: string, state: Exclude<FinanceState, 'uploaded'> = 'rejected'): Promise<number> {
  return db('bills')
    .where({ id: billId })
    .andWhere((q) => q.whereNull('finance_state').orWhereNot('finance_state', 'uploaded'))
    .update({ finance_state: state, finance_error: reason.slice(0, 500), finance_updated_at: Date.now() });
}
