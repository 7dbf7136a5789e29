/**
 * Outpatient issuance through the JSON channel, as a HIS sees it: medbill runs as its own process on
 * the embedded defaults (fresh data dir), and 100 keep-alive clients post signed invoiceEBillOutpatient
 * envelopes with distinct busNos for a fixed time. Prints bills/s, latency percentiles, the server's peak
 * RSS and, in the same run, this machine's raw single-core SM2 sign rate; each also as one JSON line.
 *
 *   node dist/bench/issuance.js [--seconds 20] [--clients 100] [--signer in-process|svs]
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { md5Sign } from '../adapters/his/json/envelope';
import { generateSm2KeyPair, sm2Sign } from '../src/crypto';

const ROOT = path.resolve(__dirname, '..', '..');
const SAMPLE = path.join(ROOT, 'examples', 'outpatient-v3.2.json');
const APPID = 'MEDBILL-DEMO';
const KEY = 'demo-key-0123456789abcdef';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitHealthy(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not become healthy at ${url}`);
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

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function run(opts: { seconds?: number; clients?: number; signer?: string } = {}): Promise<Record<string, number | string>> {
  const seconds = opts.seconds ?? Number(arg('seconds', '20'));
  const clients = opts.clients ?? Number(arg('clients', '100'));
  const signer = opts.signer ?? arg('signer', '');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-'));
  const port = await freePort();
  const cfgFile = path.join(dir, 'bench.yaml');
  // Intake is measured: the finance simulator (a stand-in for the provincial system, not ours to load)
  // stays off and the finance-upload jobs wait in the outbox, delivered after the run. --finance starts
  // the simulator in this process and lets the outbox deliver during the run, as `npm start` does.
  const finance = process.argv.includes('--finance');
  writeFileSync(
    cfgFile,
    `log: { dir: "", stdout: false }\nfinance: { start: ${finance} }\nsvs: { start: ${signer === 'svs'} }\n` +
      (finance ? '' : 'outbox: { pollMs: 3600000 }\n') +
      (signer ? `signer: { mode: ${signer} }\n` : ''),
  );
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, ['--max-semi-space-size=64', path.join(ROOT, 'bin', 'medbill.js'), 'start'], {
      env: { ...process.env, MEDBILL_CONFIG: cfgFile, MEDBILL_DATA_DIR: dir, MEDBILL_PORT: String(port), MEDBILL_DB_URL: `sqlite:${dir}/medbill.sqlite`, MEDBILL_QUIET: '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    await waitHealthy(`${base}/readyz`, 30_000);

    const sample = JSON.parse(readFileSync(SAMPLE, 'utf8')) as Record<string, unknown>;
    const runId = Date.now().toString(36);
    let seq = 0;
    const body = (): string => {
      const data = Buffer.from(JSON.stringify({ ...sample, busNo: `B${runId}-${seq++}` }), 'utf8').toString('base64');
      const noise = `${runId}-${seq}`;
      return JSON.stringify({ appid: APPID, data, noise, version: '1.0', sign: md5Sign(APPID, data, noise, KEY) });
    };
    // Bodies are made ahead of time so the load generator's CPU stays off the measurement.
    const ahead: string[] = [];
    const refill = () => {
      while (ahead.length < 5000) ahead.push(body());
    };
    refill();
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    const post = (payload: string): Promise<{ ok: boolean; ms: number }> =>
      new Promise((resolve) => {
        const t0 = performance.now();
        const req = http.request(
          { host: '127.0.0.1', port, path: '/medical-web/api/medical/invoiceEBillOutpatient', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const ms = performance.now() - t0;
              try {
                const env = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: string };
                const inner = JSON.parse(Buffer.from(env.data, 'base64').toString('utf8')) as { result: string };
                resolve({ ok: inner.result === 'S0000', ms });
              } catch {
                resolve({ ok: false, ms });
              }
            });
          },
        );
        req.on('error', () => resolve({ ok: false, ms: performance.now() - t0 }));
        req.end(payload);
      });

    // Warm-up: JIT, worker pools, SQLite pages.
    await Promise.all(Array.from({ length: clients }, async () => {
      for (let i = 0; i < 5; i++) await post(ahead.pop() ?? body());
    }));
    refill();

    const latencies: number[] = [];
    let ok = 0;
    let failed = 0;
    const cpu0 = cpuSeconds(child.pid!);
    const started = performance.now();
    const stopAt = started + seconds * 1000;
    const refiller = setInterval(refill, 50);
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < stopAt) {
          const r = await post(ahead.pop() ?? body());
          latencies.push(r.ms);
          if (r.ok) ok++;
          else failed++;
        }
      }),
    );
    clearInterval(refiller);
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const rss = peakRssMb(child.pid!);
    const serverCpuMsPerBill = Math.round(((cpuSeconds(child.pid!) - cpu0) * 1000 * 100) / Math.max(1, ok)) / 100;
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;

    const signRate = rawSignRate(2);
    const billsPerSec = Math.round(ok / elapsed);
    const result = {
      bench: 'issuance',
      channel: 'json',
      signer: signer || 'default',
      financeDelivery: finance ? 'during the run' : 'deferred (jobs wait in the outbox)',
      seconds: Math.round(elapsed * 10) / 10,
      clients,
      bills: ok,
      failed,
      billsPerSec,
      p50ms: Math.round(percentile(latencies, 50) * 10) / 10,
      p99ms: Math.round(percentile(latencies, 99) * 10) / 10,
      peakRssMb: rss,
      serverCpuMsPerBill,
      rawSm2SignPerSec: signRate,
      shareOfRawSignRate: Math.round((billsPerSec / signRate) * 100) / 100,
    };
    process.stdout.write(
      `issuance (JSON channel, ${clients} keep-alive clients, ${result.seconds}s, signer ${result.signer}): ${billsPerSec} bills/s, ` +
        `p50 ${result.p50ms} ms, p99 ${result.p99ms} ms, peak RSS ${rss} MB, server CPU ${serverCpuMsPerBill} ms/bill, ${failed} failed\n` +
        `raw SM2 sign (one core, 2 KB): ${signRate}/s — issuance is ${Math.round(result.shareOfRawSignRate * 100)}% of it\n` +
        JSON.stringify(result) +
        '\n',
    );
    return result;
  } finally {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void run();
