/**
 * Daily reconciliation with finance, as pure arithmetic: medbill's ledger of a day and finance's totals
 * of the same day, both per place and bill code, compared measure by measure. Amounts are integer fen
 * inside, decimal text at the edges (finance's totals arrive as text).
 */
import { fen, formatUnits } from './money';

export const MEASURES = ['blueCount', 'blueAmount', 'redCount', 'redAmount', 'paperConvertCount', 'paperVoidCount', 'blankVoidCount'] as const;
export type Measure = (typeof MEASURES)[number];

/** One group's figures; amounts as exact decimal text with 2 places (red negative). */
export type DayTotals = { placeCode: string; billBatchCode: string } & Record<Measure, string | number>;

export interface Difference {
  placeCode: string;
  billBatchCode: string;
  measure: Measure;
  medbill: string;
  finance: string;
}

export interface Comparison {
  /** every group either side has, with both sides' figures */
  groups: { placeCode: string; billBatchCode: string; medbill: Record<Measure, string>; finance: Record<Measure, string> }[];
  differences: Difference[];
}

const isAmount = (m: Measure) => m === 'blueAmount' || m === 'redAmount';
const norm = (m: Measure, v: string | number | undefined): string => (isAmount(m) ? formatUnits(fen(v ?? '0'), 2) : String(Number(v ?? 0)));
const keyOf = (g: { placeCode: string; billBatchCode: string }) => `${g.placeCode}\u0000${g.billBatchCode}`;
const zero = (): Record<Measure, string> => Object.fromEntries(MEASURES.map((m) => [m, isAmount(m) ? '0.00' : '0'])) as Record<Measure, string>;

export function compareDay(medbill: readonly DayTotals[], finance: readonly DayTotals[]): Comparison {
  const groups = new Map<string, Comparison['groups'][number]>();
  const put = (side: 'medbill' | 'finance', rows: readonly DayTotals[]) => {
    for (const r of rows) {
      const k = keyOf(r);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { placeCode: r.placeCode, billBatchCode: r.billBatchCode, medbill: zero(), finance: zero() }));
      // A side may list a group twice (it should not): the figures add up rather than the last winning.
      for (const m of MEASURES) g[side][m] = isAmount(m) ? formatUnits(fen(g[side][m]) + fen(norm(m, r[m])), 2) : String(Number(g[side][m]) + Number(norm(m, r[m])));
    }
  };
  put('medbill', medbill);
  put('finance', finance);
  const sorted = [...groups.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const differences: Difference[] = [];
  for (const g of sorted)
    for (const m of MEASURES) if (g.medbill[m] !== g.finance[m]) differences.push({ placeCode: g.placeCode, billBatchCode: g.billBatchCode, measure: m, medbill: g.medbill[m], finance: g.finance[m] });
  return { groups: sorted, differences };
}

const csvCell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One line per group and measure, both sides and whether they differ (a spreadsheet's view of the report). */
export function comparisonCsv(date: string, c: Comparison): string {
  const lines = ['date,placeCode,billBatchCode,measure,medbill,finance,differs'];
  for (const g of c.groups) for (const m of MEASURES) lines.push([date, g.placeCode, g.billBatchCode, m, g.medbill[m], g.finance[m], g.medbill[m] === g.finance[m] ? 'no' : 'yes'].map(csvCell).join(','));
  return lines.join('\n') + '\n';
}
