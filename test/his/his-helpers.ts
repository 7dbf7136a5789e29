/**
 * Helpers shared by the HIS JSON suites (test/his/*.test.ts): the sample settlement, raw posts that
 * bypass the signing client (for the quirks real clients have), and direct reads of the tables a test
 * must check (bills, stock, message store).
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { callJson, DEMO_APPID, DEMO_KEY, decodeReply, Reply, SAMPLE_FILE, TestApp } from '../helpers/app';
import type { App } from '../../src/app';
import type { MessageRow } from '../../src/store/messages';

export type Json = Record<string, unknown>;

/** A fresh deep copy of examples/outpatient-v3.2.json with its own busNo. */
export function sample(busNo?: string): Json {
  const s = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Json;
  if (busNo) s.busNo = busNo;
  return s;
}

let seq = 0;
/** A busNo unique within this test process (≤ 50 chars). */
export function uniqueBusNo(tag = 'T'): string {
  return `${tag}${process.pid}${Date.now().toString(36)}${(seq++).toString(36)}`.slice(0, 50);
}

/** Any CJK ideograph: every refusal must explain itself in Chinese to the HIS programmer. */
export const CHINESE = /[\u4e00-\u9fff]/;

/** POSTs a raw body (whatever a client sends) to the JSON channel and decodes the reply. */
export async function postRaw(
  baseUrl: string,
  serviceId: string,
  body: string | Buffer,
  o: { headers?: Record<string, string>; query?: string; appid?: string; key?: string } = {},
): Promise<Reply> {
  const res = await fetch(`${baseUrl}/medical-web/api/medical/${serviceId}${o.query ?? ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
    body,
  });
  const text = await res.text();
  let raw: Reply['raw'];
  try {
    raw = JSON.parse(text) as Reply['raw'];
  } catch {
    assert.fail(`HTTP ${res.status}: reply is not a JSON envelope: ${text.slice(0, 300)}`);
  }
  return decodeReply(res.status, raw, o.appid ?? DEMO_APPID, o.key ?? DEMO_KEY);
}

/** The message store row whose raw text is `raw` (after the writer has flushed). */
export async function storedMessage(app: App, pick: (m: MessageRow) => boolean): Promise<MessageRow> {
  await app.services.writer.drain();
  const rows = await app.services.messages.find({ limit: 100_000 });
  const hit = rows.filter(pick);
  assert.equal(hit.length, 1, `expected exactly one stored message, found ${hit.length}`);
  return hit[0];
}

export interface BillRowLite {
  bill_batch_code: string;
  bill_no: string;
  state: string;
  bus_no: string | null;
  random: string | null;
  void_reason: string | null;
  kind: string;
  create_time: string | null;
}

export async function allBills(app: App): Promise<BillRowLite[]> {
  await app.services.writer.drain();
  return app.services.db('bills').select('bill_batch_code', 'bill_no', 'state', 'bus_no', 'random', 'void_reason', 'kind', 'create_time').orderBy('bill_no');
}

/** next_no of the demo outpatient e-bill range of MZSF01: the number the next issue will take. */
export async function nextOutpatientNo(app: App): Promise<number> {
  await app.services.writer.drain();
  const r = await app.services.db('stock_ranges').where({ place_code: 'MZSF01', medium: 'ebill', bill_kind: 'outpatient' }).first();
  assert.ok(r, 'demo outpatient stock range missing');
  return Number(r.next_no);
}

// ---------------------------------------------------------------- a real `medbill start` process

const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface Medbill {
  proc: ChildProcess;
  baseUrl: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** what the process wrote so far (stderr, then stdout): for failure messages */
  output(): string;
}

/** Starts `medbill start` and resolves once it prints the address it listens on. */
export function startMedbill(env: NodeJS.ProcessEnv): Promise<Medbill> {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin', 'medbill.js'), 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  return new Promise<Medbill>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ proc, baseUrl: m[1], exited, output: () => `${err}\n${out}` });
    });
    void exited.then(({ code, signal }) => reject(new Error(`medbill start exited (${code ?? signal}) before listening:\n${err || out}`)));
  });
}

/** The env of a `medbill start` child on `dir` and `dbUrl`: embedded peers and log files off. */
export function medbillEnv(dir: string, dbUrl: string): NodeJS.ProcessEnv {
  const cfgFile = path.join(dir, 'medbill.yaml');
  // The embedded peers are not under test; log files off so a killed process leaves nothing behind but its data.
  writeFileSync(cfgFile, 'svs: { start: false }\nfinance: { start: false }\nlog: { dir: "" }\n');
  return {
    ...process.env,
    MEDBILL_CONFIG: cfgFile,
    MEDBILL_DATA_DIR: path.join(dir, 'data'),
    MEDBILL_DB_URL: dbUrl,
    MEDBILL_PORT: '0',
    MEDBILL_HOST: '127.0.0.1',
    MEDBILL_LOG_DIR: '',
    MEDBILL_QUIET: '1',
  };
}

/** SIGTERMs a child (if still running) and waits for it to exit. */
export async function stopMedbill(m: Medbill | undefined): Promise<void> {
  if (!m || m.proc.exitCode !== null || m.proc.signalCode !== null) return;
  m.proc.kill('SIGTERM');
  await m.exited;
}

export type { TestApp };

/** Polls getBatchInvoiceEBill until no item is status 0 (the outbox worker issues them meanwhile). */
export async function batchResult(baseUrl: string, batchNo: string, ms = 60_000): Promise<Json[]> {
  const until = Date.now() + ms;
  for (;;) {
    const r = await callJson(baseUrl, 'getBatchInvoiceEBill', { batchNo });
    assert.equal(r.result, 'S0000', r.text);
    const list = r.body!.eBillList as Json[];
    assert.equal(r.body!.count, list.length);
    if (list.every((i) => i.status !== 0)) return list;
    if (Date.now() > until) assert.fail(`batch ${batchNo} still has items not generated: ${JSON.stringify(list.filter((i) => i.status === 0).map((i) => i.busNo))}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}
