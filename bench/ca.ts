/**
 * CA benchmark: the signature-server operations on this machine, each measured two ways with the same
 * concurrency (32 in flight) and a 2 KB message:
 *   in-process  the SVS operation handlers in their worker pool (2 threads), called directly: crypto +
 *               worker hand-off, no HTTP, no XML (single-thread crypto-core rates are bench/crypto.ts)
 *   soap        the same operations through SOAP over real HTTP (keep-alive) to `medbill svs` running as
 *               its own process, as the hospital runs a signature server; requests are prepared ahead
 *               so the load generator costs as little as possible
 * plus p7.sign through medbill's own CA client (SvsSigner: what issuance does) and, for the decision in
 * docs/ca-svs.md, the hot operations on the node-soap engine. Prints a human line and one JSON line per
 * figure, e.g. {"bench":"ca","op":"p7.sign","mode":"soap","engine":"fast","opsPerSec":…,"p50ms":…,"p99ms":…}.
 *
 *   node dist/bench/ca.js [--seconds 5] [--concurrency 32] [--quick] [--only p7.sign,p7.verify] [--modes in-process,fast,node-soap]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { loadOrCreateDemoPki } from '../adapters/ca/key-material';
import { SvsSigner } from '../adapters/ca/svs-signer';
import { svsEngineSettings } from '../adapters/ca/svs/settings';
import type { SvsTask, SvsTaskResult } from '../adapters/ca/svs/worker';
import { DEMO_CA_PASSWORD, loadConfig, PROJECT_ROOT } from '../src/config';
import { certificateDer, createDetachedSigner, makeEnvelope, signData } from '../src/crypto';

const FLOOR: Record<string, number> = { 'p7.sign': 50, 'raw.sign': 50, 'p7.verify': 100, 'raw.verify': 100, 'envelope.make': 100, 'envelope.open': 50 };
const TARGET: Record<string, number> = { 'p7.sign': 1000, 'raw.sign': 1000, 'p7.verify': 2000, 'raw.verify': 2000, 'envelope.make': 2000, 'envelope.open': 1000 };

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

interface Figure {
  op: string;
  mode: 'in-process' | 'soap' | 'soap-client';
  engine?: string;
  opsPerSec: number;
  p50ms: number;
  p99ms: number;
  errors: number;
}

interface Contender {
  mode: Figure['mode'];
  engine?: string;
  once: () => Promise<boolean>;
}

/**
 * Throughput and latency of several ways to do one operation. They take turns in 1 s slices (after a
 * warm-up each) until each has had `seconds`: this VM is shared, and a neighbour's burst then slows
 * every contender alike instead of whichever happened to run at that moment.
 */
async function measureInterleaved(cs: Contender[], seconds: number, concurrency: number): Promise<Array<Omit<Figure, 'op'>>> {
  const slice = 1000;
  const loops = async (once: () => Promise<boolean>, ms: number, sink?: { lat: number[]; errors: number }) => {
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          const ok = await once();
          if (sink) {
            sink.lat.push(performance.now() - t);
            if (!ok) sink.errors++;
          }
        }
      }),
    );
  };
  for (const c of cs) await loops(c.once, Math.min(1000, seconds * 250));
  const acc = cs.map(() => ({ lat: [] as number[], errors: 0, ms: 0 }));
  for (let r = 0; r < Math.max(1, Math.round((seconds * 1000) / slice)); r++) {
    for (let i = 0; i < cs.length; i++) {
      const t0 = performance.now();
      await loops(cs[i].once, slice, acc[i]);
      acc[i].ms += performance.now() - t0;
    }
  }
  return cs.map((c, i) => {
    const lat = acc[i].lat.sort((a, b) => a - b);
    const pct = (p: number) => Math.round(lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] * 100) / 100;
    return { mode: c.mode, engine: c.engine, opsPerSec: Math.round(lat.length / (acc[i].ms / 1000)), p50ms: pct(50), p99ms: pct(99), errors: acc[i].errors };
  });
}

function report(f: Figure, concurrency: number): void {
  const floor = FLOOR[f.op];
  const target = TARGET[f.op];
  const vs = floor ? `  floor ${floor} ${f.opsPerSec >= floor ? 'met' : 'MISSED'} (×${(f.opsPerSec / floor).toFixed(1)}), target ${target} ${f.opsPerSec >= target ? 'met' : 'not met'}` : '';
  const mode = f.engine ? `${f.mode}/${f.engine}` : f.mode;
  console.log(
    `${f.op.padEnd(14)} ${mode.padEnd(16)} ${f.opsPerSec.toLocaleString('en-US').padStart(7)} ops/s  p50 ${f.p50ms.toFixed(2).padStart(6)} ms  p99 ${f.p99ms.toFixed(2).padStart(6)} ms${f.errors ? `  ${f.errors} ERRORS` : ''}${vs}`,
  );
  console.log(JSON.stringify({ bench: 'ca', op: f.op, mode: f.mode, ...(f.engine ? { engine: f.engine } : {}), opsPerSec: f.opsPerSec, p50ms: f.p50ms, p99ms: f.p99ms, concurrency, errors: f.errors }));
}

const NS = 'http://medbill.local/svs';
function envelope(op: string, fields: Record<string, string | number | boolean | Buffer>): string {
  let inner = `<s:appName>medbill</s:appName><s:password>${DEMO_CA_PASSWORD}</s:password>`;
  for (const [k, v] of Object.entries(fields)) inner += `<s:${k}>${Buffer.isBuffer(v) ? v.toString('base64') : String(v)}</s:${k}>`;
  return `<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:s="${NS}"><e:Body><s:${op}>${inner}</s:${op}></e:Body></e:Envelope>`;
}

const stringFields = (f: Record<string, string | number | boolean | Buffer>): Record<string, string> =>
  Object.fromEntries(Object.entries({ appName: 'medbill', password: DEMO_CA_PASSWORD, ...f }).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('base64') : String(v)]));

async function startSvsProcess(dir: string, port: number, engine: string): Promise<ChildProcess> {
  const cfgFile = path.join(dir, `svs-${engine}.yaml`);
  writeFileSync(cfgFile, `dataDir: ${dir}\nlog: { dir: "", stdout: false, level: error }\nsvs: { port: ${port}, host: 127.0.0.1, engine: ${engine}, workers: 2 }\nfinance: { start: false }\n`);
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'medbill.js'), 'svs'], {
    env: { ...process.env, MEDBILL_CONFIG: cfgFile, MEDBILL_QUIET: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return child;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('medbill svs did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function run(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const onlyIdx = process.argv.indexOf('--only');
  const only = onlyIdx > 0 ? process.argv[onlyIdx + 1].split(',') : undefined;
  const modesIdx = process.argv.indexOf('--modes');
  const modes = modesIdx > 0 ? process.argv[modesIdx + 1].split(',') : ['in-process', 'fast', 'node-soap'];
  const seconds = arg('seconds', quick ? 2 : 5);
  const concurrency = arg('concurrency', 32);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-ca-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const cfg = loadConfig({ ...process.env, MEDBILL_CONFIG: '' }, { dataDir: dir, log: { level: 'error', dir: '', stdout: false }, svs: { port, host: '127.0.0.1' } });
  const pki = loadOrCreateDemoPki(dir, port);
  const unitCert = certificateDer(pki.unitSigning.certificatePem);
  const encCert = certificateDer(pki.unitEncryption.certificatePem);
  const msg = Buffer.alloc(2048, '票据'.repeat(10));
  const unitKey = { kind: 'sm2' as const, privateKey: pki.unitSigning.privateKey, publicKey: pki.unitSigning.publicKey };
  const p7 = createDetachedSigner({ privateKey: unitKey, certDer: unitCert })(msg);
  const raw = signData(msg, unitKey);
  const env = makeEnvelope(msg, encCert);

  const all: Array<{ op: string; svs: string; fields: Record<string, string | number | boolean | Buffer>; expect: string }> = [
    { op: 'p7.sign', svs: 'SVS_SignMessage', fields: { keyIndex: 1, data: msg }, expect: 'signedMessage' },
    { op: 'p7.verify', svs: 'SVS_VerifySignedMessage', fields: { signedMessage: p7, data: msg }, expect: 'signerSerial' },
    { op: 'envelope.make', svs: 'SVS_MakeEnvelope', fields: { cert: encCert, data: msg }, expect: 'envelope' },
    { op: 'envelope.open', svs: 'SVS_OpenEnvelope', fields: { keyIndex: 2, envelope: env }, expect: 'data' },
    { op: 'raw.sign', svs: 'SVS_SignData', fields: { keyIndex: 1, data: msg }, expect: 'signature' },
    { op: 'raw.verify', svs: 'SVS_VerifySignedData', fields: { type: 1, cert: unitCert, data: msg, signature: raw }, expect: 'message' },
    { op: 'soap.baseline', svs: 'SVS_GenRandom', fields: { length: 16 }, expect: 'random' },
  ];
  const ops = all.filter((o) => !only || only.includes(o.op));

  console.log(`CA bench: Node ${process.version}, ${os.cpus().length} CPUs, ${seconds}s per figure in 1 s turns, ${concurrency} in flight, 2 KB message, SVS with 2 worker threads, load average ${os.loadavg()[0].toFixed(2)}`);
  const figures: Figure[] = [];
  const emit = (f: Figure) => {
    figures.push(f);
    report(f, concurrency);
  };

  // in-process: the same handlers in the same kind of pool as the server's, no HTTP/XML
  const pool = new Piscina({
    filename: path.join(PROJECT_ROOT, 'dist', 'adapters', 'ca', 'svs', 'worker.js'),
    minThreads: 2,
    maxThreads: 2,
    workerData: { settings: svsEngineSettings(cfg) },
    concurrentTasksPerWorker: 4,
    atomics: 'disabled',
  });
  // soap: `medbill svs` as its own process, one per engine, all up at once so their turns interleave
  const engines = ['fast', 'node-soap'].filter((e) => modes.includes(e));
  const ports: Record<string, number> = { fast: port, 'node-soap': port + 1 };
  const children: ChildProcess[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency * 2 });
  const post = (p: number, body: Buffer, expect: RegExp): Promise<boolean> =>
    new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: p, path: '/svs', method: 'POST', agent, headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          // a cheap check keeps the load generator light: success code and the expected element (either engine's prefixes)
          resolve(res.statusCode === 200 && /<(?:\w+:)?result>0<\/(?:\w+:)?result>/.test(text) && expect.test(text));
        });
      });
      req.on('error', () => resolve(false));
      req.end(body);
    });
  const signer = SvsSigner.fromConfig({ ...cfg, ca: { ...cfg.ca, url: `http://127.0.0.1:${port}/svs`, maxSockets: concurrency } });
  try {
    for (const e of engines) children.push(await startSvsProcess(dir, ports[e], e));
    for (const o of ops) {
      const cs: Contender[] = [];
      if (modes.includes('in-process')) {
        const task: SvsTask = { kind: 'call', op: o.svs, fields: stringFields(o.fields), clientIp: '127.0.0.1' };
        cs.push({ mode: 'in-process', once: async () => ((r: SvsTaskResult) => r.kind === 'call' && r.outcome?.result === 0)((await pool.run(task)) as SvsTaskResult) });
      }
      const body = Buffer.from(envelope(o.svs, o.fields), 'utf8');
      const expect = new RegExp(`<(?:\\w+:)?${o.expect}>`);
      for (const e of engines) {
        if (e === 'node-soap' && !only && !['p7.sign', 'p7.verify', 'soap.baseline'].includes(o.op)) continue;
        if (!(await post(ports[e], body, expect))) throw new Error(`${o.svs} failed on the ${e} engine`);
        cs.push({ mode: 'soap', engine: e, once: () => post(ports[e], body, expect) });
      }
      if (o.op === 'p7.sign' && engines.includes('fast')) {
        const text = msg.toString('utf8');
        cs.push({ mode: 'soap-client', engine: 'fast', once: () => signer.signDetached(text).then(() => true, () => false) });
      }
      for (const f of await measureInterleaved(cs, seconds, concurrency)) emit({ op: o.op, ...f });
    }
  } finally {
    await signer.close();
    await pool.destroy();
    agent.destroy();
    for (const c of children) await stopProcess(c);
    rmSync(dir, { recursive: true, force: true });
  }

  const by = (op: string, mode: string, engine?: string) => figures.find((f) => f.op === op && f.mode === mode && (engine === undefined || f.engine === engine))?.opsPerSec ?? 0;
  console.log(
    `SOAP keeps ${Math.round((100 * by('p7.sign', 'soap', 'fast')) / by('p7.sign', 'in-process'))}% of in-process p7.sign; ` +
      `fast engine vs node-soap: p7.sign ×${(by('p7.sign', 'soap', 'fast') / by('p7.sign', 'soap', 'node-soap')).toFixed(2)}, ` +
      `p7.verify ×${(by('p7.verify', 'soap', 'fast') / by('p7.verify', 'soap', 'node-soap')).toFixed(2)}, ` +
      `bare SOAP (SVS_GenRandom) ×${(by('soap.baseline', 'soap', 'fast') / by('soap.baseline', 'soap', 'node-soap')).toFixed(2)}`,
  );
}

if (require.main === module) {
  run().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
