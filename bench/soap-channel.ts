/**
 * The SOAP channel's own cost, in process, against node-soap doing the same work: our lean
 * fast-xml-parser handler (both versions at one endpoint) vs two node-soap serverless servers (one
 * per SOAP version, as node-soap fixes the version per server). The business side is a stub that
 * does the same envelope checks (MD5 sign, Base64, JSON) in both, so the difference is XML handling.
 *
 *   node dist/bench/soap-channel.js [--n 3000]
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as soap from 'soap';
import { envelopeToInbound, resultEnvelope } from '../adapters/his/json/channel';
import { envelopeFromFields, md5Sign } from '../adapters/his/json/envelope';
import { SoapEndpoint } from '../adapters/his/soap/channel';
import { TNS } from '../adapters/his/soap/operations';
import { generateWsdl } from '../adapters/his/soap/wsdl-gen';
import { passwordDigest } from '../adapters/his/soap/wssec';
import { escText } from '../adapters/his/soap/xml';
import type { CallerConfig } from '../src/config';
import { loadCatalogue } from '../src/engine/catalogue';
import type { InboundRequest, InboundResult } from '../src/engine/inbound';

const ROOT = path.resolve(__dirname, '..', '..');
const SAMPLE = JSON.parse(readFileSync(path.join(ROOT, 'examples', 'outpatient-v3.2.json'), 'utf8')) as Record<string, unknown>;
const APPID = 'MEDBILL-DEMO';
const KEY = 'demo-key-0123456789abcdef';
const callers = new Map<string, CallerConfig>([[APPID, { appid: APPID, key: KEY }]]);
const N = Number(process.argv[process.argv.indexOf('--n') + 1] || 3000) || 3000;

const S11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const S12 = 'http://www.w3.org/2003/05/soap-envelope';

function envelopeCall(op: string, data: unknown, ns: string): string {
  const b64 = Buffer.from(JSON.stringify(data), 'utf8').toString('base64');
  const noise = 'bench-noise';
  const f = { appid: APPID, data: b64, noise, version: '1.0', sign: md5Sign(APPID, b64, noise, KEY) };
  const kids = Object.entries(f).map(([k, v]) => `<t:${k}>${v}</t:${k}>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${ns}" xmlns:t="${TNS}"><s:Body><t:${op}>${kids}</t:${op}></s:Body></s:Envelope>`;
}

function toXml(v: unknown, name: string): string {
  if (Array.isArray(v)) return v.map((x) => toXml(x, name)).join('');
  if (v && typeof v === 'object') return `<t:${name}>${Object.entries(v).map(([k, x]) => toXml(x, k)).join('')}</t:${name}>`;
  return `<t:${name}>${escText(String(v))}</t:${name}>`;
}

function typedCall(): string {
  const nonce = Buffer.from('0123456789abcdef').toString('base64');
  const created = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const sec =
    `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
    `<wsse:UsernameToken><wsse:Username>${APPID}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${passwordDigest(nonce, created, KEY)}</wsse:Password>` +
    `<wsse:Nonce>${nonce}</wsse:Nonce><wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${S11}" xmlns:t="${TNS}"><s:Header>${sec}</s:Header><s:Body><t:invoiceEBillOutpatientTyped>${toXml(SAMPLE, 'request')}</t:invoiceEBillOutpatientTyped></s:Body></s:Envelope>`;
}

const stub = async (req: InboundRequest): Promise<InboundResult> =>
  req.refusal ? { msgId: 'B', result: req.refusal.code, error: req.refusal } : { msgId: 'B', result: 'S0000', response: { billBatchCode: '44060126', billNo: '0000000001', random: 'abcdef' } };

/** Alternates the contenders in rounds and reports medians, so load from other processes hits both alike. */
async function compare(label: string, contenders: [string, () => Promise<unknown>][], rounds = 7): Promise<void> {
  for (const [, fn] of contenders) for (let i = 0; i < 300; i++) await fn();
  const per = Math.max(50, Math.floor(N / rounds));
  const samples = contenders.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++)
    for (const [k, [, fn]] of contenders.entries()) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < per; i++) await fn();
      samples[k].push(Number(process.hrtime.bigint() - t0) / 1000 / per);
    }
  process.stdout.write(`${label}\n`);
  for (const [k, [name]] of contenders.entries()) {
    const sorted = samples[k].sort((a, b) => a - b);
    const med = sorted[Math.floor(sorted.length / 2)];
    process.stdout.write(`  ${name.padEnd(48)} ${med.toFixed(1).padStart(8)} µs/req (median of ${rounds} rounds, ${sorted[0].toFixed(0)}–${sorted[sorted.length - 1].toFixed(0)})  ${Math.round(1e6 / med).toString().padStart(6)} req/s\n`);
    process.stdout.write(JSON.stringify({ bench: 'soap-channel', case: label, engine: name, usPerReq: Math.round(med * 10) / 10, reqPerSec: Math.round(1e6 / med) }) + '\n');
  }
}

export async function run(): Promise<void> {
  const catalogue = loadCatalogue(path.join(ROOT, 'config', 'catalogue'));
  const wsdl = generateWsdl(catalogue);
  const ours = new SoapEndpoint({
    config: {
      projectRoot: ROOT,
      server: { host: '127.0.0.1', port: 0, servicePath: 'medical-web', publicBaseUrl: 'http://127.0.0.1:17001', publicNetUrl: '', bodyLimitBytes: 2 << 20, requestDeadlineMs: 8000, shutdownGraceMs: 1000 },
    },
    catalogue,
    callers,
    handle: stub,
  });
  // node-soap: one handler per operation doing the same envelope checks as ours.
  type Args = Record<string, string>;
  const envelopeOp = (serviceId: string) => async (args: Args) => {
    const { req, caller } = envelopeToInbound(envelopeFromFields(args), { channel: 'his-soap', serviceId, raw: '' }, callers);
    const env = resultEnvelope(await stub(req), req.appid ?? '', caller);
    return { data: env.data, noise: env.noise, sign: env.sign };
  };
  const port: Record<string, (args: Args) => Promise<unknown>> = {};
  for (const o of ours.ops.values()) port[o.name] = o.style === 'envelope' ? envelopeOp(o.serviceId) : async () => ({ response: { result: 'S0000', message: '成功', billNo: '0000000001' } });
  const services = { EBillService: { EBillServiceSoap11: port, EBillServiceSoap12: port } };
  // createServerless resolves before the WSDL is parsed: wait for its callback, or the first requests fail.
  const ready = (forceSoap12Headers: boolean) =>
    new Promise<soap.Server>((resolve, reject) => {
      void soap.createServerless({ path: '/ws', services, xml: wsdl, forceSoap12Headers, callback: (err: unknown, s: soap.Server) => (err ? reject(err) : resolve(s)) });
    });
  const ns11 = await ready(false);
  const ns12 = await ready(true);

  const cases: [string, string, string][] = [
    ['testServerConnect 1.1', envelopeCall('testServerConnect', { testValue: 'ping' }, S11), 'text/xml; charset=utf-8'],
    ['invoiceEBillOutpatient envelope 1.1', envelopeCall('invoiceEBillOutpatient', SAMPLE, S11), 'text/xml; charset=utf-8'],
    ['invoiceEBillOutpatient envelope 1.2', envelopeCall('invoiceEBillOutpatient', SAMPLE, S12), 'application/soap+xml; charset=utf-8'],
    ['invoiceEBillOutpatientTyped 1.1', typedCall(), 'text/xml; charset=utf-8'],
  ];
  process.stdout.write(`node ${process.version}, ${N} requests each, in process, stub business side, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs\n`);
  for (const [label, xml, ct] of cases) {
    const body = Buffer.from(xml, 'utf8');
    const check = await ours.process(body, { contentType: ct });
    if (check.status !== 200 || /Fault/.test(check.body)) throw new Error(`${label}: ours answered ${check.status} ${check.body.slice(0, 300)}`);
    const server = ct.startsWith('application/soap+xml') ? ns12 : ns11;
    const theirs = await server.processRequest(xml, { url: '/ws', method: 'POST', headers: { 'content-type': ct } });
    if (theirs.statusCode !== 200) throw new Error(`${label}: node-soap answered ${theirs.statusCode} ${theirs.body.slice(0, 300)}`);
    await compare(`${label}: request ${body.length} bytes`, [
      ['medbill lean handler (fast-xml-parser)', () => ours.process(body, { contentType: ct })],
      [`node-soap createServerless (${server === ns12 ? 'forceSoap12Headers' : 'SOAP 1.1'})`, () => server.processRequest(xml, { url: '/ws', method: 'POST', headers: { 'content-type': ct } })],
    ]);
  }
}

if (require.main === module)
  run().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  });
