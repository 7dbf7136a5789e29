/**
 * The ledger walk (DESIGN §5.1): reads the stock tables and the bills straight from the database and
 * accounts for every number of every range ever received. Each number must be in exactly one state —
 * unused in the unit's store, unused at a place, used by a blue or red bill, or voided with a reason
 * (a voided bill row, or a blank void movement) — with no number in two and none in none (a gap).
 * Works on spans, so a demo range of ten million numbers costs nothing.
 */
import type { Knex } from 'knex';
import { intersect, normalise, Span, subtract, total, unitHoldings } from '../../src/domain/stock';

export interface LedgerWalk {
  problems: string[];
  counts: { received: number; unusedInStore: number; unusedAtPlaces: number; blue: number; red: number; voided: number; blankVoided: number; reserved: number; paperUsed: number };
}

interface Mv {
  op: 'received' | 'distributed' | 'returned' | 'voided';
  medium: string;
  bill_batch_code: string;
  start_no: number;
  end_no: number;
  place_code: string | null;
  reason: string | null;
}

const sp = (a: number | string, b: number | string): Span => ({ start: Number(a), end: Number(b) });
const show = (s: Span[]) => s.slice(0, 5).map((x) => (x.start === x.end ? `${x.start}` : `${x.start}-${x.end}`)).join(', ') + (s.length > 5 ? ' …' : '');

export async function walkLedger(db: Knex): Promise<LedgerWalk> {
  const problems: string[] = [];
  const counts = { received: 0, unusedInStore: 0, unusedAtPlaces: 0, blue: 0, red: 0, voided: 0, blankVoided: 0, reserved: 0, paperUsed: 0 };
  const moves = (await db('stock_movements').orderBy('id')) as Mv[];
  const ranges = (await db('stock_ranges')) as { medium: string; bill_batch_code: string; start_no: number; next_no: number; end_no: number; state: string }[];
  const bills = (await db('bills').select('bill_batch_code', 'bill_no', 'kind', 'state', 'void_reason')) as { bill_batch_code: string; bill_no: string; kind: string; state: string; void_reason: string | null }[];

  const seen = new Set<string>();
  for (const b of bills) {
    const k = `${b.bill_batch_code}-${b.bill_no}`;
    if (seen.has(k)) problems.push(`number ${k} has two bill rows`);
    seen.add(k);
    if (b.state === 'voided' && !b.void_reason) problems.push(`bill ${k} voided without a reason`);
  }
  const groups = new Map<string, Mv[]>();
  for (const m of moves) {
    const k = `${m.bill_batch_code}/${m.medium}`;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(m);
  }
  for (const [key, ms] of groups) {
    const [code, medium] = key.split('/');
    const receivedList = ms.filter((m) => m.op === 'received').map((m) => sp(m.start_no, m.end_no));
    const R = normalise(receivedList);
    if (total(R) !== total(receivedList)) problems.push(`${key}: a number was received twice`);
    counts.received += total(R);
    for (const m of ms) if (m.op === 'voided' && !m.reason) problems.push(`${key}: blank void ${m.start_no}-${m.end_no} without a reason`);
    const parts: Record<string, Span[]> = {
      store: unitHoldings(ms.map((m) => ({ op: m.op, place: m.place_code, ...sp(m.start_no, m.end_no) }))),
      place: normalise(ranges.filter((g) => g.bill_batch_code === code && g.medium === medium && g.state === 'active' && Number(g.next_no) <= Number(g.end_no)).map((g) => sp(g.next_no, g.end_no))),
      blankVoid: normalise(ms.filter((m) => m.op === 'voided').map((m) => sp(m.start_no, m.end_no))),
    };
    if (medium === 'ebill') {
      const mine = bills.filter((b) => b.bill_batch_code === code);
      const of = (pred: (b: (typeof mine)[number]) => boolean) => normalise(mine.filter(pred).map((b) => sp(b.bill_no, b.bill_no)));
      parts.blue = of((b) => b.kind === 'blue' && b.state === 'issued');
      parts.red = of((b) => b.kind === 'red' && b.state === 'issued');
      parts.voided = of((b) => b.state === 'voided');
      parts.reserved = of((b) => b.state === 'reserved');
      const outside = subtract(of(() => true), R);
      if (outside.length) problems.push(`${key}: bills use numbers never received: ${show(outside)}`);
    } else {
      // Paper numbers are used by the paper bills (another table); what the cursors passed and no void explains is "used".
      const passed = normalise(ranges.filter((g) => g.bill_batch_code === code && g.medium === medium).map((g) => sp(g.start_no, Math.min(Number(g.next_no) - 1, Number(g.end_no)))));
      parts.paperUsed = subtract(passed, [...parts.blankVoid, ...parts.store, ...parts.place]);
    }
    const names = Object.keys(parts);
    for (let i = 0; i < names.length; i++)
      for (let j = i + 1; j < names.length; j++) {
        const both = intersect(parts[names[i]], parts[names[j]]);
        if (both.length) problems.push(`${key}: numbers both ${names[i]} and ${names[j]}: ${show(both)}`);
      }
    const gap = subtract(R, Object.values(parts).flat());
    if (gap.length) problems.push(`${key}: numbers in no state (a gap): ${show(gap)}`);
    counts.unusedInStore += total(parts.store);
    counts.unusedAtPlaces += total(parts.place);
    counts.blankVoided += total(parts.blankVoid);
    counts.blue += total(parts.blue ?? []);
    counts.red += total(parts.red ?? []);
    counts.voided += total(parts.voided ?? []);
    counts.reserved += total(parts.reserved ?? []);
    counts.paperUsed += total(parts.paperUsed ?? []);
  }
  return { problems, counts };
}
