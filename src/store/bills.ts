/**
 * Bills and the stock they draw numbers from (DESIGN §5.1–5.4).
 *
 * A number is taken in one short transaction that also records who took it: a `bills` row in state
 * `reserved` carrying (appid, busNo) and the canonical settlement. Signing happens outside any
 * transaction; a second short transaction turns the row `issued`. A crash in between leaves a
 * reservation, never a half bill: `getEBillByBusNo` only reads `issued` rows, a retry of the same busNo
 * resumes the reservation, and start-up recovery completes it or voids the number with a reason.
 */
import type { Knex } from 'knex';
import { FlowError, RESULT } from '../engine/errors';
import type { GroupCommit } from './group-commit';
import { insertRow, SqlDb, SqlTx } from './sql';

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
  maxAttempts: number;
  messageId?: string;
  busNo?: string;
}

const padNo = (n: number | bigint, len: number): string => String(n).padStart(len, '0');

export class BillStore {
  constructor(
    private readonly db: Knex,
    private readonly writer: GroupCommit,
    private readonly sql: SqlDb,
  ) {}

  /** Takes the next e-bill number of the place's stock and records the reservation, in one transaction. */
  reserve(r: Reservation): Promise<BillRow> {
    return this.writer.run(async (tx) => {
      const range = await tx.get<{ id: number; bill_batch_code: string; next_no: number; end_no: number; no_len: number }>(
        'SELECT id, bill_batch_code, next_no, end_no, no_len FROM stock_ranges WHERE place_code = ? AND medium = ? AND bill_kind = ? AND state = ? ORDER BY id LIMIT 1' +
          tx.forUpdate,
        [r.placeCode, 'ebill', r.billKind, 'active'],
      );
      if (!range)
        throw new FlowError('Rejected', RESULT.noStock, `开票点 ${r.placeCode} 没有可用的电子票据号段（${r.billKind}），请先分发票据库存`, 'placeCode');
      const next = Number(range.next_no);
      const end = Number(range.end_no);
      const now = Date.now();
      await tx.run('UPDATE stock_ranges SET next_no = ?, state = ? WHERE id = ?', [next + 1, next + 1 > end ? 'exhausted' : 'active', range.id]);
      const row = {
        bill_batch_code: range.bill_batch_code,
        bill_no: padNo(next, range.no_len),
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
        stock_range_id: range.id,
        canonical: r.canonical,
        created_at: now,
        updated_at: now,
      };
      const { lastId } = await insertRow(tx, 'bills', row);
      return { ...(row as unknown as BillRow), id: lastId };
    });
  }

  /** Reserved → issued, together with the outbox jobs that must follow an issued bill. */
  complete(billId: number, iss: Issuance, jobs: OutboxJob[]): Promise<void> {
    return this.writer.run(async (tx) => {
      const now = Date.now();
      const { changes: n } = await tx.run(
        'UPDATE bills SET state = ?, random = ?, create_time = ?, fiscal_xml = ?, unit_signature = ?, sig_cert_serial = ?, qr_png = ?, updated_at = ? WHERE id = ? AND state = ?',
        ['issued', iss.random, iss.createTime, iss.fiscalXml, iss.unitSignature, iss.sigCertSerial, iss.qrPng, now, billId, 'reserved'],
      );
      if (n !== 1) throw new FlowError('Conflict', RESULT.stateConflict, '票据状态已变化：该业务流水号的票据已由另一处理（另一节点、重试或恢复任务）完成，请用 getEBillByBusNo 查询', 'busNo');
      for (const j of jobs) await insertJob(tx, j, now);
    });
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
      const r = await tx.run('UPDATE bills SET state = ?, bus_no = NULL, void_reason = ?, updated_at = ? WHERE id = ? AND state = ?', ['voided', why, Date.now(), billId, 'reserved']);
      return r.changes;
    });
  }

  /** Hot path (every issue and every getEBillByBusNo): plain SQL, see sql.ts. */
  byBusNo(appid: string, busNo: string): Promise<BillRow | undefined> {
    return this.sql.get<BillRow>('SELECT * FROM bills WHERE appid = ? AND bus_no = ?', [appid, busNo]);
  }

  byNumber(billBatchCode: string, billNo: string): Promise<BillRow | undefined> {
    return this.db<BillRow>('bills').where({ bill_batch_code: billBatchCode, bill_no: billNo }).first();
  }

  redOf(billId: number): Promise<BillRow | undefined> {
    return this.db<BillRow>('bills').where({ related_bill_id: billId, kind: 'red', state: 'issued' }).first();
  }

  reservationsOlderThan(ms: number): Promise<BillRow[]> {
    return this.db<BillRow>('bills').where('state', 'reserved').where('created_at', '<', Date.now() - ms).orderBy('id');
  }

  /** Seeds stock ranges that are not there yet (idempotent: keyed by place, medium, kind and code). */
  async seedStock(seeds: { placeCode: string; medium: string; billKind: string; billBatchCode: string; startNo: string; endNo: string }[]): Promise<number> {
    let added = 0;
    for (const s of seeds) {
      const exists = await this.db('stock_ranges')
        .where({ place_code: s.placeCode, medium: s.medium, bill_kind: s.billKind, bill_batch_code: s.billBatchCode })
        .first();
      if (exists) continue;
      await this.db('stock_ranges').insert({
        place_code: s.placeCode,
        medium: s.medium,
        bill_kind: s.billKind,
        bill_batch_code: s.billBatchCode,
        start_no: Number(s.startNo),
        end_no: Number(s.endNo),
        next_no: Number(s.startNo),
        no_len: s.startNo.length,
        state: 'active',
        created_at: Date.now(),
      });
      added++;
    }
    return added;
  }
}

export async function insertJob(tx: SqlTx, j: OutboxJob, now = Date.now()): Promise<void> {
  await insertRow(tx, 'outbox', {
    topic: j.topic,
    job_key: j.key,
    payload: JSON.stringify(j.payload),
    status: 'pending',
    attempts: 0,
    max_attempts: j.maxAttempts,
    next_attempt_at: now,
    message_id: j.messageId ?? null,
    bus_no: j.busNo ?? null,
    created_at: now,
    updated_at: now,
  });
}
