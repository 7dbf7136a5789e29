/**
 * The ledger walk after a crash campaign, read straight from the database once every medbill process
 * has stopped. It holds the acknowledgements the HIS received against what the tables say:
 *
 *   lost           an acknowledged busNo whose number is not issued to it with the same random
 *   duplicates     a number (billBatchCode + billNo) with more than one row
 *   gaps           a number from a used range's start to next_no-1 with no row (issued or voided)
 *   aboveNext      a row numbered at or above its range's next_no: the pointer went back, the next
 *                  start would hand that number out again
 *   doubleIssues   a busNo with two issued bills, or acknowledged with two different bills
 *   voidedNoReason a voided number without the reason it was voided
 *   reserved       rows still 'reserved' (after the final recovery)
 *   unfinished     busNos the HIS started and holds no acknowledgement for
 *
 * All must be 0; `acknowledged` counts the busNos the HIS holds a bill for.
 */
import type { Knex } from 'knex';
import type { Ack } from './issuers';

export interface LedgerReport {
  acknowledged: number;
  issued: number;
  voided: number;
  lost: number;
  duplicates: number;
  gaps: number;
  aboveNext: number;
  doubleIssues: number;
  voidedNoReason: number;
  reserved: number;
  unfinished: number;
  /** a few examples per non-zero invariant, for the failure message */
  examples: Record<string, string[]>;
}

export const INVARIANTS = ['lost', 'duplicates', 'gaps', 'aboveNext', 'doubleIssues', 'voidedNoReason', 'reserved', 'unfinished'] as const;

interface Row {
  id: number;
  bill_batch_code: string;
  bill_no: string;
  state: string;
  appid: string | null;
  bus_no: string | null;
  random: string | null;
  void_reason: string | null;
  stock_range_id: number | null;
}

interface Range {
  id: number;
  bill_batch_code: string;
  start_no: number;
  next_no: number;
  no_len: number;
}

export async function walkLedger(db: Knex, acks: Ack[], started: string[], appid: string): Promise<LedgerReport> {
  const rows = (await db('bills').select('id', 'bill_batch_code', 'bill_no', 'state', 'appid', 'bus_no', 'random', 'void_reason', 'stock_range_id')) as Row[];
  const ranges = ((await db('stock_ranges').where('medium', 'ebill').select('id', 'bill_batch_code', 'start_no', 'next_no', 'no_len')) as Range[]).map((r) => ({
    ...r,
    start_no: Number(r.start_no),
    next_no: Number(r.next_no),
  }));
  const examples: Record<string, string[]> = {};
  const note = (k: string, s: string) => {
    const list = (examples[k] ??= []);
    if (list.length < 5) list.push(s);
  };

  const byNumber = new Map<string, Row[]>();
  for (const r of rows) {
    const k = `${r.bill_batch_code}-${r.bill_no}`;
    byNumber.set(k, [...(byNumber.get(k) ?? []), r]);
  }
  let duplicates = 0;
  for (const [k, rs] of byNumber) if (rs.length > 1) (duplicates++, note('duplicates', `${k}: ${rs.map((r) => `${r.state}/${r.bus_no}`).join(', ')}`));

  let gaps = 0;
  let aboveNext = 0;
  for (const range of ranges) {
    const mine = rows.filter((r) => r.stock_range_id === range.id);
    const have = new Set(mine.map((r) => Number(r.bill_no)));
    for (let n = range.start_no; n < range.next_no; n++) if (!have.has(n)) (gaps++, note('gaps', `${range.bill_batch_code}-${String(n).padStart(range.no_len, '0')}`));
    for (const r of mine) if (Number(r.bill_no) >= range.next_no) (aboveNext++, note('aboveNext', `${r.bill_batch_code}-${r.bill_no} (${r.state}) ≥ next_no ${range.next_no}`));
  }

  const issuedByBusNo = new Map<string, Row[]>();
  for (const r of rows) if (r.state === 'issued' && r.appid === appid && r.bus_no) issuedByBusNo.set(r.bus_no, [...(issuedByBusNo.get(r.bus_no) ?? []), r]);
  let doubleIssues = 0;
  for (const [busNo, rs] of issuedByBusNo) if (rs.length > 1) (doubleIssues++, note('doubleIssues', `${busNo}: ${rs.map((r) => r.bill_no).join(', ')}`));

  // Acknowledgements: the same bill every time a busNo was acknowledged, and that bill in the table.
  const ackByBusNo = new Map<string, Ack[]>();
  for (const a of acks) ackByBusNo.set(a.busNo, [...(ackByBusNo.get(a.busNo) ?? []), a]);
  let lost = 0;
  for (const [busNo, as] of ackByBusNo) {
    const distinct = new Set(as.map((a) => `${a.billBatchCode}-${a.billNo}/${a.random}`));
    if (distinct.size > 1) (doubleIssues++, note('doubleIssues', `${busNo} acknowledged as ${[...distinct].join(' and ')}`));
    for (const a of as) {
      const row = byNumber.get(`${a.billBatchCode}-${a.billNo}`)?.find((r) => r.state === 'issued');
      if (!row || row.bus_no !== busNo || row.random !== a.random) {
        lost++;
        note('lost', `${busNo} → ${a.billBatchCode}-${a.billNo}/${a.random} (${a.via}); table: ${row ? `${row.state} ${row.bus_no}/${row.random}` : 'no issued row'}`);
        break;
      }
    }
  }

  const voided = rows.filter((r) => r.state === 'voided');
  const voidedNoReason = voided.filter((r) => !r.void_reason?.trim()).length;
  for (const r of voided) if (!r.void_reason?.trim()) note('voidedNoReason', `${r.bill_batch_code}-${r.bill_no}`);
  const reserved = rows.filter((r) => r.state === 'reserved');
  for (const r of reserved) note('reserved', `${r.bill_batch_code}-${r.bill_no} busNo ${r.bus_no}`);
  const unfinished = started.filter((b) => !ackByBusNo.has(b));
  for (const b of unfinished) note('unfinished', b);

  return {
    acknowledged: ackByBusNo.size,
    issued: rows.filter((r) => r.state === 'issued').length,
    voided: voided.length,
    lost,
    duplicates,
    gaps,
    aboveNext,
    doubleIssues,
    voidedNoReason,
    reserved: reserved.length,
    unfinished: unfinished.length,
    examples,
  };
}
