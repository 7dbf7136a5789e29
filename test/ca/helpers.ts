/**
 * Harness of the CA suites: a real embedded SVS on 127.0.0.1 with its own temp data dir (demo PKI,
 * audit DB), a raw SOAP caller that builds requests by hand (so the server is tested independently of
 * medbill's own client), and applications with narrower rules for the access tests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { loadOrCreateDemoPki } from '../../adapters/ca/key-material';
import { startEmbeddedSvs } from '../../adapters/ca/embedded';
import { hashPassword } from '../../adapters/ca/svs/password';
import type { SvsServer } from '../../adapters/ca/svs/server';
import { Config, DEMO_CA_PASSWORD, loadConfig } from '../../src/config';
import type { DemoPki } from '../../src/crypto';
import { configureLogging } from '../../src/log';

process.env.MEDBILL_QUIET = '1';

export const NS = 'http://medbill.local/svs';
export const DEMO_APP = 'medbill';
export { SAMPLE_FILE, vector } from '../helpers/fixtures';

/** A port that was free a moment ago: the demo certificates must name the SVS port before it listens. */
export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function tempDir(prefix = 'medbill-ca-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

type Plain = Record<string, unknown>;

export function deepAssign(a: Plain, b: Plain): Plain {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur) ? deepAssign(cur as Plain, v as Plain) : v;
  }
  return out;
}

export function svsConfig(dir: string, port: number, over: Plain = {}): Config {
  const base: Plain = {
    dataDir: dir,
    db: { url: `sqlite:${path.join(dir, 'medbill.sqlite')}` },
    log: { level: 'error', dir: '', stdout: false },
    svs: { port, host: '127.0.0.1', start: false, workers: 2 },
    finance: { start: false },
  };
  return loadConfig({ ...process.env, MEDBILL_CONFIG: '' }, deepAssign(base, over));
}

export interface TestSvs {
  cfg: Config;
  dir: string;
  port: number;
  endpoint: string;
  server: SvsServer;
  pki: DemoPki;
  stop(): Promise<void>;
  /** stop the server only (keep dir), for restart tests */
  halt(): Promise<void>;
  restart(): Promise<void>;
}

export async function startTestSvs(over: Plain = {}, o: { dir?: string; port?: number } = {}): Promise<TestSvs> {
  const dir = o.dir ?? tempDir();
  const port = o.port ?? (await freePort());
  const cfg = svsConfig(dir, port, over);
  configureLogging(cfg.log);
  const pki = loadOrCreateDemoPki(dir, port);
  let server = await startEmbeddedSvs(cfg);
  let running = true;
  const t: TestSvs = {
    cfg,
    dir,
    port,
    endpoint: `http://127.0.0.1:${port}/svs`,
    server,
    pki,
    async halt() {
      if (running) await server.close();
      running = false;
    },
    async restart() {
      if (running) return;
      server = await startEmbeddedSvs(cfg);
      t.server = server;
      running = true;
    },
    async stop() {
      await t.halt();
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

let cachedHash: string | undefined;
/** scrypt takes ~60 ms: one hash per test process for the extra applications. */
export function otherAppHash(): string {
  return (cachedHash ??= hashPassword('other-app-password'));
}

/** The demo account plus narrower ones: verifier (no private-key operations), a key-1-only signer, an IP-fenced app. */
export function testApplications(): Plain[] {
  const h = otherAppHash();
  return [
    {
      appName: DEMO_APP,
      passwordHash: 'scrypt$16384$8$1$ltSdPM+HLbHwyCm8hJYZvg==$mnJDD0TnMlDQphJy9pm0dVtKdAcVS3bEeYpfJ4x/6oE=',
      keyIndexes: [1, 2],
      operations: ['*'],
    },
    { appName: 'verifier', passwordHash: h, keyIndexes: [], operations: ['SVS_VerifySignedData', 'SVS_VerifySignedMessage', 'SVS_ValidateCert', 'SVS_Hash', 'SVS_GenRandom'] },
    { appName: 'signer1', passwordHash: h, keyIndexes: [1], operations: ['SVS_SignData', 'SVS_SignMessage', 'SVS_OpenEnvelope', 'SVS_ExportCert'] },
    { appName: 'fenced', passwordHash: h, keyIndexes: [1], operations: ['*'], clientIps: ['10.9.8.7', '192.168.0.0/16'] },
  ];
}

// ---------------------------------------------------------------- raw SOAP

export interface RawReply {
  status: number;
  body: string;
  /** the response element's fields (namespace prefixes removed) */
  fields: Record<string, string>;
  fault?: { message: string; code?: string };
}

const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, trimValues: true });

export function soapEnvelope(op: string, fields: Record<string, string | number | boolean | Buffer | undefined>, version: '1.1' | '1.2' = '1.1'): string {
  const env = version === '1.1' ? 'http://schemas.xmlsoap.org/soap/envelope/' : 'http://www.w3.org/2003/05/soap-envelope';
  let inner = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    inner += `<s:${k}>${Buffer.isBuffer(v) ? v.toString('base64') : String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;')}</s:${k}>`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="${env}" xmlns:s="${NS}"><e:Body><s:${op}>${inner}</s:${op}></e:Body></e:Envelope>`;
}

export async function postRaw(endpoint: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<RawReply> {
  const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', ...headers }, body });
  const text = await res.text();
  let fields: Record<string, string> = {};
  let fault: RawReply['fault'];
  try {
    const b = (parser.parse(text) as Plain).Envelope as Plain;
    const soapBody = b.Body as Plain;
    if (soapBody.Fault) {
      const f = soapBody.Fault as Plain;
      const det = (f.detail ?? f.Detail) as Plain | undefined;
      const reason = f.Reason as Plain | undefined;
      fault = { message: String(f.faultstring ?? reason?.Text ?? ''), code: det ? String((det.SvsFault as Plain | undefined)?.result ?? '') : undefined };
    } else fields = Object.values(soapBody)[0] as Record<string, string>;
  } catch {
    /* not XML: the test looks at status and body */
  }
  return { status: res.status, body: text, fields: fields ?? {}, fault };
}

/** One SVS operation with the demo account unless the fields say otherwise. */
export function callSvs(endpoint: string, op: string, fields: Record<string, string | number | boolean | Buffer | undefined>, version: '1.1' | '1.2' = '1.1'): Promise<RawReply> {
  const all = { appName: DEMO_APP, password: DEMO_CA_PASSWORD, ...fields };
  return postRaw(endpoint, soapEnvelope(op, all, version), version === '1.2' ? { 'content-type': 'application/soap+xml; charset=utf-8' } : {});
}

export const b64 = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64');
