/**
 * Bounded work per request (issue 7 §5): how long one request holds the event loop, for the largest
 * legal outpatient request and for hostile ones, through the real JSON and SOAP channels of an
 * in-process medbill (SQLite, in-process signer). Bodies are built before the clock starts, so the
 * figures are the server's. The longest block is perf_hooks.monitorEventLoopDelay's max over the
 * request (1 ms resolution; GC pauses count, as they block too). Then the pieces in isolation:
 * envelope JSON.parse, Base64+JSON.parse of data, catalogue validation.
 *
 *   node dist/bench/validation.js [--n 5]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { decodeData, md5Sign, parseEnvelope } from '../adapters/his/json/envelope';
import { passwordDigest } from '../adapters/his/soap/wssec';
import { escText } from '../adapters/his/soap/xml';
import { App, createApp } from '../src/app';
import { loadConfig } from '../src/config';

const ROOT = path.resolve(__dirname, '..', '..');
const SAMPLE = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'outpatient-v3.2.json'), 'utf8')) as Record<string, unknown>;
const APPID = 'MEDBILL-DEMO';
const KEY = 'demo-key-0123456789abcdef';
const N = Number(process.argv[process.argv.indexOf('--n') + 1] || 5) || 5;

type Json = Record<string, unknown>;
let seq = 0;
const busNo = (tag: string) => `BENCH-${tag}-${process.pid}-${seq++}`;

/**
 * The largest legal outpatient request: every list at its maxItems (5,000 list lines, 200 charges,
 * 50 pay channels, 100 + 100 extra infos) with realistic text, amounts that add up, under the 2 MiB
 * body limit. `lines` below 5,000 for a SOAP body, whose XML is wordier than JSON.
 */
export function maxLegal(tag: string, lines = 5000): Json {
  const charges = 200;
  const perCharge = lines / charges;
  const chargeDetail = Array.from({ length: charges }, (_, i) => ({
    sortNo: i + 1,
    chargeCode: `C${String(i + 1).padStart(3, '0')}`,
    chargeName: `收费项目${i + 1}`,
    unit: '项',
    std: perCharge.toFixed(2),
    number: 1,
    amt: perCharge.toFixed(2),
    selfAmt: 0,
  }));
  const listDetail = Array.from({ length: lines }, (_, i) => ({
    listDetailNo: String(i + 1),
    chargeCode: chargeDetail[Math.floor(i / perCharge)].chargeCode,
    chargeName: chargeDetail[Math.floor(i / perCharge)].chargeName,
    code: `XY${String(i).padStart(6, '0')}`,
    name: `阿托伐他汀钙片${i}`,
    form: '片剂',
    specification: '20mg*7片',
    unit: '盒',
    std: '1.0000',
    number: 1,
    amt: '1.0000',
    selfAmt: '0.0000',
    medicalCareType: '2',
  }));
  const total = (lines * 1).toFixed(2);
  return {
    ...SAMPLE,
    busNo: busNo(tag),
    totalAmt: total,
    accountPay: 0,
    fundPay: 0,
    otherfundPay: 0,
    ownPay: 0,
    selfConceitedAmt: 0,
    selfPayAmt: 0,
    selfCashPay: total,
    payChannelDetail: Array.from({ length: 50 }, (_, i) => ({ payChannelCode: String(i + 10), payChannelValue: (lines / 50).toFixed(2) })),
    otherInfo: Array.from({ length: 100 }, (_, i) => ({ infoNo: i + 1, infoName: `扩展信息${i}`, infoValue: `值${i}` })),
    otherMedicalList: Array.from({ length: 100 }, (_, i) => ({ infoNo: i + 1, infoName: `医保信息${i}`, infoValue: `值${i}` })),
    chargeDetail,
    listDetail,
  };
}

function envelopeBody(data: unknown): string {
  const b64 = Buffer.from(JSON.stringify(data), 'utf8').toString('base64');
  const noise = `bench-${seq++}`;
  return JSON.stringify({ appid: APPID, data: b64, noise, version: '1.0', sign: md5Sign(APPID, b64, noise, KEY) });
}

function toXml(v: unknown, name: string): string {
  if (Array.isArray(v)) return v.map((x) => toXml(x, name)).join('');
  if (v && typeof v === 'object') return `<t:${name}>${Object.entries(v).map(([k, x]) => toXml(x, k)).join('')}</t:${name}>`;
  return `<t:${name}>${escText(String(v))}</t:${name}>`;
}

function typedBody(data: Json): string {
  const nonce = Buffer.from(`bench-nonce-${seq++}`).toString('base64');
  const created = new Date().toISOString();
  const sec =
    `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
    `<wsse:UsernameToken><wsse:Username>${APPID}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${passwordDigest(nonce, created, KEY)}</wsse:Password>` +
    `<wsse:Nonce>${nonce}</wsse:Nonce><wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="http://medbill.local/ws/EBillService">` +
    `<s:Header>${sec}</s:Header><s:Body><t:invoiceEBillOutpatientTyped>${toXml(data, 'request')}</t:invoiceEBillOutpatientTyped></s:Body></s:Envelope>`
  );
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

function post(port: number, urlPath: string, body: string, contentType: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The result code of a JSON or SOAP answer. */
function resultOf(answer: string): string {
  const soap = /<tns:result>([^<]+)<\/tns:result>|<faultcode>[^<]*<\/faultcode>/.exec(answer);
  if (soap) return soap[1] ?? 'Fault';
  try {
    const env = JSON.parse(answer) as { data: string };
    return (JSON.parse(Buffer.from(env.data, 'base64').toString('utf8')) as { result: string }).result;
  } catch {
    return '?';
  }
}

interface Figure {
  case: string;
  bodyBytes: number;
  result: string;
  /** longest event-loop block during the request(s), ms: median and worst over the runs */
  blockMsMedian: number;
  blockMsMax: number;
  wallMs: number;
  rssDeltaMb: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(name: string, runs: number, build: () => { path: string; body: string; ct: string }[], port: number): Promise<Figure> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const blocks: number[] = [];
  const walls: number[] = [];
  let rssDelta = 0;
  let result = '';
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const reqs = build();
    bytes = Buffer.byteLength(reqs[0].body);
    global.gc?.();
    await new Promise((res) => setTimeout(res, 50));
    const rss0 = process.memoryUsage().rss;
    h.reset();
    const t0 = performance.now();
    const answers = await Promise.all(reqs.map((q) => post(port, q.path, q.body, q.ct)));
    walls.push(performance.now() - t0);
    // one more timer turn, so a block at the very end is seen
    await new Promise((res) => setTimeout(res, 5));
    blocks.push(h.max / 1e6);
    rssDelta = Math.max(rssDelta, (process.memoryUsage().rss - rss0) / 2 ** 20);
    result = [...new Set(answers.map(resultOf))].join(',');
  }
  h.disable();
  const f = { case: name, bodyBytes: bytes, result, blockMsMedian: round(median(blocks)), blockMsMax: round(Math.max(...blocks)), wallMs: round(median(walls)), rssDeltaMb: round(rssDelta) };
  process.stdout.write(
    `  ${name.padEnd(58)} ${String(f.bodyBytes).padStart(8)} B  ${f.result.padEnd(6)} block ${f.blockMsMedian.toFixed(1).padStart(6)} ms (max ${f.blockMsMax.toFixed(1)})  wall ${f.wallMs.toFixed(0).padStart(5)} ms  ΔRSS ${f.rssDeltaMb.toFixed(0)} MB\n`,
  );
  process.stdout.write(JSON.stringify({ bench: 'validation', ...f }) + '\n');
  return f;
}

const round = (x: number) => Math.round(x * 10) / 10;

/** Median and minimum of `runs` timings; the minimum is what the work costs when nothing else runs. */
function timeIt(label: string, runs: number, prepare: () => unknown, fn: (input: unknown) => unknown): void {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const input = prepare();
    const t0 = performance.now();
    fn(input);
    xs.push(performance.now() - t0);
  }
  const m = round(median(xs));
  const min = round(Math.min(...xs));
  process.stdout.write(`  ${label.padEnd(58)} ${m.toFixed(1).padStart(7)} ms median, ${min.toFixed(1)} ms min (${runs} runs)\n`);
  process.stdout.write(JSON.stringify({ bench: 'validation', part: label, msMedian: m, msMin: min }) + '\n');
}

export async function run(opts: { n?: number } = {}): Promise<Figure[]> {
  const runs = opts.n ?? N;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-validation-'));
  process.env.MEDBILL_QUIET = '1';
  const cfg = loadConfig({ ...process.env, MEDBILL_CONFIG: '' }, {
    dataDir: dir,
    db: { url: `sqlite:${path.join(dir, 'medbill.sqlite')}` },
    server: { port: 0, host: '127.0.0.1', publicBaseUrl: 'http://127.0.0.1:17001' },
    log: { level: 'error', dir: '', stdout: false },
    svs: { start: false },
    finance: { start: false },
    signer: { mode: 'in-process' },
  });
  const app: App = await createApp(cfg, { outboxHandlers: new Map() });
  const port = app.port!;
  const json = (data: () => unknown, times = 1) => () => Array.from({ length: times }, () => ({ path: '/medical-web/api/medical/invoiceEBillOutpatient', body: envelopeBody(data()), ct: 'application/json' }));
  const hostile = () => ({ ...SAMPLE, busNo: busNo('H'), chargeDetail: Array.from({ length: 100_000 }, () => ({})) });
  const figures: Figure[] = [];
  try {
    // warm up: compile the validators' and mappings' hot paths, open the pool's workers
    for (let i = 0; i < 3; i++) await post(port, '/medical-web/api/medical/invoiceEBillOutpatient', envelopeBody(maxLegal('W')), 'application/json');
    process.stdout.write('one request at a time, through the channel (longest event-loop block; budget 50 ms)\n');
    figures.push(await measure('JSON  max-size legal outpatient (5,000 list lines) → bill', runs, json(() => maxLegal('L')), port));
    figures.push(await measure('JSON  100,000 chargeDetail items (hostile)', runs, json(hostile), port));
    figures.push(await measure('JSON  5,000 empty listDetail items (error budget)', runs, json(() => ({ ...SAMPLE, busNo: busNo('E'), listDetail: Array.from({ length: 5000 }, () => ({})) })), port));
    figures.push(await measure('JSON  six 100,000-item requests at once', Math.max(2, Math.ceil(runs / 2)), json(hostile, 6), port));
    // The largest typed SOAP request under the body limit: XML is wordier, so fewer list lines fit.
    const lines = [5000, 4000, 3000, 2000, 1000].find((n) => Buffer.byteLength(typedBody(maxLegal('S', n))) < cfg.server.bodyLimitBytes) ?? 1000;
    figures.push(
      await measure(`SOAP  typed, largest legal under the body limit (${lines} lines) → bill`, runs, () => [{ path: '/medical-web/ws/EBillService', body: typedBody(maxLegal('T', lines)), ct: 'text/xml; charset=utf-8' }], port),
    );
    figures.push(
      await measure('SOAP  typed, 20,000 chargeDetail elements (hostile)', runs, () => [{ path: '/medical-web/ws/EBillService', body: typedBody({ ...SAMPLE, busNo: busNo('X'), chargeDetail: Array.from({ length: 20_000 }, () => ({})) }), ct: 'text/xml; charset=utf-8' }], port),
    );

    process.stdout.write('\nthe pieces, in process (max-size legal JSON request)\n');
    const body = envelopeBody(maxLegal('P'));
    const env = parseEnvelope(body);
    if (!env.ok) throw new Error(env.error.message);
    const validate = (data: unknown) => {
      try {
        app.services.catalogue.validate('invoiceEBillOutpatient', data);
      } catch {
        /* the refusals are expected */
      }
    };
    const none = () => undefined;
    timeIt(`envelope JSON.parse (${body.length} bytes)`, 20, none, () => parseEnvelope(body));
    timeIt('data: Base64 decode + UTF-8 + JSON.parse', 20, none, () => decodeData(env.env.data));
    timeIt('catalogue validation (valid)', 20, () => JSON.parse(JSON.stringify(maxLegal('V'))), validate);
    timeIt('catalogue validation, 100,000 items (refused by size)', 20, hostile, validate);
    timeIt('catalogue validation, 5,000 empty list lines (stops at the budget)', 20, () => ({ ...SAMPLE, listDetail: Array.from({ length: 5000 }, () => ({})) }), validate);
    const hostileEnv = parseEnvelope(envelopeBody(hostile()));
    if (hostileEnv.ok) timeIt('data of the 100,000-item request: Base64 + JSON.parse', 20, none, () => decodeData(hostileEnv.env.data));
    // Where a legal request spends its time, step by step (wall ms incl. awaits), from the message store.
    await app.services.writer.drain();
    const rows = (await app.services.db('messages').select('trace').where('bus_no', 'like', 'BENCH-L-%').orderBy('received_at', 'desc').limit(1)) as { trace: string }[];
    if (rows[0]?.trace) {
      const steps = (JSON.parse(rows[0].trace) as { step: string; ms: number }[]).map((s) => `${s.step} ${s.ms}`).join(', ');
      process.stdout.write(`  steps of one max-size legal request (ms): ${steps}\n`);
    }
  } finally {
    await app.close();
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

if (require.main === module)
  run().catch((e: Error) => {
    process.stderr.write(`${e.stack}\n`);
    process.exit(1);
  });
