/**
 * Bill stock: the places, the ledger of movements, and taking numbers. Every number a bill (blue or
 * red, e-bill or paper) uses is taken by `takeNumber`, inside the caller's transaction, so the
 * numbering invariant (docs/architecture.md#invariants) has one door.
 *
 * What is stored (migration 010): `stock_movements` — received from finance, distributed to a place,
 * returned from it, voided blank — and `stock_ranges`, what each place holds now with its allocation
 * cursor. A number's use is its `bills` row (blue, red, or voided with the reason), not a second
 * record. Balances are never stored: the unit's store is replayed from the movements, a place's
 * balance is the unused part [next_no, end_no] of its active ranges.
 */
import type { Knex } from 'knex';
import {
  billKindOf,
  checkPaperBillCode,
  checkPlaceCode,
  covers,
  isPlaceType,
  LedgerUse,
  LowStockConfig,
  lowStockThreshold,
  Medium,
  MovementOp,
  normalise,
  padNo,
  parseEBillCode,
  parseSpan,
  PlaceType,
  Span,
  spanSize,
  subtract,
  total,
  unitHoldings,
} from '../domain/stock';
import { blankVoidEvent, eventJob } from '../domain/finance-event';
// bills.ts imports this module too: insertJob is only called inside a transaction, long after both loaded.
import { insertJob } from './bills';
import type { GroupCommit } from './group-commit';
import { insertRow, SqlDb, SqlTx } from './sql';

export type { Medium } from '../domain/stock';
export { padNo } from '../domain/stock';

export interface TakenNumber {
  rangeId: number;
  billBatchCode: string;
  billNo: string;
}

/** What the low-stock watcher is told after a take came near a threshold or a movement changed a balance. */
export type StockLevelObserver = (level: { placeCode: string; medium: Medium; billKind: string; remaining: number }) => void;

let observer: { fn: StockLevelObserver; maxThreshold: number } | undefined;

/**
 * Registers who hears stock levels (src/stock-levels.ts: the edge-triggered log and the gauges).
 * `maxThreshold` is the largest configured threshold: a take from a range with more left than that
 * costs nothing extra, so the hot path stays one SELECT and one UPDATE.
 */
export function observeStockLevels(fn: StockLevelObserver | undefined, maxThreshold = 0): void {
  observer = fn ? { fn, maxThreshold } : undefined;
}

interface RangeRow {
  id: number;
  place_code: string;
  medium: Medium;
  bill_kind: string;
  bill_batch_code: string;
  start_no: number;
  end_no: number;
  next_no: number;
  no_len: number;
  state: 'active' | 'exhausted' | 'returned';
  created_at: number;
}

// Oldest code first, then lowest number: "in order" survives a range split by a return or void.
const ACTIVE_RANGES =
  'SELECT id, bill_batch_code, next_no, end_no, no_len FROM stock_ranges WHERE place_code = ? AND medium = ? AND bill_kind = ? AND state = ? ORDER BY bill_batch_code, start_no, id';

/** The next number of the place's active ranges of that medium and bill kind, in order; undefined: no stock. */
export async function takeNumber(tx: SqlTx, placeCode: string, medium: Medium, billKind: string): Promise<TakenNumber | undefined> {
  const range = await tx.get<{ id: number; bill_batch_code: string; next_no: number; end_no: number; no_len: number }>(ACTIVE_RANGES + ' LIMIT 1' + tx.forUpdate, [
    placeCode,
    medium,
    billKind,
    'active',
  ]);
  if (!range) return undefined;
  const next = Number(range.next_no);
  const end = Number(range.end_no);
  await tx.run('UPDATE stock_ranges SET next_no = ?, state = ? WHERE id = ?', [next + 1, next + 1 > end ? 'exhausted' : 'active', range.id]);
  if (observer && end - next < observer.maxThreshold) observer.fn({ placeCode, medium, billKind, remaining: await remainingAt(tx, placeCode, medium, billKind) });
  return { rangeId: range.id, billBatchCode: range.bill_batch_code, billNo: padNo(next, range.no_len) };
}

async function remainingAt(tx: SqlTx, placeCode: string, medium: Medium, billKind: string): Promise<number> {
  const r = await tx.get<{ n: number | string | null }>(
    'SELECT SUM(end_no - next_no + 1) AS n FROM stock_ranges WHERE place_code = ? AND medium = ? AND bill_kind = ? AND state = ?',
    [placeCode, medium, billKind, 'active'],
  );
  return Number(r?.n ?? 0);
}

/** The number takeNumber would take next, without taking it (dry runs). */
export async function peekNumber(sql: SqlDb, placeCode: string, medium: Medium, billKind: string): Promise<{ billBatchCode: string; billNo: string } | undefined> {
  const range = await sql.get<{ bill_batch_code: string; next_no: number; no_len: number }>(ACTIVE_RANGES + ' LIMIT 1', [placeCode, medium, billKind, 'active']);
  return range ? { billBatchCode: range.bill_batch_code, billNo: padNo(Number(range.next_no), range.no_len) } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Movements

/** Why a movement was refused; the engine and the CLI turn these into E21xx messages (src/engine/codes.ts). */
export type StockRefusal =
  | { kind: 'badPlace'; detail: string }
  | { kind: 'unknownPlace'; placeCode: string }
  | { kind: 'badRange'; detail: string }
  | { kind: 'overlap'; billBatchCode: string; startNo: string; endNo: string }
  | { kind: 'notInStore'; billBatchCode: string; startNo: string; endNo: string }
  | { kind: 'notHeld'; placeCode: string; billBatchCode: string; startNo: string; endNo: string }
  | { kind: 'ambiguousMedium'; billBatchCode: string }
  | { kind: 'kindMismatch'; billCode: string; billBatchCode: string; billKind: string };

export type StockOutcome<T> = ({ ok: true } & T) | ({ ok: false } & StockRefusal);

export interface RangeRef {
  billBatchCode: string;
  startNo: string;
  endNo: string;
  /** e-bill or paper; needed only when one code is stocked as both */
  medium?: Medium;
  /** billCode (0601) or bill kind name the caller says the range is; checked against the stock */
  billCode?: string;
}

export interface Who {
  operator?: string;
  remark?: string;
  /** who moved it: cli | his | demo | finance (a stock application's allocation, received by medbill itself) */
  source: 'cli' | 'his' | 'demo' | 'finance';
}

export interface MovementRow {
  id: number;
  at: number;
  op: MovementOp;
  medium: Medium;
  bill_kind: string;
  bill_batch_code: string;
  start_no: number;
  end_no: number;
  no_len: number;
  place_code: string | null;
  range_id: number | null;
  operator: string | null;
  reason: string | null;
  remark: string | null;
  source: string;
}

export interface PlaceRow {
  place_code: string;
  name: string;
  type: PlaceType;
  created_at: number;
}

/** One contiguous unused range and who holds it (null: the unit's store). */
export interface Holding {
  holder: string | null;
  medium: Medium;
  billKind: string;
  billBatchCode: string;
  startNo: string;
  endNo: string;
  count: number;
}

/** One line of the ledger of a number or range: a movement, or a bill that used a number. */
export interface LedgerEntry {
  at: number;
  what: MovementOp | LedgerUse;
  billBatchCode: string;
  startNo: string;
  endNo: string;
  placeCode: string | null;
  operator: string | null;
  reason: string | null;
  busNo: string | null;
}

const refuse = <T>(r: StockRefusal): StockOutcome<T> => ({ ok: false, ...r });

/** What receive refuses before it reads anything: an unknown kind, a malformed code or range. */
function checkReceipt(r: RangeRef & { medium: Medium; billKind: string }): ({ ok: false } & StockRefusal) | undefined {
  const kind = billKindOf(r.billKind);
  if (!kind) return { ok: false, kind: 'badRange', detail: `票据种类 ${r.billKind} 未定义` };
  const codeProblem = r.medium === 'ebill' ? errorOf(parseEBillCode(r.billBatchCode, kind)) : checkPaperBillCode(r.billBatchCode);
  if (codeProblem) return { ok: false, kind: 'badRange', detail: codeProblem };
  const span = parseSpan(r.startNo, r.endNo);
  if ('error' in span) return { ok: false, kind: 'badRange', detail: span.error };
  return undefined;
}

/** Rolls a multi-range movement back (the group commit's savepoint) and carries the refusal out. */
class Refused extends Error {
  constructor(readonly outcome: { ok: false } & StockRefusal) {
    super(outcome.kind);
  }
}

export class StockStore {
  constructor(
    private readonly db: Knex,
    private readonly writer: GroupCommit,
    private readonly sql: SqlDb,
    private readonly lowStock: LowStockConfig = { default: 0 },
  ) {}

  // -- places

  async addPlace(placeCode: string, name: string, type: string): Promise<StockOutcome<{ created: boolean }>> {
    const bad = checkPlaceCode(placeCode);
    if (bad) return refuse({ kind: 'badPlace', detail: bad });
    if (!isPlaceType(type)) return refuse({ kind: 'badPlace', detail: `开票点类型 ${type} 应为 window（收费窗口）、kiosk（自助机）或 online（线上）` });
    return this.writer.run(async (tx) => {
      const known = await tx.get<PlaceRow>('SELECT * FROM stock_places WHERE place_code = ?', [placeCode]);
      if (known) {
        await tx.run('UPDATE stock_places SET name = ?, type = ? WHERE place_code = ?', [name, type, placeCode]);
        return { ok: true as const, created: false };
      }
      await insertRow(tx, 'stock_places', { place_code: placeCode, name, type, created_at: Date.now() });
      return { ok: true as const, created: true };
    });
  }

  places(): Promise<PlaceRow[]> {
    return this.db<PlaceRow>('stock_places').orderBy('place_code');
  }

  // -- movements

  /** Numbers received from finance into the unit's store (a range of one code, e-bill or paper). */
  receive(r: RangeRef & { medium: Medium; billKind: string }, who: Who): Promise<StockOutcome<{ count: number }>> {
    const bad = checkReceipt(r);
    if (bad) return Promise.resolve(bad);
    return this.writer.run((tx) => this.receiveTx(tx, r, who));
  }

  /**
   * receive, inside the caller's transaction: a stock application from finance records its range as
   * received in the same commit as the ledger row, so a crash between the two cannot receive it twice.
   * A refusal writes nothing.
   */
  async receiveTx(tx: SqlTx, r: RangeRef & { medium: Medium; billKind: string }, who: Who): Promise<StockOutcome<{ count: number }>> {
    const bad = checkReceipt(r);
    if (bad) return bad;
    const kind = billKindOf(r.billKind)!;
    const span = parseSpan(r.startNo, r.endNo) as Span & { len: number };
    const received = await this.movementsOf(tx, r.billBatchCode, r.medium, true);
    const same = received.filter((m) => m.op === 'received');
    if (same.some((m) => Number(m.no_len) !== span.len)) return refuse({ kind: 'badRange', detail: `票据代码 ${r.billBatchCode} 的号码为 ${same[0].no_len} 位，${r.startNo} 位数不同` });
    if (same.some((m) => m.bill_kind !== kind)) return refuse({ kind: 'kindMismatch', billCode: r.billKind, billBatchCode: r.billBatchCode, billKind: same[0].bill_kind });
    if (total(subtract([span], same.map(spanOf))) !== spanSize(span))
      return refuse({ kind: 'overlap', billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo });
    await this.record(tx, 'received', { medium: r.medium, billKind: kind, code: r.billBatchCode, span, len: span.len, place: null, rangeId: null, reason: null }, who);
    return { ok: true as const, count: spanSize(span) };
  }

  /** A range of the unit's store handed to a place (下发): from now on its numbers are taken there, in order. */
  distribute(placeCode: string, r: RangeRef, who: Who): Promise<StockOutcome<{ count: number; rangeId: number; medium: Medium; billKind: string }>> {
    return this.writer.run((tx) => this.distributeTx(tx, placeCode, r, who));
  }

  /**
   * Several ranges to (or back from) one place, all or none: billStockOut/billStockReturn carry a
   * list, and half a list moved would leave the HIS unsure what the place holds.
   */
  async moveAll(op: 'distribute' | 'return', placeCode: string, rs: RangeRef[], who: Who & { reason?: string }): Promise<StockOutcome<{ count: number }>> {
    try {
      return await this.writer.run(async (tx) => {
        let count = 0;
        for (const r of rs) {
          const one = op === 'distribute' ? await this.distributeTx(tx, placeCode, r, who) : await this.cutTx(tx, 'returned', placeCode, r, who, who.reason ?? null);
          if (!one.ok) throw new Refused(one);
          count += one.count;
        }
        return { ok: true as const, count };
      });
    } catch (e) {
      if (e instanceof Refused) return e.outcome;
      throw e;
    }
  }

  private async distributeTx(tx: SqlTx, placeCode: string, r: RangeRef, who: Who): Promise<StockOutcome<{ count: number; rangeId: number; medium: Medium; billKind: string }>> {
    const place = await tx.get<PlaceRow>('SELECT * FROM stock_places WHERE place_code = ?', [placeCode]);
    if (!place) return refuse({ kind: 'unknownPlace', placeCode });
    const found = await this.resolve(tx, r);
    if (!found.ok) return found;
    const { span, medium, billKind, len, movements } = found;
    if (!covers(unitHoldings(movements.map(likeOf)), span)) {
      const done = repeatOf(movements, 'distributed', placeCode, span);
      if (done) return { ok: true as const, count: spanSize(span), rangeId: Number(done.range_id), medium, billKind };
      return refuse({ kind: 'notInStore', billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo });
    }
    const now = Date.now();
    const { lastId } = await insertRow(tx, 'stock_ranges', {
      place_code: placeCode,
      medium,
      bill_kind: billKind,
      bill_batch_code: r.billBatchCode,
      start_no: span.start,
      end_no: span.end,
      next_no: span.start,
      no_len: len,
      state: 'active',
      created_at: now,
    });
    await this.record(tx, 'distributed', { medium, billKind, code: r.billBatchCode, span, len, place: placeCode, rangeId: lastId, reason: null }, who);
    await this.tellLevel(tx, placeCode, medium, billKind);
    return { ok: true as const, count: spanSize(span), rangeId: lastId, medium, billKind };
  }

  /** Unused numbers a place gives back to the unit's store (退回). */
  giveBack(placeCode: string, r: RangeRef, who: Who & { reason?: string }): Promise<StockOutcome<{ count: number }>> {
    return this.cutFromPlace('returned', placeCode, r, who, who.reason ?? null);
  }

  /**
   * Blank numbers voided with a reason (空白作废: a jammed printer, a spoiled form), at a place or,
   * without a place, in the unit's store. They are never taken afterwards.
   */
  voidBlank(placeCode: string | undefined, r: RangeRef, reason: string, who: Who): Promise<StockOutcome<{ count: number }>> {
    if (placeCode) return this.cutFromPlace('voided', placeCode, r, who, reason);
    return this.writer.run(async (tx) => {
      const found = await this.resolve(tx, r);
      if (!found.ok) return found;
      const { span, medium, billKind, len, movements } = found;
      if (!covers(unitHoldings(movements.map(likeOf)), span)) return refuse({ kind: 'notInStore', billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo });
      await this.record(tx, 'voided', { medium, billKind, code: r.billBatchCode, span, len, place: null, rangeId: null, reason }, who);
      return { ok: true as const, count: spanSize(span) };
    });
  }

  /** Cuts an unused span out of one of the place's active ranges (a head, a tail or a middle, which splits the range). */
  private cutFromPlace(op: 'returned' | 'voided', placeCode: string, r: RangeRef, who: Who, reason: string | null): Promise<StockOutcome<{ count: number }>> {
    return this.writer.run((tx) => this.cutTx(tx, op, placeCode, r, who, reason));
  }

  private async cutTx(tx: SqlTx, op: 'returned' | 'voided', placeCode: string, r: RangeRef, who: Who, reason: string | null): Promise<StockOutcome<{ count: number }>> {
    const place = await tx.get<PlaceRow>('SELECT * FROM stock_places WHERE place_code = ?', [placeCode]);
    if (!place) return refuse({ kind: 'unknownPlace', placeCode });
    const found = await this.resolve(tx, r);
    if (!found.ok) return found;
    const { span, medium, billKind, len } = found;
    const ranges = await tx.all<RangeRow>(
      'SELECT * FROM stock_ranges WHERE place_code = ? AND bill_batch_code = ? AND medium = ? AND state = ? ORDER BY start_no' + tx.forUpdate,
      [placeCode, r.billBatchCode, medium, 'active'],
    );
    const holder = ranges.find((g) => Number(g.next_no) <= span.start && span.end <= Number(g.end_no));
    if (!holder) {
      if (op === 'returned' && repeatOf(found.movements, 'returned', placeCode, span)) return { ok: true as const, count: spanSize(span) };
      return refuse({ kind: 'notHeld', placeCode, billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo });
    }
    const next = Number(holder.next_no);
    const end = Number(holder.end_no);
    if (span.start === next) {
      const left = span.end + 1 > end ? 'exhausted' : 'active';
      await tx.run('UPDATE stock_ranges SET next_no = ?, state = ? WHERE id = ?', [span.end + 1, left, holder.id]);
    } else {
      await tx.run('UPDATE stock_ranges SET end_no = ? WHERE id = ?', [span.start - 1, holder.id]);
      if (span.end < end)
        await insertRow(tx, 'stock_ranges', {
          place_code: placeCode,
          medium,
          bill_kind: billKind,
          bill_batch_code: r.billBatchCode,
          start_no: span.end + 1,
          end_no: end,
          next_no: span.end + 1,
          no_len: len,
          state: 'active',
          created_at: Date.now(),
        });
    }
    await this.record(tx, op, { medium, billKind, code: r.billBatchCode, span, len, place: placeCode, rangeId: holder.id, reason }, who);
    await this.tellLevel(tx, placeCode, medium, billKind);
    return { ok: true as const, count: spanSize(span) };
  }

  /** The range's code as received: its medium, kind and number length, and the movements of the code. */
  private async resolve(
    tx: SqlTx,
    r: RangeRef,
  ): Promise<StockOutcome<{ span: Span; medium: Medium; billKind: string; len: number; movements: MovementRow[] }>> {
    const span = parseSpan(r.startNo, r.endNo);
    if ('error' in span) return refuse({ kind: 'badRange', detail: span.error });
    const all = await this.movementsOf(tx, r.billBatchCode, r.medium, true);
    const media = [...new Set(all.filter((m) => m.op === 'received' && covers([spanOf(m)], span)).map((m) => m.medium))];
    if (media.length > 1) return refuse({ kind: 'ambiguousMedium', billBatchCode: r.billBatchCode });
    const medium = media[0];
    const received = all.find((m) => m.op === 'received' && m.medium === medium);
    if (!medium || !received) return refuse({ kind: 'notInStore', billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo });
    if (Number(received.no_len) !== span.len) return refuse({ kind: 'badRange', detail: `票据代码 ${r.billBatchCode} 的号码为 ${received.no_len} 位，${r.startNo} 位数不同` });
    if (r.billCode && billKindOf(r.billCode) !== received.bill_kind)
      return refuse({ kind: 'kindMismatch', billCode: r.billCode, billBatchCode: r.billBatchCode, billKind: received.bill_kind });
    return { ok: true, span, medium, billKind: received.bill_kind, len: span.len, movements: all.filter((m) => m.medium === medium) };
  }

  private movementsOf(tx: SqlTx, code: string, medium: Medium | undefined, lock: boolean): Promise<MovementRow[]> {
    // FOR UPDATE on MySQL serialises two movements of one code (the store's holdings are replayed from these rows).
    const sql = `SELECT * FROM stock_movements WHERE bill_batch_code = ?${medium ? ' AND medium = ?' : ''} ORDER BY id${lock ? tx.forUpdate : ''}`;
    return tx.all<MovementRow>(sql, medium ? [code, medium] : [code]);
  }

  private async record(
    tx: SqlTx,
    op: MovementOp,
    m: { medium: Medium; billKind: string; code: string; span: Span; len: number; place: string | null; rangeId: number | null; reason: string | null },
    who: Who,
  ): Promise<void> {
    await insertRow(tx, 'stock_movements', {
      at: Date.now(),
      op,
      medium: m.medium,
      bill_kind: m.billKind,
      bill_batch_code: m.code,
      start_no: m.span.start,
      end_no: m.span.end,
      no_len: m.len,
      place_code: m.place,
      range_id: m.rangeId,
      operator: who.operator?.slice(0, 60) ?? null,
      reason: m.reason?.slice(0, 200) ?? null,
      remark: who.remark?.slice(0, 200) ?? null,
      source: who.source,
    });
    // A blank void is a bill event finance hears of (空白作废): enqueued with the movement, in its transaction.
    if (op === 'voided') {
      const no = (n: number) => String(n).padStart(m.len, '0');
      const event = blankVoidEvent({ placeCode: m.place ?? '', medium: m.medium, billBatchCode: m.code, startNo: no(m.span.start), endNo: no(m.span.end), reason: m.reason ?? '', operator: who.operator });
      await insertJob(tx, eventJob(event));
    }
  }

  private async tellLevel(tx: SqlTx, placeCode: string, medium: Medium, billKind: string): Promise<void> {
    if (observer) observer.fn({ placeCode, medium, billKind, remaining: await remainingAt(tx, placeCode, medium, billKind) });
  }

  // -- balances and the ledger (computed, never stored)

  /** Every unused range: in the unit's store (holder null) and at each place. */
  async holdings(filter: { placeCode?: string; billKind?: string; billBatchCode?: string; medium?: Medium } = {}): Promise<Holding[]> {
    const out: Holding[] = [];
    if (filter.placeCode === undefined) {
      const q = this.db<MovementRow>('stock_movements').orderBy('id');
      if (filter.billBatchCode) q.where('bill_batch_code', filter.billBatchCode);
      if (filter.medium) q.where('medium', filter.medium);
      const groups = new Map<string, MovementRow[]>();
      for (const m of await q) {
        const k = `${m.bill_batch_code}\u0000${m.medium}`;
        (groups.get(k) ?? groups.set(k, []).get(k)!).push(m);
      }
      for (const ms of groups.values()) {
        const first = ms.find((m) => m.op === 'received');
        if (!first || (filter.billKind && first.bill_kind !== filter.billKind)) continue;
        for (const s of unitHoldings(ms.map(likeOf))) out.push(holding(null, first, s));
      }
    }
    const q = this.db<RangeRow>('stock_ranges').where('state', 'active').orderBy(['place_code', 'medium', 'bill_kind', 'bill_batch_code', 'start_no']);
    if (filter.placeCode !== undefined) q.where('place_code', filter.placeCode);
    if (filter.billKind) q.where('bill_kind', filter.billKind);
    if (filter.billBatchCode) q.where('bill_batch_code', filter.billBatchCode);
    if (filter.medium) q.where('medium', filter.medium);
    for (const g of await q) if (Number(g.next_no) <= Number(g.end_no)) out.push(holding(g.place_code, g, { start: Number(g.next_no), end: Number(g.end_no) }));
    return mergeHoldings(out);
  }

  /** Distributions in a time window (epoch ms, inclusive), oldest first: getBillStockOutList. */
  distributions(placeCode: string | undefined, from: number, to: number): Promise<MovementRow[]> {
    const q = this.db<MovementRow>('stock_movements').where('op', 'distributed').where('at', '>=', from).where('at', '<=', to).orderBy('id');
    if (placeCode) q.where('place_code', placeCode);
    return q;
  }

  /** Every movement and every bill touching numbers [startNo, endNo] of the code, in time order. */
  async ledger(billBatchCode: string, startNo: string, endNo = startNo): Promise<StockOutcome<{ entries: LedgerEntry[] }>> {
    const span = parseSpan(startNo, endNo);
    if ('error' in span) return refuse({ kind: 'badRange', detail: span.error });
    const moves = await this.db<MovementRow>('stock_movements')
      .where('bill_batch_code', billBatchCode)
      .where('start_no', '<=', span.end)
      .where('end_no', '>=', span.start)
      .orderBy('id');
    const bills = await this.db('bills')
      .select('bill_no', 'kind', 'state', 'bus_no', 'place_code', 'operator', 'void_reason', 'red_reason', 'created_at')
      .where('bill_batch_code', billBatchCode)
      .whereBetween('bill_no', [padNo(span.start, span.len), padNo(span.end, span.len)])
      .orderBy('bill_no');
    const entries: LedgerEntry[] = moves.map((m) => ({
      at: Number(m.at),
      what: m.op,
      billBatchCode,
      startNo: padNo(Math.max(Number(m.start_no), span.start), m.no_len),
      endNo: padNo(Math.min(Number(m.end_no), span.end), m.no_len),
      placeCode: m.place_code,
      operator: m.operator,
      reason: m.reason,
      busNo: null,
    }));
    for (const b of bills as { bill_no: string; kind: string; state: string; bus_no: string | null; place_code: string | null; operator: string | null; void_reason: string | null; red_reason: string | null; created_at: number }[])
      entries.push({
        at: Number(b.created_at),
        what: b.state === 'voided' ? 'voidedBill' : b.state === 'reserved' ? 'reserved' : b.kind === 'red' ? 'usedRed' : 'usedBlue',
        billBatchCode,
        startNo: b.bill_no,
        endNo: b.bill_no,
        placeCode: b.place_code,
        operator: b.operator,
        reason: b.state === 'voided' ? b.void_reason : b.red_reason,
        busNo: b.bus_no,
      });
    // A paper number's use is its paper_bills row (turnPaper, reTurnPaper), not a bills row.
    const papers = (await this.db('paper_bills')
      .select('paper_no', 'state', 'place_code', 'operator', 'reason', 'created_at')
      .where('paper_batch_code', billBatchCode)
      .whereBetween('paper_no', [padNo(span.start, span.len), padNo(span.end, span.len)])) as { paper_no: string; state: string; place_code: string; operator: string | null; reason: string | null; created_at: number }[];
    for (const p of papers)
      entries.push({
        at: Number(p.created_at),
        what: p.state === 'voided' ? 'voidedPaper' : 'usedPaper',
        billBatchCode,
        startNo: p.paper_no,
        endNo: p.paper_no,
        placeCode: p.place_code,
        operator: p.operator,
        reason: p.reason,
        busNo: null,
      });
    entries.sort((x, y) => x.at - y.at || x.startNo.localeCompare(y.startNo));
    return { ok: true, entries };
  }

  /** Remaining unused numbers per place, medium and kind (the low-stock gauges read it on scrape). */
  async levels(): Promise<{ placeCode: string; medium: Medium; billKind: string; remaining: number; threshold: number }[]> {
    const rows = (await this.db('stock_ranges')
      .select('place_code', 'medium', 'bill_kind')
      .sum({ n: this.db.raw('CASE WHEN state = ? THEN end_no - next_no + 1 ELSE 0 END', ['active']) })
      .groupBy('place_code', 'medium', 'bill_kind')) as { place_code: string; medium: Medium; bill_kind: string; n: number | string | null }[];
    return rows.map((r) => ({
      placeCode: r.place_code,
      medium: r.medium,
      billKind: r.bill_kind,
      remaining: Math.max(0, Number(r.n ?? 0)),
      threshold: lowStockThreshold(this.lowStock, r.place_code, r.bill_kind),
    }));
  }

  /**
   * Seeds the demo stock through the ledger (received, then distributed to its place), once: a
   * range already received is left alone. Returns the ranges added.
   */
  async seedDemo(seeds: { placeCode: string; medium: Medium; billKind: string; billBatchCode: string; startNo: string; endNo: string }[]): Promise<number> {
    let added = 0;
    for (const s of seeds) {
      const had = await this.db('stock_movements').where({ bill_batch_code: s.billBatchCode, medium: s.medium, op: 'received' }).where('start_no', '<=', Number(s.endNo)).where('end_no', '>=', Number(s.startNo)).first();
      if (had) continue;
      const known = await this.db('stock_places').where({ place_code: s.placeCode }).first();
      if (!known) await this.addPlace(s.placeCode, `演示开票点 ${s.placeCode}`, 'window');
      const ref = { billBatchCode: s.billBatchCode, startNo: s.startNo, endNo: s.endNo, medium: s.medium };
      const got = await this.receive({ ...ref, billKind: s.billKind }, { source: 'demo', operator: 'demo' });
      if (!got.ok) throw new Error(`demo stock ${s.billBatchCode} ${s.startNo}-${s.endNo}: ${JSON.stringify(got)}`);
      const out = await this.distribute(s.placeCode, ref, { source: 'demo', operator: 'demo' });
      if (!out.ok) throw new Error(`demo stock ${s.billBatchCode} ${s.startNo}-${s.endNo}: ${JSON.stringify(out)}`);
      added++;
    }
    return added;
  }
}

/**
 * The same movement done before and not undone since: a HIS resending billStockOut/billStockReturn
 * after a timeout gets success again, without a second ledger row (what the place holds is the same).
 */
function repeatOf(movements: MovementRow[], op: 'distributed' | 'returned', placeCode: string, span: Span): MovementRow | undefined {
  const last = [...movements].reverse().find((m) => m.op === op && m.place_code === placeCode && Number(m.start_no) === span.start && Number(m.end_no) === span.end);
  if (!last) return undefined;
  const undone = movements.some((m) => Number(m.id) > Number(last.id) && m.op !== 'received' && Number(m.start_no) <= span.end && Number(m.end_no) >= span.start);
  return undone ? undefined : last;
}

const errorOf = (r: object): string | undefined => ('error' in r ? (r as { error: string }).error : undefined);
const spanOf = (m: { start_no: number; end_no: number }): Span => ({ start: Number(m.start_no), end: Number(m.end_no) });
const likeOf = (m: MovementRow) => ({ op: m.op, place: m.place_code, ...spanOf(m) });

function holding(holder: string | null, g: { medium: Medium; bill_kind: string; bill_batch_code: string; no_len: number }, s: Span): Holding {
  return {
    holder,
    medium: g.medium,
    billKind: g.bill_kind,
    billBatchCode: g.bill_batch_code,
    startNo: padNo(s.start, g.no_len),
    endNo: padNo(s.end, g.no_len),
    count: spanSize(s),
  };
}

/** Touching ranges of one holder and code shown as one (a split range reads as it was handed out). */
function mergeHoldings(hs: Holding[]): Holding[] {
  const groups = new Map<string, Holding[]>();
  for (const h of hs) {
    const k = [h.holder ?? '', h.medium, h.billKind, h.billBatchCode].join('\u0000');
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(h);
  }
  const out: Holding[] = [];
  for (const g of groups.values()) {
    const len = g[0].startNo.length;
    for (const s of normalise(g.map((h) => ({ start: Number(h.startNo), end: Number(h.endNo) }))))
      out.push({ ...g[0], startNo: padNo(s.start, len), endNo: padNo(s.end, len), count: spanSize(s) });
  }
  return out;
}

/**
 * The next number of the place's ranges of one code (getPaperBillNo: "the next paper number of
 * pBillBatchCode"), or of a kind when no code is given; the bill kind comes along. Read only, in
 * takeNumber's order.
 */
export async function peekNumberOf(
  q: Pick<SqlTx, 'get'>,
  placeCode: string,
  medium: Medium,
  by: { billKind?: string; billBatchCode?: string },
): Promise<(TakenNumber & { billKind: string }) | undefined> {
  const where = ['place_code = ?', 'medium = ?', 'state = ?'];
  const params: unknown[] = [placeCode, medium, 'active'];
  if (by.billKind) (where.push('bill_kind = ?'), params.push(by.billKind));
  if (by.billBatchCode) (where.push('bill_batch_code = ?'), params.push(by.billBatchCode));
  const range = await q.get<{ id: number; bill_batch_code: string; bill_kind: string; next_no: number; no_len: number }>(
    `SELECT id, bill_batch_code, bill_kind, next_no, no_len FROM stock_ranges WHERE ${where.join(' AND ')} ORDER BY bill_batch_code, start_no, id LIMIT 1`,
    params,
  );
  return range ? { rangeId: range.id, billBatchCode: range.bill_batch_code, billKind: range.bill_kind, billNo: padNo(Number(range.next_no), range.no_len) } : undefined;
}
