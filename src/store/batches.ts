/**
 * Batches of issue requests (batchInvoiceEBill*, migration 012). Accepting a batch writes the batch,
 * its items and one outbox job per item in one transaction, so what the HIS was told is accepted is
 * on disk with the work that will issue it. An item leaves status 0 once: finishItem updates only a
 * row still in status 0, so a job delivered twice (a kill -9 between issuing and recording) cannot
 * record an item twice or change its outcome.
 */
import type { Knex } from 'knex';
import { isUniqueViolation } from './db';
import type { GroupCommit } from './group-commit';
import { BillRow, insertJob } from './bills';
import { insertRow } from './sql';

export interface BatchRow {
  id: number;
  appid: string;
  batch_no: string;
  service: string;
  item_service: string;
  request_hash: string;
  message_id: string | null;
  item_count: number;
  created_at: number;
}

export interface BatchItemRow {
  id: number;
  batch_id: number;
  seq: number;
  bus_no: string;
  payload: string;
  /** 0 not generated yet, 1 issued, 2 refused (the spec's getBatchInvoiceEBill status) */
  status: number;
  err_code: string | null;
  err_msg: string | null;
  bill_id: number | null;
  message_id: string | null;
  updated_at: number;
}

export interface NewBatch {
  appid: string;
  batchNo: string;
  service: string;
  itemService: string;
  requestHash: string;
  messageId: string;
  items: { busNo: string; payload: string }[];
  /** outbox topic of the per-item job */
  topic: string;
}

/** accepted: stored now; repeat: the same batch was accepted before; otherContent: the number holds another batch. */
export type AcceptOutcome = { kind: 'accepted'; batchId: number } | { kind: 'repeat'; batchId: number } | { kind: 'otherContent' };

export interface BatchItemStatus {
  busNo: string;
  status: number;
  errMsg?: string;
  bill?: BillRow;
}

export class BatchStore {
  constructor(
    private readonly db: Knex,
    private readonly writer: GroupCommit,
  ) {}

  async accept(b: NewBatch): Promise<AcceptOutcome> {
    const existing = await this.byNumber(b.appid, b.batchNo);
    if (existing) return existing.request_hash === b.requestHash ? { kind: 'repeat', batchId: existing.id } : { kind: 'otherContent' };
    try {
      return await this.writer.run(async (tx): Promise<AcceptOutcome> => {
        const now = Date.now();
        const { lastId: batchId } = await insertRow(tx, 'batches', {
          appid: b.appid,
          batch_no: b.batchNo,
          service: b.service,
          item_service: b.itemService,
          request_hash: b.requestHash,
          message_id: b.messageId,
          item_count: b.items.length,
          created_at: now,
        });
        for (let seq = 0; seq < b.items.length; seq++) {
          const it = b.items[seq];
          const { lastId: itemId } = await insertRow(tx, 'batch_items', { batch_id: batchId, seq, bus_no: it.busNo, payload: it.payload, status: 0, updated_at: now });
          await insertJob(tx, { topic: b.topic, key: `${b.batchNo}#${seq}`, payload: { itemId }, messageId: b.messageId, busNo: it.busNo }, now);
        }
        return { kind: 'accepted', batchId };
      });
    } catch (e) {
      // Another request accepted this batch number between the look-up and the insert.
      if (!isUniqueViolation(e)) throw e;
      const again = await this.byNumber(b.appid, b.batchNo);
      return again && again.request_hash === b.requestHash ? { kind: 'repeat', batchId: again.id } : { kind: 'otherContent' };
    }
  }

  byNumber(appid: string, batchNo: string): Promise<BatchRow | undefined> {
    return this.db<BatchRow>('batches').where({ appid, batch_no: batchNo }).first();
  }

  async item(itemId: number): Promise<{ item: BatchItemRow; batch: BatchRow } | undefined> {
    const item = await this.db<BatchItemRow>('batch_items').where({ id: itemId }).first();
    if (!item) return undefined;
    const batch = await this.db<BatchRow>('batches').where({ id: item.batch_id }).first();
    return batch && { item, batch };
  }

  /** Status 0 → 1 (with the bill) or 2 (with the refusal); false when the item had already left status 0. */
  async finishItem(itemId: number, o: { status: 1; billId: number; messageId: string } | { status: 2; errCode: string; errMsg: string; messageId: string }): Promise<boolean> {
    return this.writer.run(async (tx) => {
      const r =
        o.status === 1
          ? await tx.run('UPDATE batch_items SET status = ?, bill_id = ?, message_id = ?, updated_at = ? WHERE id = ? AND status = 0', [1, o.billId, o.messageId, Date.now(), itemId])
          : await tx.run('UPDATE batch_items SET status = ?, err_code = ?, err_msg = ?, message_id = ?, updated_at = ? WHERE id = ? AND status = 0', [2, o.errCode, o.errMsg.slice(0, 800), o.messageId, Date.now(), itemId]);
      return r.changes === 1;
    });
  }

  /** Every item of a batch in its order, with the bill of those issued. */
  async status(batchId: number): Promise<BatchItemStatus[]> {
    const rows = await this.db('batch_items as i')
      .leftJoin('bills as b', 'b.id', 'i.bill_id')
      .where('i.batch_id', batchId)
      .orderBy('i.seq')
      .select('i.bus_no as item_bus_no', 'i.status as item_status', 'i.err_msg as item_err_msg', 'b.*');
    return (rows as (BillRow & { item_bus_no: string; item_status: number; item_err_msg: string | null })[]).map((r) => ({
      busNo: r.item_bus_no,
      status: Number(r.item_status),
      errMsg: r.item_err_msg ?? undefined,
      bill: Number(r.item_status) === 1 && r.id ? r : undefined,
    }));
  }
}
