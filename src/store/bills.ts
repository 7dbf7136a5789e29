/**
 * Bills and the stock they draw numbers from; this is where the numbering and once-per-busNo
 * invariants hold (docs/architecture.md#invariants).
 *
 * A number is taken in one short transaction that also records who took it: a `bills` row in state
 * `reserved` carrying (appid, busNo) and the canonical settlement. Signing happens outside any
 * transaction; a second short transaction turns the row `issued`. A crash in between leaves a
 * reservation, never a half bill: `getEBillByBusNo` only reads `issued` rows, a retry of the same busNo
 * resumes the reservation, and start-up recovery completes it or voids the number with a reason.
 */
import type { Knex } from 'knex';
import { eventJob, paperConvertEvent } from '../domain/finance-event';
import { isUniqueViolation } from './db';
import type { GroupCommit } from './group-commit';
import { insertRow, SqlDb, SqlTx } from './sql';
import { peekNumber, takeNumber } from './stock';

export type BillState = 'reserved' | 'issued' | 'voided';

export interface BillRow {
  id: number;
  bill_batch_code: string;
  bill_no: string;
  random: string | null;
  kind: 'blue' | 'red';
  state: BillState;
  bill_kind: string;
  appid: string | null;
  bus_no: string | null;
  bus_date_time: string | null;
  bus_type: string | null;
  place_code: string | null;
  payer: string | null;
  total_amt: string | null;
  create_time: string | null;
  request_hash: string | null;
  message_id: string | null;
  stock_range_id: number | null;
  related_bill_id: number | null;
  canonical: string | null;
  fiscal_xml: string | null;
  unit_signature: string | null;
  sig_cert_serial: string | null;
  qr_png: string | null;
  void_reason: string | null;
  answered_code: string | null;
  answered_at: number | null;
  card_type: string | null;
  card_no: string | null;
  patient_id: string | null;
  id_card_no: string | null;
  /** migration 009: the bill's life after issue (see that migration for each meaning) */
  scarlet: '0' | '1';
  paper_batch_code: string | null;
  paper_no: string | null;
  paper_time: string | null;
  account_state: '0' | '1';
  is_arrears: string | null;
  arrears_feedback_date: string | null;
  batch_no: string | null;
  operator: string | null;
  red_reason: string | null;
  /** migration 013: on a live (reserved or issued) red bill, the blue bill's id; unique */
  live_red_of?: number | null;
  created_at: number;
  updated_at: number;
}

export interface Reservation {
  appid: string;
  busNo: string;
  busDateTime: string;
  busType: string;
  placeCode: string;
  billKind: string;
  payer: string;
  totalAmt: string;
  requestHash: string;
  messageId: string;
  canonical: string;
  cardType?: string;
  cardNo?: string;
  patientId?: string;
  idCardNo?: string;
  /** inpatient and registration: '0' not circulable (e.g. in arrears), '1' circulable */
  isArrears?: string;
  /** the batch that issues this bill, when it is a batch item */
  batchNo?: string;
}

/** What reserving a number came to; the engine turns the refusals into HIS codes. */
export type ReserveOutcome =
  | { kind: 'reserved'; row: BillRow }
  /** the place has no active range of that medium and kind */
  | { kind: 'noStock'; placeCode: string; billKind: string }
  /** another request (another process) holds this (appid, busNo) */
  | { kind: 'duplicate' };

/**
 * What completing a reservation came to: issued; it was no longer reserved (finished or voided
 * elsewhere); or (red bills) the blue bill it reverses changed meanwhile (turned to paper, booked,
 * red-flushed) and nothing was written.
 */
export type CompleteOutcome = 'issued' | 'stateChanged' | 'blueChanged';

/** Thrown inside the completing transaction to roll it back whole (caught in complete). */
class BlueChanged extends Error {}

/** Fields a range lookup may filter on (each an indexed or small column). */
export const BILL_FILTERS = {
  placeCode: 'place_code',
  busType: 'bus_type',
  billKind: 'bill_kind',
  kind: 'kind',
  state: 'state',
  cardType: 'card_type',
  cardNo: 'card_no',
  patientId: 'patient_id',
  idCardNo: 'id_card_no',
  payer: 'payer',
  scarlet: 'scarlet',
  accountState: 'account_state',
  /** not an equality: '1' the bill is linked to paper (paper_no set), '0' it is not */
  paperLinked: 'paper_no',
} as const;
export type BillFilter = keyof typeof BILL_FILTERS;

export interface RangeQuery {
  appid?: string;
  /** business time bounds, yyyyMMddHHmmssSSS, inclusive */
  from?: string;
  to?: string;
  where: Partial<Record<BillFilter, string>>;
  pageNo: number;
  pageSize: number;
}

export interface Issuance {
  random: string;
  createTime: string;
  fiscalXml: string;
  unitSignature: string;
  sigCertSerial: string;
  qrPng: string;
}

export interface OutboxJob {
  topic: string;
  key: string;
  payload: unknown;
  messageId?: string;
  busNo?: string;
}

/** The columns a freshly reserved row has at their defaults (what the INSERT leaves out). */
const UNSET_AT_RESERVE = {
  random: null,
  create_time: null,
  fiscal_xml: null,
  unit_signature: null,
  sig_cert_serial: null,
  qr_png: null,
  void_reason: null,
  answered_code: null,
  answered_at: null,
  scarlet: '0',
  paper_batch_code: null,
  paper_no: null,
  paper_time: null,
  account_state: '0',
  is_arrears: null,
  arrears_feedback_date: null,
  batch_no: null,
  operator: null,
  red_reason: null,
} as const;

/** A reservation's full row from what its INSERT wrote (blue and red alike): the rest at their defaults. */
export function reservedRow(inserted: Record<string, unknown>, id: number): BillRow {
  return { ...UNSET_AT_RESERVE, ...inserted, id } as unknown as BillRow;
}

export class BillStore {
  constructor(
    private readonly db: Knex,
    private readonly writer: GroupCommit,
    private readonly sql: SqlDb,
  ) {}

  /** Takes the next e-bill number of the place's stock and records the reservation, in one transaction. */
  async reserve(r: Reservation): Promise<ReserveOutcome> {
    try {
      return await this.reserveTx(r);
    } catch (e) {
      if (isUniqueViolation(e)) return { kind: 'duplicate' };
      throw e;
    }
  }

  private reserveTx(r: Reservation): Promise<ReserveOutcome> {
    return this.writer.run(async (tx): Promise<ReserveOutcome> => {
      const taken = await takeNumber(tx, r.placeCode, 'ebill', r.billKind);
      if (!taken) return { kind: 'noStock', placeCode: r.placeCode, billKind: r.billKind };
      const now = Date.now();
      const row = {
        bill_batch_code: taken.billBatchCode,
        bill_no: taken.billNo,
        kind: 'blue',
        state: 'reserved',
        bill_kind: r.billKind,
        appid: r.appid,
        bus_no: r.busNo,
        bus_date_time: r.busDateTime,
        bus_type: r.busType,
        place_code: r.placeCode,
        payer: r.payer,
        total_amt: r.totalAmt,
        request_hash: r.requestHash,
        message_id: r.messageId,
        stock_range_id: taken.rangeId,
        canonical: r.canonical,
        card_type: r.cardType?.slice(0, 10) ?? null,
        card_no: r.cardNo?.slice(0, 50) ?? null,
        patient_id: r.patientId?.slice(0, 50) ?? null,
        id_card_no: r.idCardNo?.slice(0, 20) ?? null,
        is_arrears: r.isArrears ?? null,
        batch_no: r.batchNo ?? null,
        created_at: now,
        updated_at: now,
      };
      const { lastId } = await insertRow(tx, 'bills', row);
      return { kind: 'reserved', row: reservedRow(row, lastId) };
    });
  }

  /** The number reserve would take next, without taking it (dry runs). */
  peek(placeCode: string, billKind: string): Promise<{ billBatchCode: string; billNo: string } | undefined> {
    return peekNumber(this.sql, placeCode, 'ebill', billKind);
  }

  /**
   * Reserved → issued, together with the outbox jobs that must follow an issued bill. A red bill also
   * marks its blue bill red-flushed (scarlet '1') in the same transaction, guarded by what the write-off
   * checked: the blue bill is still not red-flushed, not booked, and linked to paper exactly when the
   * red bill is (writeOffEBillToPaper); otherwise nothing is written ('blueChanged').
   */
  async complete(billId: number, iss: Issuance, jobs: OutboxJob[], red?: { blueId: number; paperLinked: boolean }): Promise<CompleteOutcome> {
    try {
      return await this.writer.run(async (tx): Promise<CompleteOutcome> => {
        const now = Date.now();
        const { changes: n } = await tx.run(
          'UPDATE bills SET state = ?, random = ?, create_time = ?, fiscal_xml = ?, unit_signature = ?, sig_cert_serial = ?, qr_png = ?, updated_at = ? WHERE id = ? AND state = ?',
          ['issued', iss.random, iss.createTime, iss.fiscalXml, iss.unitSignature, iss.sigCertSerial, iss.qrPng, now, billId, 'reserved'],
        );
        if (n !== 1) return 'stateChanged';
        if (red) {
          const paper = red.paperLinked ? 'paper_no IS NOT NULL' : 'paper_no IS NULL';
          const { changes } = await tx.run(`UPDATE bills SET scarlet = ?, updated_at = ? WHERE id = ? AND scarlet = ? AND account_state = ? AND ${paper}`, ['1', now, red.blueId, '0', '0']);
          if (changes !== 1) throw new BlueChanged();
          if (red.paperLinked) {
            // writeOffEBillToPaper: the red bill is printed on a paper red bill, finance's paper-convert event.
            const r = await tx.get<BillRow>('SELECT * FROM bills WHERE id = ?', [billId]);
            if (r?.paper_batch_code && r.paper_no) {
              const e = paperConvertEvent({ placeCode: r.place_code ?? '', billBatchCode: r.bill_batch_code, billNo: r.bill_no, pBillBatchCode: r.paper_batch_code, pBillNo: r.paper_no, operator: r.operator }, now);
              await insertJob(tx, eventJob(e, r.message_id), now);
            }
          }
        }
        for (const j of jobs) await insertJob(tx, j, now);
        return 'issued';
      });
    } catch (e) {
      if (e instanceof BlueChanged) return 'blueChanged';
      throw e;
    }
  }

  /**
   * Reserved → voided with a reason. The busNo is released (kept in the reason) so the HIS can still
   * get a bill for that settlement under a new number; the voided number stays recorded (no gap).
   */
  voidReservation(billId: number, reason: string): Promise<number> {
    return this.writer.run(async (tx) => {
      const row = await tx.get<{ bus_no: string | null }>('SELECT bus_no FROM bills WHERE id = ? AND state = ?', [billId, 'reserved']);
      if (!row) return 0;
      const why = `${reason}（原业务流水号 ${row.bus_no ?? ''}）`.slice(0, 250);
      // live_red_of too: a voided red reservation no longer holds its blue bill's one red slot.
      const r = await tx.run('UPDATE bills SET state = ?, bus_no = NULL, live_red_of = NULL, void_reason = ?, updated_at = ? WHERE id = ? AND state = ?', [
        'voided',
        why,
        Date.now(),
        billId,
        'reserved',
      ]);
      return r.changes;
    });
  }

  /** Hot path (every issue and every getEBillByBusNo): plain SQL, see sql.ts. */
  byBusNo(appid: string, busNo: string): Promise<BillRow | undefined> {
    return this.sql.get<BillRow>('SELECT * FROM bills WHERE appid = ? AND bus_no = ?', [appid, busNo]);
  }

  byId(id: number): Promise<BillRow | undefined> {
    return this.sql.get<BillRow>('SELECT * FROM bills WHERE id = ?', [id]);
  }

  byNumber(billBatchCode: string, billNo: string): Promise<BillRow | undefined> {
    return this.sql.get<BillRow>('SELECT * FROM bills WHERE bill_batch_code = ? AND bill_no = ?', [billBatchCode, billNo]);
  }

  /** Issued bills (blue and red) in a business-time range, filtered by equality on BILL_FILTERS, one page. */
  async range(q: RangeQuery): Promise<{ total: number; rows: BillRow[] }> {
    const base = this.db<BillRow>('bills').where('state', q.where.state ?? 'issued');
    if (q.appid) base.where('appid', q.appid);
    if (q.from) base.where('bus_date_time', '>=', q.from);
    if (q.to) base.where('bus_date_time', '<=', q.to);
    for (const [k, v] of Object.entries(q.where)) {
      if (k === 'state' || v === undefined || v === '') continue;
      if (k === 'paperLinked') {
        if (v === '1') base.whereNotNull('paper_no');
        else base.whereNull('paper_no');
      } else base.where(BILL_FILTERS[k as BillFilter], v);
    }
    const [{ n }] = (await base.clone().count({ n: '*' })) as { n: number | string }[];
    const rows = await base.orderBy('bus_date_time').orderBy('id').limit(q.pageSize).offset((q.pageNo - 1) * q.pageSize);
    return { total: Number(n), rows };
  }

  redOf(billId: number): Promise<BillRow | undefined> {
    return this.db<BillRow>('bills').where({ related_bill_id: billId, kind: 'red', state: 'issued' }).first();
  }

  reservationsOlderThan(ms: number): Promise<BillRow[]> {
    return this.db<BillRow>('bills').where('state', 'reserved').where('created_at', '<', Date.now() - ms).orderBy('id');
  }
}

export async function insertJob(tx: SqlTx, j: OutboxJob, now = Date.now()): Promise<void> {
  await insertRow(tx, 'outbox', {
    topic: j.topic,
    job_key: j.key,
    payload: JSON.stringify(j.payload),
    status: 'pending',
    attempts: 0,
    max_attempts: 0, // not read since migration 005: the retry horizon counts from horizon_start
    next_attempt_at: now,
    horizon_start: now,
    message_id: j.messageId ?? null,
    bus_no: j.busNo ?? null,
    created_at: now,
    updated_at: now,
  });
}

/**
 * The request holding this reservation was answered with a failure: from now on only a retry of the
 * same busNo completes it (recovery voids it after its window). Written with the message's outcome.
 */
export async function markAnswered(tx: SqlTx, billId: number, code: string, at = Date.now()): Promise<void> {
  await tx.run('UPDATE bills SET answered_code = ?, answered_at = ? WHERE id = ? AND state = ?', [code, at, billId, 'reserved']);
}
