/**
 * Daily reconciliation with finance (对账): medbill's ledger of a day against finance's daily totals,
 * per place and bill code. The report is stored (finance_reconcile_reports), its number of differences
 * is the gauge medbill_finance_reconcile_differences, and a day that differs logs one warn line.
 */
import { compareDay, type Comparison, type DayTotals, type Difference } from '../domain/finance-reconcile';
import { formatUnits } from '../domain/money';
import { dayBounds, signedFen } from '../domain/reconcile';
import { stamp17 } from '../domain/time';
import { log } from '../log';
import { financeReconcileDifferences } from '../metrics';
import type { FinanceReconcileStore } from '../store/finance-reconcile';
import type { ReportStore } from '../store/reports';
import type { Finance, FinanceRefused, FinanceTransient } from './finance';

export interface ReconcileReport {
  date: string;
  generatedAt: string;
  equal: boolean;
  differences: Difference[];
  groups: Comparison['groups'];
}

export type ReconcileOutcome = { kind: 'ok'; report: ReconcileReport; reportId: number } | FinanceRefused | FinanceTransient;

/** medbill's figures of one day (YYYY-MM-DD), grouped as finance groups them. */
export async function ledgerTotals(store: FinanceReconcileStore, reports: ReportStore, date: string): Promise<DayTotals[]> {
  const day = date.replace(/-/g, '');
  const bounds = dayBounds(date);
  if (!bounds) throw new Error(`not a calendar day: ${date}`);
  const groups = new Map<string, { placeCode: string; billBatchCode: string; blueCount: number; blueFen: bigint; redCount: number; redFen: bigint; paperConvertCount: number; paperVoidCount: number; blankVoidCount: number }>();
  const at = (placeCode: string | null, billBatchCode: string) => {
    const k = `${placeCode ?? ''}\u0000${billBatchCode}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { placeCode: placeCode ?? '', billBatchCode, blueCount: 0, blueFen: 0n, redCount: 0, redFen: 0n, paperConvertCount: 0, paperVoidCount: 0, blankVoidCount: 0 }));
    return g;
  };
  // The same reads as the HIS reconciliation services (checkTotalDataByIvcDate…): issued bills by issue time.
  const bills = [...(await reports.dayBills({ basis: 'ivc', ...bounds, kind: 'blue' })), ...(await reports.dayBills({ basis: 'ivc', ...bounds, kind: 'red' }))];
  for (const b of bills) {
    const g = at(b.place_code, b.bill_batch_code);
    if (b.kind === 'red') (g.redCount++, (g.redFen += signedFen(b.total_amt, 'red')));
    else (g.blueCount++, (g.blueFen += signedFen(b.total_amt, 'blue')));
  }
  for (const e of await store.events(day)) at(e.place_code, e.bill_batch_code)[`${e.what}Count`] += Number(e.n);
  return [...groups.values()].map(({ blueFen, redFen, ...g }) => ({ ...g, blueAmount: formatUnits(blueFen, 2), redAmount: formatUnits(redFen, 2) }));
}

export async function reconcileDay(finance: Finance, store: FinanceReconcileStore, reports: ReportStore, date: string, source: 'cli' | 'schedule'): Promise<ReconcileOutcome> {
  const theirs = await finance.dailyTotals(date);
  if (theirs.kind !== 'ok') return theirs;
  const ours = await ledgerTotals(store, reports, date);
  const c = compareDay(ours, theirs.totals.rows as unknown as DayTotals[]);
  const report: ReconcileReport = { date, generatedAt: stamp17(), equal: c.differences.length === 0, differences: c.differences, groups: c.groups };
  const reportId = await store.saveReport(date, c.differences.length, report, source);
  financeReconcileDifferences.set(c.differences.length);
  if (c.differences.length)
    log().warn('finance reconciliation differs', {
      date,
      differences: c.differences.length,
      reportId,
      first: `${c.differences[0].placeCode}/${c.differences[0].billBatchCode} ${c.differences[0].measure}: medbill ${c.differences[0].medbill}, finance ${c.differences[0].finance}`,
    });
  else log().info('finance reconciliation equal', { date, groups: c.groups.length, reportId });
  return { kind: 'ok', report, reportId };
}

/** The Beijing calendar day `daysBack` days before `now`, YYYY-MM-DD. */
export function beijingDayBefore(daysBack: number, now = Date.now()): string {
  const s = stamp17(now - daysBack * 86_400_000);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}
