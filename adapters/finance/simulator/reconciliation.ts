/**
 * GET /api/reconciliation/daily?date=YYYY-MM-DD — finance's totals of one day, per place and bill code,
 * counted from what it holds: blue and red e-bills by their issue date (fin_bills.issue_date, from the
 * signed document), and the events by the day they happened at the hospital (fin_events.event_date).
 * Paper conversion and paper void are counted under the paper's bill code, a blank void under the code
 * of its range with one per number. Amounts are summed in integer fen.
 */
import express from 'express';
import type { Knex } from 'knex';
import { fen, formatUnits } from '../../../src/domain/money';
import type { FinanceDailyTotalRow, FinanceDailyTotals } from '../../../src/engine/finance';
import { refusal } from './upload';

type Acc = Omit<FinanceDailyTotalRow, 'blueAmount' | 'redAmount'> & { blueFen: bigint; redFen: bigint };

export async function dailyTotals(db: Knex, date: string): Promise<FinanceDailyTotals> {
  const day = date.replace(/-/g, '');
  const groups = new Map<string, Acc>();
  const at = (placeCode: string | null, billBatchCode: string | null): Acc => {
    const key = `${placeCode ?? ''}\u0000${billBatchCode ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = { placeCode: placeCode ?? '', billBatchCode: billBatchCode ?? '', blueCount: 0, blueFen: 0n, redCount: 0, redFen: 0n, paperConvertCount: 0, paperVoidCount: 0, blankVoidCount: 0 };
      groups.set(key, g);
    }
    return g;
  };
  const bills: { kind: string; place_code: string | null; bill_batch_code: string; total_amount: string | null }[] = await db('fin_bills')
    .select('kind', 'place_code', 'bill_batch_code', 'total_amount')
    .where({ issue_date: day });
  for (const b of bills) {
    const g = at(b.place_code, b.bill_batch_code);
    const v = fen(b.total_amount ?? '0');
    if (b.kind === 'red') {
      g.redCount++;
      g.redFen += v < 0n ? v : -v;
    } else {
      g.blueCount++;
      g.blueFen += v;
    }
  }
  const events: { type: string; place_code: string | null; bill_batch_code: string | null; p_bill_batch_code: string | null; count: number }[] = await db('fin_events')
    .select('type', 'place_code', 'bill_batch_code', 'p_bill_batch_code', 'count')
    .where({ event_date: day });
  for (const e of events) {
    if (e.type === 'paper-convert') at(e.place_code, e.p_bill_batch_code).paperConvertCount++;
    else if (e.type === 'paper-void') at(e.place_code, e.p_bill_batch_code).paperVoidCount++;
    else if (e.type === 'blank-void') at(e.place_code, e.bill_batch_code).blankVoidCount += Number(e.count);
  }
  const rows = [...groups.values()]
    .sort((a, b) => (a.placeCode + '\u0000' + a.billBatchCode < b.placeCode + '\u0000' + b.billBatchCode ? -1 : 1))
    .map(({ blueFen, redFen, ...g }) => ({ ...g, blueAmount: formatUnits(blueFen, 2), redAmount: formatUnits(redFen, 2) }));
  return { date, rows };
}

const isDay = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

export function reconciliationRoutes(db: Knex): express.Router {
  const r = express.Router();
  r.get('/api/reconciliation/daily', (req, res, next) => {
    const date = typeof req.query.date === 'string' ? req.query.date : '';
    if (!isDay(date)) {
      const x = refusal('bad-request', 'date must be a calendar day YYYY-MM-DD');
      res.status(x.status).json(x.body);
      return;
    }
    dailyTotals(db, date).then((t) => void res.json(t), next);
  });
  return r;
}
