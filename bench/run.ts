/**
 * `npm run bench`: every benchmark in turn. Each prints human lines and one JSON line per figure.
 * Benchmarks are measured here, never timed in tests. Pass --quick for shorter runs while developing,
 * and --only <words> to run just the sections whose title contains them (case-insensitive), e.g.
 * `node dist/bench/run.js --only batch` or `--only checkTotalData`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt > 0 ? (process.argv[onlyAt + 1] ?? '').toLowerCase() : '';

type BenchFn = (opts?: Record<string, unknown>) => Promise<unknown>;

/** Runs the module's `entry` export (run unless named otherwise). */
async function section(name: string, file: string, opts: Record<string, unknown> = {}, entry = 'run'): Promise<void> {
  const p = path.join(__dirname, file);
  if (!existsSync(p) || (only && !name.toLowerCase().includes(only))) return;
  process.stdout.write(`\n== ${name}\n`);
  const fn = (require(p) as Record<string, BenchFn | undefined>)[entry];
  if (typeof fn === 'function') await fn(opts);
}

async function main(): Promise<void> {
  await section('CLI start-up: one medbill process before it does its work', 'cli-startup.js', { runs: quick ? 1 : 3 });
  await section('crypto core (in-process)', 'crypto.js');
  await section('CA: in-process and through the SOAP signature server', 'ca.js');
  await section('finance supervisory signature check: worker pool vs event loop', 'finance-verify.js', { n: quick ? 100 : 400 });
  await section('HIS SOAP channel', 'soap-channel.js');
  await section('HL7 v2 channel: decode and ACK per message', 'hl7.js', { n: quick ? 1000 : 5000 });
  await section('bounded work per request: event-loop blocks of the largest legal and of hostile requests', 'validation.js', { n: quick ? 3 : 7 });
  await section('hot reload of the definitions (event-loop pause per reload)', 'reload.js', { n: quick ? 3 : 7 });
  await section('outbox backlog count (gauges, /readyz)', 'outbox.js', { done: quick ? 50_000 : 500_000 });
  // The embedded default signs through the SVS (signer.mode auto with the SVS started); in-process
  // signing is the other option, measured too.
  await section('issuance through the JSON channel, embedded defaults (SVS signer)', 'issuance.js', { seconds: quick ? 5 : 20, clients: 100, signer: 'svs' });
  await section('issuance through the JSON channel, in-process signer', 'issuance.js', { seconds: quick ? 5 : 20, clients: 100, signer: 'in-process' });
  // What power-loss durability costs: the same load with the WAL fsynced before every answer (by the
  // group commit, the default; by SQLite in COMMIT) and without.
  await section('issuance, SQLite power-safe (full) vs the old normal, in-process signer', 'issuance.js', { turns: quick ? 1 : 3, seconds: quick ? 5 : 10, clients: 100, signer: 'in-process' }, 'durability');
  await section('batch issuance (20 × 200) beside single bills, same run', 'reconcile.js', { seconds: quick ? 5 : 10, clients: 100, batches: 20, size: 200 }, 'batch');
  await section('finance exchange: charge-codes check per bill, daily totals and their comparison', 'finance-exchange.js', { bills: quick ? 10_000 : 50_000 });
  await section('getEBillByBusNo and checkTotalData while issuance runs at full speed', 'reconcile.js', { seconds: quick ? 5 : 15, clients: 100 }, 'underLoad');
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack}\n`);
  process.exit(1);
});
