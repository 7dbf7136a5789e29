/**
 * Outpatient issuance through the JSON channel, as a HIS sees it: medbill runs as its own process on
 * the embedded defaults (fresh data dir), and 100 keep-alive clients post signed invoiceEBillOutpatient
 * envelopes with distinct busNos for a fixed time. Prints bills/s, latency percentiles, the server's peak
 * RSS, how many bills one commit (one fsync) carried and, in the same run, this machine's raw
 * single-core SM2 sign rate; each also as one JSON line.
 *
 * `durability` runs the same load with SQLite power-safe (db.sqliteSynchronous full: S0000 only after
 * the WAL is fsynced — by the group commit, the default, or by PRAGMA synchronous=FULL) and with the old
 * setting (normal: fsync at checkpoints only) in interleaved turns, and prints them side by side.
 *
 *   node dist/bench/issuance.js [--seconds 20] [--clients 100] [--signer in-process|svs] [--finance] [--mysql]
 *   node dist/bench/issuance.js --durability [--turns 3] [--seconds 10]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { generateSm2KeyPair, sm2Sign } from '../src/crypto';
import { post, signedBody } from './his-client';
import { freshDb } from '../test/helpers/databases';
import { freePort, MedbillProcess, spawnMedbill, waitHealthy } from './server';
import { outpatientSettlement } from './settlement';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

export function rawSignRate(seconds = 2): number {
  const kp = generateSm2KeyPair();
  const msg = Buffer.alloc(2048, 7);
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    sm2Sign(msg, kp.privateKey, kp.publicKey);
    n++;
  }
  return Math.round(n / seconds);
}

/** CPU seconds (user + system, all threads) the process has used so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const round1 = (n: number) => Math.round(n * 10) / 10;

/** The group commit's transaction and unit counts from /metrics. */
async function commitCounts(port: number): Promise<{ transactions: number; units: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { transactions: read('medbill_group_commit_transactions_total'), units: read('medbill_group_commit_units_total') };
}

interface LoadOptions {
  seconds: number;
  clients: number;
  signer: string;
  finance: boolean;
  /** db: settings written into the server's config (SQLite durability arms) */
  db?: { sqliteSynchronous: string; sqliteWalSync: string };
  /** a database URL instead of a fresh SQLite file (--mysql) */
  dbUrl?: string;
}

interface Measured {
  ok: number;
  failed: number;
  elapsed: number;
  /** sorted */
  latencies: number[];
  peakRssMb: number;
  serverCpuMsPerBill: number;
  commits: number;
}

/** One server process, warmed up, then `seconds` of load from `clients` keep-alive clients. */
async function measure(o: LoadOptions): Promise<Measured> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-'));
  const port = await freePort();
  const configFile = path.join(dir, 'bench.yaml');
  // Intake is measured: the finance simulator (a stand-in for the provincial system, not ours to load)
  // stays off and the finance-upload jobs wait in the outbox, delivered after the run. --finance starts
  // the simulator in this process and lets the outbox deliver during the run, as `npm start` does.
  writeFileSync(
    configFile,
    // One load generator is one client address sending for a hundred clients: the per-address and
    // per-appid limits (limits.his) would measure themselves, not issuance.
    `log: { dir: "", stdout: false }\nfinance: { start: ${o.finance} }\nsvs: { start: ${o.signer === 'svs'} }\n` +
      'limits: { his: { perIp: { rate: 0, burst: 0 }, perAppid: { rate: 0, burst: 0 } } }\n' +
      (o.finance ? '' : 'outbox: { pollMs: 3600000 }\n') +
      (o.signer ? `signer: { mode: ${o.signer} }\n` : '') +
      (o.db ? `db: { sqliteSynchronous: ${o.db.sqliteSynchronous}, sqliteWalSync: ${o.db.sqliteWalSync} }\n` : ''),
  );
  let server: MedbillProcess | undefined;
  try {
    server = spawnMedbill({ port, configFile, dataDir: dir, dbUrl: o.dbUrl ?? `sqlite:${dir}/medbill.sqlite`, nodeArgs: ['--max-semi-space-size=64'] });
    await waitHealthy(`http://127.0.0.1:${port}/readyz`, 30_000);
    const pid = server.child.pid!;

    const runId = Date.now().toString(36);
    let seq = 0;
    const body = (): string => {
      const i = seq++;
      return signedBody(outpatientSettlement(`B${runId}-${i}`, i));
    };
    // Bodies are made ahead of time so the load generator's CPU stays off the measurement.
    const ahead: string[] = [];
    const refill = () => {
      while (ahead.length < 5000) ahead.push(body());
    };
    refill();
    const agent = new http.Agent({ keepAlive: true, maxSockets: o.clients });
    const issue = async () => {
      const a = await post(agent, port, 'invoiceEBillOutpatient', ahead.pop() ?? body());
      return { ok: a.kind === 'answer' && a.result === 'S0000', ms: a.ms };
    };

    // Warm-up: JIT, worker pools, SQLite pages.
    await Promise.all(Array.from({ length: o.clients }, async () => {
      for (let i = 0; i < 5; i++) await issue();
    }));
    refill();

    const latencies: number[] = [];
    let ok = 0;
    let failed = 0;
    const cpu0 = cpuSeconds(pid);
    const commits0 = await commitCounts(port);
    const started = performance.now();
    const stopAt = started + o.seconds * 1000;
    const refiller = setInterval(refill, 50);
    await Promise.all(
      Array.from({ length: o.clients }, async () => {
        while (performance.now() < stopAt) {
          const r = await issue();
          latencies.push(r.ms);
          if (r.ok) ok++;
          else failed++;
        }
      }),
    );
    clearInterval(refiller);
    const elapsed = (performance.now() - started) / 1000;
    const commits1 = await commitCounts(port);
    latencies.sort((a, b) => a - b);
    const measured = {
      ok,
      failed,
      elapsed,
      latencies,
      peakRssMb: peakRssMb(pid),
      serverCpuMsPerBill: Math.round(((cpuSeconds(pid) - cpu0) * 1000 * 100) / Math.max(1, ok)) / 100,
      commits: commits1.transactions - commits0.transactions,
    };
    agent.destroy();
    server.child.kill('SIGTERM');
    await server.exited;
    server = undefined;
    return measured;
  } finally {
    server?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(opts: { seconds?: number; clients?: number; signer?: string } = {}): Promise<Record<string, number | string>> {
  const seconds = opts.seconds ?? Number(arg('seconds', '20'));
  const clients = opts.clients ?? Number(arg('clients', '100'));
  const signer = opts.signer ?? arg('signer', '');
  const finance = process.argv.includes('--finance');
  // --mysql: the same load on a fresh database on the MariaDB/MySQL server of MEDBILL_TEST_MYSQL_URL.
  const mysql = process.argv.includes('--mysql') ? await freshDb('mysql', os.tmpdir(), process.env.MEDBILL_TEST_MYSQL_URL) : undefined;
  let m: Measured;
  try {
    m = await measure({ seconds, clients, signer, finance, dbUrl: mysql?.url });
  } finally {
    await mysql?.drop();
  }
  const signRate = rawSignRate(2);
  const billsPerSec = Math.round(m.ok / m.elapsed);
  const result = {
    bench: 'issuance',
    channel: 'json',
    signer: signer || 'default',
    financeDelivery: finance ? 'during the run' : 'deferred (jobs wait in the outbox)',
    database: mysql ? 'mysql' : 'sqlite (full, WAL fsync by the group commit)',
    seconds: round1(m.elapsed),
    clients,
    bills: m.ok,
    failed: m.failed,
    billsPerSec,
    p50ms: round1(percentile(m.latencies, 50)),
    p99ms: round1(percentile(m.latencies, 99)),
    peakRssMb: m.peakRssMb,
    serverCpuMsPerBill: m.serverCpuMsPerBill,
    billsPerCommit: round1(m.ok / Math.max(1, m.commits)),
    rawSm2SignPerSec: signRate,
    shareOfRawSignRate: Math.round((billsPerSec / signRate) * 100) / 100,
  };
  process.stdout.write(
    `issuance (JSON channel, ${clients} keep-alive clients, ${result.seconds}s, signer ${result.signer}, ${result.database}): ${billsPerSec} bills/s, ` +
      `p50 ${result.p50ms} ms, p99 ${result.p99ms} ms, peak RSS ${m.peakRssMb} MB, server CPU ${m.serverCpuMsPerBill} ms/bill, ` +
      `${result.billsPerCommit} bills per commit, ${m.failed} failed\n` +
      `raw SM2 sign (one core, 2 KB): ${signRate}/s — issuance is ${Math.round(result.shareOfRawSignRate * 100)}% of it\n` +
      JSON.stringify(result) +
      '\n',
  );
  return result;
}

/** The SQLite settings the durability comparison runs, in the order of its table. */
const DURABILITY_ARMS = [
  { key: 'fullWriter', label: 'full, WAL fsync by writer', db: { sqliteSynchronous: 'full', sqliteWalSync: 'writer' } },
  { key: 'fullCommit', label: 'full, PRAGMA FULL (COMMIT)', db: { sqliteSynchronous: 'full', sqliteWalSync: 'commit' } },
  { key: 'normal', label: 'normal (old, ckpt fsync)', db: { sqliteSynchronous: 'normal', sqliteWalSync: 'writer' } },
] as const;

/**
 * Power-safe SQLite beside the old setting, same load, interleaved turns (the order rotates each turn)
 * so drift on a shared machine falls on every arm: db.sqliteSynchronous full with the WAL fsynced by
 * the group commit off the event loop (the default), full with PRAGMA synchronous=FULL (SQLite fsyncs
 * inside COMMIT), and normal (no fsync until a checkpoint: not power-safe). Latencies of all turns are pooled.
 */
export async function durability(opts: { turns?: number; seconds?: number; clients?: number; signer?: string } = {}): Promise<Record<string, unknown>> {
  const turns = opts.turns ?? Number(arg('turns', '3'));
  const seconds = opts.seconds ?? Number(arg('seconds', '10'));
  const clients = opts.clients ?? Number(arg('clients', '100'));
  const signer = opts.signer ?? arg('signer', 'in-process');
  const runs = new Map<string, Measured[]>(DURABILITY_ARMS.map((a) => [a.key, []]));
  for (let t = 0; t < turns; t++) {
    const order = DURABILITY_ARMS.map((_, i) => DURABILITY_ARMS[(i + t) % DURABILITY_ARMS.length]);
    for (const arm of order) {
      const m = await measure({ seconds, clients, signer, finance: false, db: arm.db });
      runs.get(arm.key)!.push(m);
      process.stdout.write(`  turn ${t + 1}/${turns} ${arm.label.padEnd(28)} ${Math.round(m.ok / m.elapsed)} bills/s, p99 ${round1(percentile(m.latencies, 99))} ms\n`);
    }
  }
  const summary = (ms: Measured[]) => {
    const ok = ms.reduce((a, m) => a + m.ok, 0);
    const elapsed = ms.reduce((a, m) => a + m.elapsed, 0);
    const lat = ms.flatMap((m) => m.latencies).sort((a, b) => a - b);
    return {
      bills: ok,
      failed: ms.reduce((a, m) => a + m.failed, 0),
      billsPerSec: Math.round(ok / elapsed),
      p50ms: round1(percentile(lat, 50)),
      p99ms: round1(percentile(lat, 99)),
      billsPerCommit: round1(ok / Math.max(1, ms.reduce((a, m) => a + m.commits, 0))),
      serverCpuMsPerBill: round1(ms.reduce((a, m) => a + m.serverCpuMsPerBill * m.ok, 0) / Math.max(1, ok)),
    };
  };
  const sums = Object.fromEntries(DURABILITY_ARMS.map((a) => [a.key, summary(runs.get(a.key)!)])) as Record<(typeof DURABILITY_ARMS)[number]['key'], ReturnType<typeof summary>>;
  const share = (k: keyof typeof sums) => Math.round((sums[k].billsPerSec / Math.max(1, sums.normal.billsPerSec)) * 100) / 100;
  const row = (name: string, v: ReturnType<typeof summary>) =>
    `  ${name.padEnd(28)} ${String(v.billsPerSec).padStart(8)} ${String(v.p50ms).padStart(8)} ${String(v.p99ms).padStart(8)} ${String(v.billsPerCommit).padStart(12)} ${String(v.failed).padStart(7)}\n`;
  const result = { bench: 'issuance-durability', signer, clients, turns, secondsPerTurn: seconds, ...sums, fullWriterVsNormal: share('fullWriter'), fullCommitVsNormal: share('fullCommit') };
  process.stdout.write(
    `issuance, SQLite power-safe (full) vs the old setting (normal) (JSON channel, ${clients} clients, signer ${signer}, ${turns} interleaved turns of ${seconds}s each)\n` +
      `  ${'setting'.padEnd(28)} ${'bills/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'bills/commit'.padStart(12)} ${'failed'.padStart(7)}\n` +
      DURABILITY_ARMS.map((a) => row(a.label, sums[a.key])).join('') +
      `  full runs at ${Math.round(result.fullWriterVsNormal * 100)}% of normal's throughput with the writer's fsync (the default), ` +
      `${Math.round(result.fullCommitVsNormal * 100)}% with PRAGMA synchronous=FULL\n` +
      JSON.stringify(result) +
      '\n',
  );
  return result;
}

if (require.main === module) void (process.argv.includes('--durability') ? durability() : run());
