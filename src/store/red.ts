/**
 * Red bills in the store: the live red bill of a blue bill, and reserving a red bill's number. A red
 * bill is a `bills` row (kind red, related_bill_id = the blue bill, bus_no NULL, the blue bill's
 * bill_kind) whose number is taken from the e-bill stock of the write-off's place; `live_red_of`
 * (migration 013, unique) makes "at most one live red bill per blue bill" hold across processes.
 * Completing it (and marking the blue bill red-flushed) is BillStore.complete, the same door as a blue
 * bill's, so recovery finishes both alike.
 */
import { isUniqueViolation } from './db';
import type { GroupCommit } from './group-commit';
import { type BillRow, reservedRow } from './bills';
import { insertRow, SqlDb } from './sql';
import { takeNumber } from './stock';

export interface RedReservation {
  blue: BillRow;
  placeCode: string;
  busDateTime: string;
  payer: string;
  totalAmt: string;
  operator: string;
  reason: string;
  requestHash: string;
  canonical: string;
  messageId: string;
  /** writeOffEBillToPaper: the paper red bill it is printed on */
  paper?: { billBatchCode: string; billNo: string; time: string };
}

export type RedReserveOutcome =
  | { kind: 'reserved'; row: BillRow }
  | { kind: 'noStock'; placeCode: string; billKind: string }
  /** another request (another process) reserved this blue bill's red bill first */
  | { kind: 'duplicate' }
  /** writeOffEBillToPaper: the place has no paper stock of the kind, or its next paper number is another */
  | { kind: 'noPaperStock'; placeCode: string; billKind: string }
  | { kind: 'paperNotNext'; expected: string };

/** Thrown inside the transaction so the numbers it took roll back with it. */
class Refused extends Error {
  constructor(readonly outcome: RedReserveOutcome) {
    super(outcome.kind);
  }
}

export class RedStore {
  constructor(
    private readonly writer: GroupCommit,
    private readonly sql: SqlDb,
  ) {}

  row(id: number): Promise<BillRow | undefined> {
    return this.sql.get<BillRow>('SELECT * FROM bills WHERE id = ?', [id]);
  }

  /** The red bill (reserved or issued) of a blue bill, if any. */
  liveRedOf(blueId: number): Promise<BillRow | undefined> {
    return this.sql.get<BillRow>('SELECT * FROM bills WHERE live_red_of = ?', [blueId]);
  }

  async reserve(r: RedReservation): Promise<RedReserveOutcome> {
    try {
      return await this.writer.run(async (tx): Promise<RedReserveOutcome> => {
        if (r.paper) {
          const paper = await takeNumber(tx, r.placeCode, 'paper', r.blue.bill_kind);
          if (!paper) throw new Refused({ kind: 'noPaperStock', placeCode: r.placeCode, billKind: r.blue.bill_kind });
          if (paper.billBatchCode !== r.paper.billBatchCode || paper.billNo !== r.paper.billNo) throw new Refused({ kind: 'paperNotNext', expected: `${paper.billBatchCode}-${paper.billNo}` });
        }
        const taken = await takeNumber(tx, r.placeCode, 'ebill', r.blue.bill_kind);
        if (!taken) throw new Refused({ kind: 'noStock', placeCode: r.placeCode, billKind: r.blue.bill_kind });
        const now = Date.now();
        const row = {
          bill_batch_code: taken.billBatchCode,
          bill_no: taken.billNo,
          kind: 'red',
          state: 'reserved',
          bill_kind: r.blue.bill_kind,
          appid: r.blue.appid,
          bus_no: null,
          bus_date_time: r.busDateTime,
          bus_type: r.blue.bus_type,
          place_code: r.placeCode,
          payer: r.payer,
          total_amt: r.totalAmt,
          request_hash: r.requestHash,
          message_id: r.messageId,
          stock_range_id: taken.rangeId,
          related_bill_id: r.blue.id,
          live_red_of: r.blue.id,
          canonical: r.canonical,
          card_type: r.blue.card_type,
          card_no: r.blue.card_no,
          patient_id: r.blue.patient_id,
          id_card_no: r.blue.id_card_no,
          operator: r.operator.slice(0, 60),
          red_reason: r.reason.slice(0, 200),
          paper_batch_code: r.paper?.billBatchCode ?? null,
          paper_no: r.paper?.billNo ?? null,
          paper_time: r.paper?.time ?? null,
          created_at: now,
          updated_at: now,
        };
        const { lastId } = await insertRow(tx, 'bills', row);
        return { kind: 'reserved', row: reservedRow(row, lastId) };
      });
    } catch (e) {
      if (e instanceof Refused) return e.outcome;
      if (isUniqueViolation(e)) return { kind: 'duplicate' };
      throw e;
    }
  }
}
