/**
 * The figures of daily reconciliation (对账) and accounting sheets, as pure functions over bills that
 * the store has already read: runs of consecutive numbers (billNoList), page and whole totals, and the
 * comparison with what a HIS pushed. Amounts are integer fen (BigInt); text only at the edges.
 */
import { fen, formatUnits } from './money';

/** One bill as reconciliation counts it: its group, its number, its signed amount (red bills negative). */
export interface ReconBill {
  busType: string;
  placeCode: string;
  billKind: string;
  billBatchCode: string;
  billNo: string;
  fen: bigint;
}

/** A run of consecutive numbers of one code, place and busType (one billNoList entry). */
export interface BillRun {
  busType: string;
  placeCode: string;
  billKind: string;
  billBatchCode: string;
  bgnNo: string;
  endNo: string;
  copyNum: number;
  fen: bigint;
}

/** The amount of a stored bill: red bills count negative whether the row holds "-12.00" or "12.00". */
export function signedFen(totalAmt: string | null, kind: 'blue' | 'red'): bigint {
  const v = fen(totalAmt ?? '0');
  const abs = v < 0n ? -v : v;
  return kind === 'red' ? -abs : v;
}

const groupKey = (b: Pick<ReconBill, 'busType' | 'placeCode' | 'billBatchCode'>) => `${b.busType}\u0000${b.placeCode}\u0000${b.billBatchCode}`;

function byGroupThenNumber(a: ReconBill, b: ReconBill): number {
  const ka = groupKey(a);
  const kb = groupKey(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  const na = BigInt(a.billNo);
  const nb = BigInt(b.billNo);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/**
 * Runs of consecutive numbers per (busType, placeCode, billBatchCode): a number the group does not hold
 * (another place's, another busType's, a voided one, one not yet used) ends a run, so every number from
 * bgnNo to endNo is a bill of that entry and copyNum = endNo − bgnNo + 1.
 */
export function billRuns(bills: readonly ReconBill[]): BillRun[] {
  const sorted = [...bills].sort(byGroupThenNumber);
  const runs: BillRun[] = [];
  let cur: BillRun | undefined;
  let last = -1n;
  for (const b of sorted) {
    const n = BigInt(b.billNo);
    if (cur && groupKey(cur) === groupKey(b) && n === last + 1n) {
      cur.endNo = b.billNo;
      cur.copyNum++;
      cur.fen += b.fen;
    } else {
      cur = { busType: b.busType, placeCode: b.placeCode, billKind: b.billKind, billBatchCode: b.billBatchCode, bgnNo: b.billNo, endNo: b.billNo, copyNum: 1, fen: b.fen };
      runs.push(cur);
    }
    last = n;
  }
  return runs;
}

/** yyyy-MM-dd → the first and last yyyyMMddHHmmssSSS of that day, or undefined if it is no calendar date. */
export function dayBounds(date: string): { from: string; to: string } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (d.getUTCFullYear() !== Number(m[1]) || d.getUTCMonth() + 1 !== Number(m[2]) || d.getUTCDate() !== Number(m[3])) return undefined;
  const day = m[1] + m[2] + m[3];
  return { from: `${day}000000000`, to: `${day}235959999` };
}

/** Whole days from bgn to end (yyyy-MM-dd), inclusive; negative when end is before bgn. */
export function daysBetween(bgn: string, end: string): number {
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${bgn}T00:00:00Z`)) / 86_400_000) + 1;
}

export const sumFen = (xs: readonly { fen: bigint }[]): bigint => xs.reduce((s, x) => s + x.fen, 0n);
export const money2 = (f: bigint): string => formatUnits(f, 2);

/** A page request as the HIS sends it (text or numbers, possibly absent), clamped to 1..max. */
export function pageOf(pageNo: unknown, pageSize: unknown, max: number, dflt: number): { pageNo: number; pageSize: number } {
  const int = (v: unknown, d: number) => {
    const n = Math.trunc(Number(v === undefined || v === null || v === '' ? d : v));
    return Number.isFinite(n) && n >= 1 ? n : d;
  };
  return { pageNo: int(pageNo, 1), pageSize: Math.min(max, int(pageSize, dflt)) };
}

export interface RunEntry {
  busType: string;
  placeCode: string;
  billName: string;
  billBatchCode: string;
  bgnNo: string;
  endNo: string;
  copyNum: number;
  totalAmt: string;
}

/** checkTotalData & co: the whole figures and one page of billNoList (docs/reference/accounting-and-reconciliation.md). */
export interface CheckFigures {
  busDate: string;
  /** billNoList entries over all pages */
  copyNum: number;
  /** bills and amount of this page's entries */
  totalNum: number;
  totalAmt: string;
  /** bills and amount of the whole day */
  allTotalNum: number;
  allTotalAmt: string;
  pageNo: number;
  pageSize: number;
  billNoList: RunEntry[];
}

export function checkFigures(date: string, runs: readonly BillRun[], billName: (billKind: string) => string, page: { pageNo: number; pageSize: number }, withList: boolean): CheckFigures {
  const allNum = runs.reduce((s, r) => s + r.copyNum, 0);
  const allFen = sumFen(runs);
  const slice = withList ? runs.slice((page.pageNo - 1) * page.pageSize, page.pageNo * page.pageSize) : runs;
  return {
    busDate: date,
    copyNum: runs.length,
    totalNum: slice.reduce((s, r) => s + r.copyNum, 0),
    totalAmt: money2(sumFen(slice)),
    allTotalNum: allNum,
    allTotalAmt: money2(allFen),
    pageNo: page.pageNo,
    pageSize: page.pageSize,
    billNoList: withList
      ? slice.map((r) => ({ busType: r.busType, placeCode: r.placeCode, billName: billName(r.billKind), billBatchCode: r.billBatchCode, bgnNo: r.bgnNo, endNo: r.endNo, copyNum: r.copyNum, totalAmt: money2(r.fen) }))
      : [],
  };
}

/** A run as the HIS reports it (receiveCheckTotalData's billNoList). */
export interface HisRun {
  busType?: string;
  placeCode?: string;
  billBatchCode: string;
  bgnNo: string;
  endNo: string;
  copyNum: number;
  fen: bigint;
}

/** 1 only the HIS has it · 2 only medbill has it · 3 both, with other copies or amount. */
export type DiffType = '1' | '2' | '3';

export interface RunDiff {
  diffType: DiffType;
  busType: string;
  placeCode: string;
  billBatchCode: string;
  bgnNo: string;
  endNo: string;
  hisCopyNum: number;
  hisTotalAmt: string;
  platCopyNum: number;
  platTotalAmt: string;
}

/** Ranges are matched by code and first–last number (the place and busType are reported, not matched: HIS codes them their own way). */
export function compareRuns(his: readonly HisRun[], plat: readonly BillRun[]): RunDiff[] {
  const key = (r: { billBatchCode: string; bgnNo: string; endNo: string }) => `${r.billBatchCode}\u0000${BigInt(r.bgnNo)}\u0000${BigInt(r.endNo)}`;
  const mine = new Map(plat.map((r) => [key(r), r]));
  const out: RunDiff[] = [];
  const seen = new Set<string>();
  for (const h of his) {
    const k = key(h);
    seen.add(k);
    const p = mine.get(k);
    if (!p) out.push({ diffType: '1', busType: h.busType ?? '', placeCode: h.placeCode ?? '', billBatchCode: h.billBatchCode, bgnNo: h.bgnNo, endNo: h.endNo, hisCopyNum: h.copyNum, hisTotalAmt: money2(h.fen), platCopyNum: 0, platTotalAmt: '0.00' });
    else if (p.copyNum !== h.copyNum || p.fen !== h.fen)
      out.push({ diffType: '3', busType: p.busType, placeCode: p.placeCode, billBatchCode: p.billBatchCode, bgnNo: p.bgnNo, endNo: p.endNo, hisCopyNum: h.copyNum, hisTotalAmt: money2(h.fen), platCopyNum: p.copyNum, platTotalAmt: money2(p.fen) });
  }
  for (const p of plat)
    if (!seen.has(key(p))) out.push({ diffType: '2', busType: p.busType, placeCode: p.placeCode, billBatchCode: p.billBatchCode, bgnNo: p.bgnNo, endNo: p.endNo, hisCopyNum: 0, hisTotalAmt: '0.00', platCopyNum: p.copyNum, platTotalAmt: money2(p.fen) });
  return out;
}

/** One bill as a list reconciliation compares it. */
export interface ListedBill {
  busNo: string;
  billBatchCode: string;
  billNo: string;
  fen: bigint;
}

export interface BillDiff {
  diffType: DiffType;
  busNo: string;
  billBatchCode: string;
  billNo: string;
  hisTotalAmt: string;
  platTotalAmt: string;
}

/** Bills are matched by code and number. */
export function compareBills(his: readonly ListedBill[], plat: readonly ListedBill[]): BillDiff[] {
  const key = (b: ListedBill) => `${b.billBatchCode}\u0000${b.billNo}`;
  const mine = new Map(plat.map((b) => [key(b), b]));
  const out: BillDiff[] = [];
  const seen = new Set<string>();
  for (const h of his) {
    const k = key(h);
    seen.add(k);
    const p = mine.get(k);
    if (!p) out.push({ diffType: '1', busNo: h.busNo, billBatchCode: h.billBatchCode, billNo: h.billNo, hisTotalAmt: money2(h.fen), platTotalAmt: '0.00' });
    else if (p.fen !== h.fen) out.push({ diffType: '3', busNo: p.busNo || h.busNo, billBatchCode: p.billBatchCode, billNo: p.billNo, hisTotalAmt: money2(h.fen), platTotalAmt: money2(p.fen) });
  }
  for (const p of plat) if (!seen.has(key(p))) out.push({ diffType: '2', busNo: p.busNo, billBatchCode: p.billBatchCode, billNo: p.billNo, hisTotalAmt: '0.00', platTotalAmt: money2(p.fen) });
  return out;
}
