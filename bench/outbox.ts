/**
 * What the backlog gauges and /readyz cost (src/engine/outbox-monitor.ts, src/engine/peers.ts): one
 * count of the outbox table as it looks after months of service (many done rows) during an outage
 * (a backlog, some dead letters). Prints a human line and one JSON line per figure, e.g.
 * {"bench":"outbox","op":"backlog","done":500000,"pending":2000,"dead":50,"p50ms":0.4,"p99ms":0.9}.
 *
 *   node dist/bench/outbox.js [--done 500000] [--runs 200]
 *   MEDBILL_BENCH_DB_URL=mysql://user:pw@127.0.0.1:3306/medbill_bench (an empty database) measures MariaDB
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, openDb } from '../src/store/db';
import { OutboxStore } from '../src/store/outbox';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

export async function run(opts: { done?: number; runs?: number } = {}): Promise<void> {
  const done = opts.done ?? arg('done', 500_000);
  const runs = opts.runs ?? arg('runs', 200);
  const pending = 2000;
  const dead = 50;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-outbox-'));
  const url = process.env.MEDBILL_BENCH_DB_URL ?? `sqlite:${path.join(dir, 'bench.sqlite')}`;
  const db = openDb(url);
  try {
    await migrate(db);
    await db('outbox').del();
    const now = Date.now();
    const row = (i: number, status: string, topic = 'finance-upload') => ({
      topic,
      job_key: `k${i}`,
      payload: '{"billId":1,"billBatchCode":"44060126","billNo":"0000000001"}',
      status,
      attempts: status === 'done' ? 1 : 5,
      max_attempts: 0,
      next_attempt_at: now,
      last_error: status === 'done' ? null : 'finance unreachable: ECONNREFUSED',
      created_at: now - (done + pending - i) * 10,
      updated_at: now,
      horizon_start: now,
    });
    let i = 0;
    const rows: ReturnType<typeof row>[] = [];
    for (; i < done; i++) rows.push(row(i, 'done'));
    for (let k = 0; k < pending; k++, i++) rows.push(row(i, 'pending'));
    for (let k = 0; k < dead; k++, i++) rows.push(row(i, 'dead'));
    await db.transaction(async (tx) => {
      for (let k = 0; k < rows.length; k += 500) await tx('outbox').insert(rows.slice(k, k + 500));
    });

    const store = new OutboxStore(db);
    const time = async (fn: () => Promise<unknown>): Promise<number[]> => {
      for (let k = 0; k < 10; k++) await fn();
      const ms: number[] = [];
      for (let k = 0; k < runs; k++) {
        const t0 = process.hrtime.bigint();
        await fn();
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return ms.sort((a, b) => a - b);
    };
    const dialect = url.startsWith('sqlite:') ? 'sqlite' : 'mysql';
    for (const [op, fn] of [
      ['backlog', () => store.backlog()],
      ['latestFailure', () => store.latestFailure('finance-upload')],
    ] as const) {
      const ms = await time(fn);
      const f = { bench: 'outbox', op, db: dialect, done, pending, dead, p50ms: +pct(ms, 50).toFixed(2), p99ms: +pct(ms, 99).toFixed(2) };
      console.log(`${op.padEnd(14)} ${dialect}: p50 ${f.p50ms} ms, p99 ${f.p99ms} ms over ${done.toLocaleString('en-US')} done, ${pending} pending, ${dead} dead rows`);
      console.log(JSON.stringify(f));
    }
  } finally {
    if (process.env.MEDBILL_BENCH_DB_URL) await db('outbox').del();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run().catch((e: Error) => {
    process.stderr.write(`bench failed: ${e.stack}\n`);
    process.exit(1);
  });
}
