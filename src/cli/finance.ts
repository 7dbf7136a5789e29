/**
 * `medbill finance`: the embedded finance e-bill simulator alone (so tests and demos can stop and restart
 * it), and the finance exchange from the administrator's side:
 *   finance sync                         download base information now (the finance-sync schedule's work)
 *   finance reconcile --date D --format  compare the ledger of day D with finance's totals
 *   finance applications | approve <id> | reject <id> --reason   the simulator's staff, at a terminal
 * Exit codes: 0 done (reconcile: no differences), 1 refused or differences found, 2 finance unreachable.
 */
import type { Command } from 'commander';
import { createFinance } from '../../adapters/finance/bindings';
import { startFinanceSimulator } from '../../adapters/finance/simulator';
import { simulatorAdmin } from '../../adapters/finance/simulator-admin';
import { openStore } from '../store/open-store';
import { loadConfig } from '../config';
import { comparisonCsv } from '../domain/finance-reconcile';
import { dayBounds } from '../domain/reconcile';
import { reconcileDay } from '../engine/finance-reconcile';
import { syncBaseInfo } from '../engine/finance-sync';
import type { FinanceRefused, FinanceTransient } from '../engine/finance';
import { configureLogging, log } from '../log';
import { BaseInfoStore } from '../store/finance-base-info';
import { FinanceReconcileStore } from '../store/finance-reconcile';
import { ReportStore } from '../store/reports';

const out = (line: string) => process.stdout.write(line + '\n');

/** A refusal or an outage, said once on stderr; the exit code tells a script which. */
export function financeFailed(what: string, r: FinanceRefused | FinanceTransient): void {
  if (r.kind === 'refused') {
    process.stderr.write(`medbill ${what}: 财政拒绝（${r.code}）：${r.message}${r.detail ? `（${r.detail}）` : ''}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`medbill ${what}: 财政系统暂不可用：${r.reason}\n`);
    process.exitCode = 2;
  }
}

export function registerFinance(program: Command): void {
  const finance = program
    .command('finance')
    .description('run the embedded finance e-bill system simulator alone (port 17003); subcommands: the finance exchange (sync, reconcile, stock approval)')
    .action(async () => {
      const cfg = loadConfig(process.env, {}, 'finance');
      configureLogging(cfg.log);
      const sim = await startFinanceSimulator(cfg);
      process.stdout.write(
        `medbill finance simulator listening on ${sim.url}\n` +
          `  upload:     POST ${sim.url}/api/bills\n` +
          `  check page: ${sim.url}/billcheck\n` +
          `  approvals:  ${sim.url}/admin/stock/applications\n` +
          `  database:   ${cfg.dataDir}/finance.sqlite\n`,
      );
      const stop = async (sig: string) => {
        log().info('finance simulator stopping', { signal: sig });
        await sim.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });

  finance
    .command('sync')
    .description("download finance's base information (bill kinds, charge-item catalogue, code tables) into medbill's database")
    .action(async () => {
      const cfg = loadConfig();
      const store = await openStore(cfg);
      try {
        const r = await syncBaseInfo(createFinance(cfg), new BaseInfoStore(store.db));
        if (r.kind !== 'ok') return financeFailed('finance sync', r);
        out(`base information version ${r.version}${r.stored ? ' stored' : ' already held'}: ${r.chargeItems} charge item(s), ${r.billKinds} bill kind(s)`);
      } finally {
        await store.close();
      }
    });

  finance
    .command('reconcile')
    .description("compare the ledger of one day with finance's daily totals per place and bill code; the report is stored and printed")
    .requiredOption('--date <YYYY-MM-DD>', 'the day (Beijing), e.g. 2026-12-01')
    .option('--format <json|csv>', 'json (names its differences) or csv (one line per group and measure)', 'json')
    .action(async (o: { date: string; format: string }) => {
      if (!dayBounds(o.date)) {
        process.stderr.write(`medbill finance reconcile: --date ${o.date} 不是有效日期（应为 YYYY-MM-DD）\n`);
        process.exitCode = 1;
        return;
      }
      if (o.format !== 'json' && o.format !== 'csv') {
        process.stderr.write(`medbill finance reconcile: --format ${o.format} 应为 json 或 csv\n`);
        process.exitCode = 1;
        return;
      }
      const cfg = loadConfig();
      const store = await openStore(cfg);
      try {
        const r = await reconcileDay(createFinance(cfg), new FinanceReconcileStore(store.db, store.sql), new ReportStore(store.writer, store.sql), o.date, 'cli');
        if (r.kind !== 'ok') return financeFailed('finance reconcile', r);
        process.stdout.write(o.format === 'csv' ? comparisonCsv(o.date, r.report) : JSON.stringify({ ...r.report, reportId: r.reportId }, null, 2) + '\n');
        if (!r.report.equal) {
          process.stderr.write(`medbill finance reconcile: ${o.date} 与财政对账不一致：${r.report.differences.length} 处差异（报告 ${r.reportId}）\n`);
          process.exitCode = 1;
        }
      } finally {
        await store.close();
      }
    });

  const admin = () => simulatorAdmin(loadConfig().finance.url);
  const adminFailed = (what: string, r: { status: number; message: string }) => {
    process.stderr.write(`medbill finance ${what}: ${r.message}\n`);
    process.exitCode = r.status === 0 ? 2 : 1;
  };
  finance
    .command('applications')
    .description("the simulator's stock applications (申领), newest first, as finance's staff see them")
    .option('--json', 'one JSON object per line')
    .action(async (o: { json?: boolean }) => {
      const r = await admin().list();
      if (!r.ok) return adminFailed('applications', r);
      for (const a of r.value) {
        if (o.json) out(JSON.stringify(a));
        else out(`${a.applicationId}  ${a.state.padEnd(8)}  ${a.billCode} ${a.medium.padEnd(5)} ${String(a.quantity).padStart(7)}  ${a.applicant}${a.allocation ? `  ${a.allocation.billBatchCode} ${a.allocation.startNo}-${a.allocation.endNo}` : ''}${a.rejectReason ? `  驳回：${a.rejectReason}` : ''}`);
      }
      if (!o.json) out(`${r.value.length} application(s)`);
    });
  finance
    .command('approve <applicationId>')
    .description('approve a pending stock application on the simulator: it allocates the range')
    .action(async (id: string) => {
      const r = await admin().approve(id);
      if (!r.ok) return adminFailed('approve', r);
      const a = r.value.allocation;
      out(`approved ${id}${a ? `: ${a.billBatchCode} ${a.startNo}-${a.endNo} (${a.count})` : ''}`);
    });
  finance
    .command('reject <applicationId>')
    .description('reject a pending stock application on the simulator, with a reason')
    .requiredOption('--reason <text>', 'why (the unit sees it)')
    .action(async (id: string, o: { reason: string }) => {
      const r = await admin().reject(id, o.reason);
      if (!r.ok) return adminFailed('reject', r);
      out(`rejected ${id}: ${r.value.rejectReason ?? o.reason}`);
    });
}
