/**
 * Test harness shared by every suite: a medbill on port 0 with its own temp data dir and database,
 * a signed Bosssoft client, and the list of databases to run store tests against.
 * SQLite always; MariaDB/MySQL too when MEDBILL_TEST_MYSQL_URL is set (CI sets it, see .ci/run):
 * each call gets a fresh database on that server, dropped afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Envelope, md5Sign } from '../../adapters/his/json/envelope';

export type { Envelope };
import { App, AppOptions, createApp } from '../../src/app';
import { deepMerge, loadConfig } from '../../src/config';
import { sharedDefinitions } from './definitions';

process.env.MEDBILL_QUIET = '1';

export const DEMO_APPID = 'MEDBILL-DEMO';
export const DEMO_KEY = 'demo-key-0123456789abcdef';
export { SAMPLE_FILE } from './fixtures';

export { dbKinds, freshDb, type DbKind, type TestDb } from './databases';
import { freshDb, type DbKind } from './databases';

export interface TestApp extends App {
  baseUrl: string;
  dir: string;
  stop(): Promise<void>;
}

/** A medbill with its own temp data dir and database; `stop()` closes it and removes both. */
export async function startTestApp(
  opts: AppOptions & {
    db?: DbKind;
    dir?: string;
    dbUrl?: string;
    config?: Record<string, unknown>;
    /** definitions of its own, for a suite that changes a loaded flow in place (no other app may see that) */
    ownDefinitions?: boolean;
  } = {},
): Promise<TestApp> {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'medbill-test-'));
  const db = opts.dbUrl ? { url: opts.dbUrl, drop: async () => undefined } : await freshDb(opts.db ?? 'sqlite', dir);
  // A suite's config is merged into the harness's, key by key (limits: { billAccess } keeps the HIS limits off).
  const cfg = loadConfig({ ...process.env, MEDBILL_CONFIG: '' }, deepMerge({
    dataDir: dir,
    db: { url: db.url },
    server: { port: 0, host: '127.0.0.1', publicBaseUrl: 'http://127.0.0.1:17001', shutdownGraceMs: 200 },
    log: { level: 'error', dir: '', stdout: false },
    svs: { start: false },
    // Never the default finance port (another process's simulator may be there): the finance schedules
    // (sync, stock poll, reconcile) of a background test app meet a closed port and log it.
    finance: { start: false, url: 'http://127.0.0.1:9' },
    // Suites about other things send bursts of hundreds from one address; test/guard/ tests the limits.
    limits: { maxInFlight: 0, his: { perIp: { rate: 0, burst: 0 }, perAppid: { rate: 0, burst: 0 } } },
  }, opts.config ?? {}));
  // No outbox delivery unless a suite asks for it: otherwise every test app would post finance uploads
  // to whatever listens on the default finance port.
  const app = await createApp(cfg, { outboxHandlers: new Map(), definitions: opts.ownDefinitions ? undefined : sharedDefinitions(cfg), ...opts });
  return Object.assign(app, {
    baseUrl: `http://127.0.0.1:${app.port}`,
    dir,
    async stop() {
      await app.close();
      await db.drop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function envelope(data: unknown, appid = DEMO_APPID, key = DEMO_KEY, noise = `n-${Math.random().toString(36).slice(2)}`): Envelope {
  const b64 = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data), 'utf8').toString('base64');
  return { appid, data: b64, noise, version: '1.0', sign: md5Sign(appid, b64, noise, key) };
}

export interface Reply {
  http: number;
  result: string;
  /** decoded message text */
  text: string;
  /** parsed business JSON when the text is JSON */
  body?: Record<string, unknown>;
  signOk: boolean;
  raw: { data?: string; noise?: string; sign?: string };
}

export function decodeReply(http: number, raw: { data?: string; noise?: string; sign?: string }, appid = DEMO_APPID, key = DEMO_KEY): Reply {
  const inner = JSON.parse(Buffer.from(raw.data ?? '', 'base64').toString('utf8')) as { result: string; message: string };
  const text = Buffer.from(inner.message, 'base64').toString('utf8');
  let body: Record<string, unknown> | undefined;
  try {
    const j = JSON.parse(text);
    if (j && typeof j === 'object') body = j as Record<string, unknown>;
  } catch {
    /* a plain success or error text */
  }
  return { http, result: inner.result, text, body, signOk: raw.sign === md5Sign(appid, raw.data ?? '', raw.noise ?? '', key), raw };
}

/** POSTs a signed envelope to the JSON channel and decodes the signed reply. */
export async function callJson(baseUrl: string, serviceId: string, data: unknown, o: { appid?: string; key?: string; body?: string; headers?: Record<string, string>; query?: string } = {}): Promise<Reply> {
  const appid = o.appid ?? DEMO_APPID;
  const key = o.key ?? DEMO_KEY;
  const res = await fetch(`${baseUrl}/medical-web/api/medical/${serviceId}${o.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
    body: o.body ?? JSON.stringify(envelope(data, appid, key)),
  });
  return decodeReply(res.status, (await res.json()) as Reply['raw'], appid, key);
}
