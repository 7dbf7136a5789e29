/**
 * Test harness of the finance suites: a real finance simulator and a real medbill, each on 127.0.0.1
 * port 0, sharing one temp data dir (so they share the demo PKI, as `medbill start` does) unless a
 * test wants them strangers. Bills are issued over HTTP with the demo caller, as a HIS would.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { md5Sign } from '../../adapters/his/json/envelope';
import { startFinanceSimulator, FinanceSimulator } from '../../adapters/finance/simulator';
import { App, AppOptions, createApp } from '../../src/app';
import { Config, loadConfig } from '../../src/config';
import { configureLogging } from '../../src/log';
import { SAMPLE_FILE } from '../helpers/fixtures';

process.env.MEDBILL_QUIET = '1';

export const DEMO_APPID = 'MEDBILL-DEMO';
export const DEMO_KEY = 'demo-key-0123456789abcdef';

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'medbill-finance-'));
}

export function sample(busNo: string): Record<string, unknown> {
  return { ...(JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>), busNo };
}

function testConfig(dir: string, over: Record<string, unknown>): Config {
  const base: Record<string, unknown> = {
    dataDir: dir,
    db: { url: `sqlite:${path.join(dir, 'medbill.sqlite')}` },
    server: { port: 0, host: '127.0.0.1', publicBaseUrl: 'http://127.0.0.1:17001' },
    log: { level: 'error', dir: '', stdout: false },
    svs: { start: false },
    // The demo certificates name a CRL on the default SVS port, which a test must not depend on: a suite
    // about revocation turns it on against its own SVS (delivery-faults.test.ts).
    // The check-page captcha too: suites that send wrong codes on purpose would meet it; events.test.ts turns it on.
    finance: { revocation: { mode: 'none' }, billcheck: { captchaAfter: 0 } },
  };
  return loadConfig({ ...process.env, MEDBILL_CONFIG: '' }, deepAssign(base, over));
}

function deepAssign(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' ? deepAssign(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

export function startSimulator(dir: string, port = 0, over: Record<string, unknown> = {}): Promise<FinanceSimulator> {
  const cfg = testConfig(dir, deepAssign({ finance: { host: '127.0.0.1', port } }, over));
  // The logger is built at import, before this file sets MEDBILL_QUIET; medbill reconfigures it in
  // createApp, a simulator started first must do it itself.
  configureLogging(cfg.log);
  return startFinanceSimulator(cfg);
}

/**
 * A medbill whose outbox does not poll by itself: tests call `outbox.tick()` so every attempt is
 * theirs to count. Retry backoff is short and without jitter so delays can be asserted exactly.
 * `config` is merged over that (e.g. a short horizon, or background polling for the outage tests).
 */
export async function startMedbill(
  dir: string,
  financeUrl: string,
  o: { dbFile?: string; opts?: AppOptions; config?: Record<string, unknown> } = {},
): Promise<App & { baseUrl: string }> {
  const cfg = testConfig(
    dir,
    deepAssign(
      {
        db: { url: `sqlite:${path.join(dir, o.dbFile ?? 'medbill.sqlite')}` },
        finance: { start: false, url: financeUrl, uploadTimeoutMs: 5000 },
        outbox: { retry: { initialInterval: '150ms', backoffCoefficient: 2, maximumInterval: '10s', jitter: 0, horizon: '1h' } },
      },
      o.config ?? {},
    ),
  );
  const app = await createApp(cfg, { background: false, ...(o.opts ?? {}) });
  return Object.assign(app, { baseUrl: `http://127.0.0.1:${app.port}` });
}

export interface Issued {
  billBatchCode: string;
  billNo: string;
  random: string;
  busNo: string;
}

/** Issues the sample outpatient bill through the HIS JSON channel; throws unless S0000. */
export async function issueBill(baseUrl: string, busNo: string): Promise<Issued> {
  const data = Buffer.from(JSON.stringify(sample(busNo)), 'utf8').toString('base64');
  const noise = `n-${busNo}`;
  const res = await fetch(`${baseUrl}/medical-web/api/medical/invoiceEBillOutpatient`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appid: DEMO_APPID, data, noise, version: '1.0', sign: md5Sign(DEMO_APPID, data, noise, DEMO_KEY) }),
  });
  const raw = (await res.json()) as { data: string };
  const inner = JSON.parse(Buffer.from(raw.data, 'base64').toString('utf8')) as { result: string; message: string };
  const text = Buffer.from(inner.message, 'base64').toString('utf8');
  if (inner.result !== 'S0000') throw new Error(`issue failed: ${inner.result} ${text}`);
  const body = JSON.parse(text) as Issued;
  return { billBatchCode: body.billBatchCode, billNo: body.billNo, random: body.random, busNo };
}

export interface OutboxJobRow {
  id: number;
  status: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number;
  updated_at: number;
}

export async function financeJob(app: App, busNo: string): Promise<OutboxJobRow> {
  const row = (await app.services.db('outbox').where({ topic: 'finance-upload', bus_no: busNo }).first()) as OutboxJobRow | undefined;
  if (!row) throw new Error(`no finance-upload job for ${busNo}`);
  return { ...row, next_attempt_at: Number(row.next_attempt_at), updated_at: Number(row.updated_at) };
}

/** Waits until the job is due again, then runs one outbox round. */
export async function tickWhenDue(app: App, busNo: string): Promise<number> {
  const job = await financeJob(app, busNo);
  const wait = job.next_attempt_at - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait + 5));
  return app.outbox.tick();
}

export async function billcheck(simUrl: string, q: Record<string, string>, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${simUrl}/billcheck?${new URLSearchParams(q)}`, { headers: { accept: 'application/json' }, ...init });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function postUpload(simUrl: string, body: unknown, raw?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${simUrl}/api/bills`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`non-JSON answer (HTTP ${res.status}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: parsed };
}

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Polls `cond` every 20 ms until it returns true; throws its last message after `timeoutMs`. */
export async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One sample of a Prometheus text exposition, e.g. metric(text, 'medbill_outbox_dead', { topic: 'finance-upload' }). */
export function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${want}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

export async function readyz(baseUrl: string): Promise<{ http: number; body: { status: string; checks: Record<string, string>; peers: Record<string, Record<string, unknown>> } }> {
  const r = await fetch(`${baseUrl}/readyz`);
  return { http: r.status, body: (await r.json()) as { status: string; checks: Record<string, string>; peers: Record<string, Record<string, unknown>> } };
}

export type FinanceTestApp = App & { baseUrl: string };

/**
 * What a suite starts, closed and removed by `cleanup()` (call it in `after`): temp dirs, simulators
 * and medbills, in reverse order of starting.
 */
export function suiteResources() {
  const dirs: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  return {
    dir(): string {
      const d = tempDir();
      dirs.push(d);
      return d;
    },
    async sim(d: string, port = 0): Promise<FinanceSimulator> {
      const s = await startSimulator(d, port);
      closers.push(() => s.close());
      return s;
    },
    async medbill(d: string, url: string, o: Parameters<typeof startMedbill>[2] = {}): Promise<FinanceTestApp> {
      const a = await startMedbill(d, url, o);
      closers.push(() => a.close());
      return a;
    },
    /** something else the suite started */
    onCleanup(close: () => Promise<void>): void {
      closers.push(close);
    },
    async cleanup(): Promise<void> {
      for (const c of closers.reverse()) await c().catch(() => undefined);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
