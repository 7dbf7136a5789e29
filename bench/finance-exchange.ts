/**
 * Costs of the finance exchange's part B, in-process:
 *   - the charge-codes check of issuance: µs per bill of 20 charge lines against the shipped catalogue
 *     (it runs on every issue, so it must stay far below the ~0.65 ms of the signature);
 *   - the simulator's daily totals over a day of `bills` bills (fin_bills by issue date) and the
 *     comparison of two such days (what `medbill finance reconcile` does besides its own ledger query).
 *
 *   node dist/bench/finance-exchange.js [--bills 50000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseInfoDir, loadBaseInfo } from '../adapters/finance/simulator/base-info';
import { dailyTotals } from '../adapters/finance/simulator/reconciliation';
import { FinanceBillStore } from '../adapters/finance/simulator/store';
import { PROJECT_ROOT } from '../src/config';
import { compareDay, type DayTotals } from '../src/domain/finance-reconcile';
import { ChargeCatalogue } from '../src/engine/charge-catalogue';
import type { BaseInfoStore } from '../src/store/finance-base-info';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

export async function run(opts: { bills?: number } = {}): Promise<void> {
  const info = loadBaseInfo(baseInfoDir(PROJECT_ROOT));
  const cat = new ChargeCatalogue(undefined as unknown as BaseInfoStore); // use() only: no store is read
  cat.use(info);
  const codes = info.chargeItems.filter((c) => !c.billCodes.length).map((c) => c.code);
  const lines = Array.from({ length: 20 }, (_, i) => codes[i % codes.length]);
  const rounds = 200_000;
  let bad = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (const c of lines) if (cat.problem(c, '0601', '20261202')) bad++;
  const perBill = Number(process.hrtime.bigint() - t0) / 1e3 / rounds;
  if (bad) throw new Error('the shipped catalogue refused its own codes');
  process.stdout.write(`charge-codes check: ${perBill.toFixed(2)} µs per bill of 20 lines\n`);
  process.stdout.write(JSON.stringify({ bench: 'finance-charge-codes', usPerBill: Number(perBill.toFixed(3)) }) + '\n');

  const n = opts.bills ?? Number(arg('bills', '50000'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-finx-'));
  const store = await FinanceBillStore.open(path.join(dir, 'finance.sqlite'));
  try {
    const rows = Array.from({ length: n }, (_, i) => ({
      bill_batch_code: `4406${String(1 + (i % 4)).padStart(2, '0')}26`,
      bill_no: String(i + 1).padStart(10, '0'),
      random: 'a1b2c3',
      fiscal_xml: '<EInvoice/>',
      content_sha256: 'x',
      total_amount: `${(i % 997) + 1}.50`,
      issue_date: '20261202',
      unit_signature: 's',
      supervisor_signature: 's',
      supervisor_cert_serial: '01',
      supervisor_time: '20261202093000',
      received_at: 0,
      kind: i % 50 === 0 ? 'red' : 'blue',
      place_code: `MZSF0${i % 5}`,
      bill_kind: 'outpatient',
    }));
    for (let i = 0; i < rows.length; i += 500) await store.db('fin_bills').insert(rows.slice(i, i + 500));
    const t1 = Date.now();
    const totals = await dailyTotals(store.db, '2026-12-02');
    const totalsMs = Date.now() - t1;
    const ours = totals.rows.map((r, i) => (i === 0 ? { ...r, blueCount: r.blueCount - 1 } : r)) as unknown as DayTotals[];
    const t2 = process.hrtime.bigint();
    const c = compareDay(ours, totals.rows as unknown as DayTotals[]);
    const compareMs = Number(process.hrtime.bigint() - t2) / 1e6;
    process.stdout.write(`daily totals of ${n} bills (${totals.rows.length} groups): ${totalsMs} ms; comparison: ${compareMs.toFixed(2)} ms, ${c.differences.length} difference(s)\n`);
    process.stdout.write(JSON.stringify({ bench: 'finance-daily-totals', bills: n, groups: totals.rows.length, totalsMs, compareMs: Number(compareMs.toFixed(3)) }) + '\n');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module)
  run().catch((e: Error) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
