/**
 * The embedded signature server's HTTP side (its own port, 17002 by default, so it also runs and restarts alone: `medbill svs`): node:http on the event loop,
 * everything CPU-bound in a piscina pool of worker threads (worker.ts) that hold the keys.
 *
 *   GET  /svs?wsdl        wsdl/svs.wsdl, soap:address set to this server
 *   POST /svs             SOAP 1.1 / 1.2 document/literal (fast engine, or node-soap on the same WSDL)
 *   GET  /crl/root.crl    the demo root's CRL (demo mode), re-signed when half its validity has passed
 *   POST /ocsp, GET /ocsp/{b64}   OCSP for the demo root (demo mode)
 *   GET  /healthz
 *
 * The event loop only moves bytes: bodies are capped before they are read whole, the request text goes
 * to a worker, the audit row of a private-key use is committed (audit.ts), then the reply is sent.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Piscina } from 'piscina';
import { ocspHttpHandler } from '../../../src/crypto';
import { log } from '../../../src/log';
import { normaliseIp } from './access';
import { AuditLog } from './audit';
import { codeName, SVS_CODES } from './codes';
import { loadContract, servedWsdl } from './contract';
import type { EngineSettings, HttpOutcome } from './engine';
import { createNodeSoapEngine } from './node-soap-engine';
import { SOAP_CONTENT_TYPE, soapFault, soapVersionOf } from './soap-envelope';
import type { SvsTask, SvsTaskResult } from './worker';

export interface SvsServerOptions {
  settings: EngineSettings;
  port: number;
  host: string;
  workers: number;
  maxQueue: number;
  bodyLimitBytes: number;
  auditDbUrl: string;
  engine: 'fast' | 'node-soap';
  /** tasks a worker may hold at once; >1 keeps a worker busy while the next request is on its way */
  concurrentTasksPerWorker?: number;
}

export interface SvsServer {
  name: string;
  url: string;
  port: number;
  audit: AuditLog;
  close(): Promise<void>;
}

function sendFault(res: http.ServerResponse, status: number, version: '1.1' | '1.2', ns: string, code: keyof typeof SVS_CODES, detail: string, sender = true): void {
  const body = soapFault(version, ns, sender, `${SVS_CODES[code].zh}：${detail}`, SVS_CODES[code].code);
  res.writeHead(status, { 'content-type': SOAP_CONTENT_TYPE[version], 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startSvsServer(o: SvsServerOptions): Promise<SvsServer> {
  const contract = loadContract(o.settings.wsdlFile);
  const ns = contract.namespace;
  const audit = await AuditLog.open(o.auditDbUrl);
  const pool = new Piscina({
    filename: path.join(__dirname, 'worker.js'),
    minThreads: o.workers,
    maxThreads: o.workers,
    workerData: { settings: o.settings },
    maxQueue: o.maxQueue,
    concurrentTasksPerWorker: o.concurrentTasksPerWorker ?? 4,
    // Workers wait on their message port: async tasks (CRL/OCSP fetches) need their event loop.
    atomics: 'disabled',
  });
  const run = (t: SvsTask): Promise<SvsTaskResult> => pool.run(t) as Promise<SvsTaskResult>;
  // Every worker loads its keys and prepares its signers before the port opens (enough warm tasks to
  // reach each worker whatever the scheduling; a second run in one worker is a no-op).
  await Promise.all(Array.from({ length: o.workers * (o.concurrentTasksPerWorker ?? 4) }, () => run({ kind: 'warm' })));

  const commitAudit = async (h: HttpOutcome): Promise<HttpOutcome> => {
    if (!h.audit) return h;
    try {
      await audit.write(h.audit);
      return h;
    } catch (e) {
      log().error('svs audit write failed; reply withheld', { op: h.op, app: h.audit.appName, error: (e as Error).message });
      const version = h.contentType.includes('soap+xml') ? '1.2' : '1.1';
      return { status: 500, contentType: SOAP_CONTENT_TYPE[version], body: soapFault(version, ns, false, SVS_CODES.AUDIT_FAILED.zh, SVS_CODES.AUDIT_FAILED.code), op: h.op, result: SVS_CODES.AUDIT_FAILED.code };
    }
  };

  let handleSoap: (body: string, contentType: string | undefined, clientIp: string) => Promise<HttpOutcome>;
  if (o.engine === 'node-soap') {
    const viaNodeSoap = await createNodeSoapEngine(contract, async (op, fields, clientIp) => {
      const r = await run({ kind: 'call', op, fields, clientIp: normaliseIp(clientIp) });
      if (r.kind !== 'call' || !r.outcome) return null;
      if (r.outcome.audit) await audit.write(r.outcome.audit);
      return r.outcome;
    });
    handleSoap = (body, ct, ip) => {
      // node-soap has no guard of its own against entity declarations
      if (/<!DOCTYPE|<!ENTITY/i.test(body)) {
        const v = soapVersionOf(ct, body);
        return Promise.resolve({ status: 400, contentType: SOAP_CONTENT_TYPE[v], body: soapFault(v, ns, true, '请求含 DOCTYPE/ENTITY 声明，已拒绝（防 XXE）', SVS_CODES.BAD_REQUEST.code) });
      }
      return viaNodeSoap(body, ct, ip);
    };
  } else {
    handleSoap = async (body, ct, ip) => {
      const r = await run({ kind: 'soap', body, contentType: ct, clientIp: ip });
      if (r.kind !== 'soap') throw new Error('worker answered a soap task with ' + r.kind);
      return commitAudit(r.http);
    };
  }

  let crl: { der: Buffer; refreshAt: number } | undefined;
  const currentCrl = async (): Promise<Buffer> => {
    if (!crl || Date.now() >= crl.refreshAt) {
      const r = await run({ kind: 'crl' });
      if (r.kind !== 'crl') throw new Error('worker answered a crl task with ' + r.kind);
      const now = Date.now();
      crl = { der: Buffer.from(r.der), refreshAt: now + (r.nextUpdate - now) / 2 };
    }
    return crl.der;
  };
  const ocsp = ocspHttpHandler(async (der) => {
    const r = await run({ kind: 'ocsp', der });
    if (r.kind !== 'ocsp') throw new Error('worker answered an ocsp task with ' + r.kind);
    return Buffer.from(r.der);
  });

  let endpoint = '';
  const onSoapPost = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const ct = req.headers['content-type'];
    const version = ct?.includes('application/soap+xml') ? '1.2' : '1.1';
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = (): void => {
      res.setHeader('connection', 'close');
      sendFault(res, 413, version, ns, 'BAD_REQUEST', `请求体超过 ${o.bodyLimitBytes} 字节上限 / request body over the limit`);
      res.once('finish', () => req.destroy());
    };
    if (declared > o.bodyLimitBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > o.bodyLimitBytes) {
        refused = true;
        tooLarge();
      } else chunks.push(c);
    });
    req.on('error', () => req.destroy());
    req.on('end', () => {
      if (refused) return;
      const t0 = Date.now();
      const clientIp = normaliseIp(req.socket.remoteAddress);
      handleSoap(Buffer.concat(chunks).toString('utf8'), ct, clientIp).then(
        (h) => {
          res.writeHead(h.status, { 'content-type': h.contentType, 'content-length': Buffer.byteLength(h.body) });
          res.end(h.body);
          if (h.result) log().info('svs call refused or failed', { op: h.op, result: h.result, code: codeName(h.result), clientIp, ms: Date.now() - t0 });
        },
        (e: Error) => {
          const busy = /queue is at limit|Task queue/i.test(e.message);
          if (!busy) log().error('svs request failed', { error: e.message, clientIp });
          if (busy) res.setHeader('retry-after', '1');
          sendFault(res, busy ? 503 : 500, version, ns, busy ? 'BUSY' : 'UNKNOWN', busy ? `排队请求已达 ${o.maxQueue}` : '内部错误（已记录）', false);
        },
      );
    });
  };

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    if (pathname === '/svs' || pathname === '/svs/') {
      if (req.method === 'POST') return onSoapPost(req, res);
      if (req.method === 'GET' && /^wsdl$/i.test(query.split('&')[0] ?? '')) {
        // soap:address names the host the client used, so a WSDL fetched from another machine points back here.
        const host = req.headers.host && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(req.headers.host) ? `http://${req.headers.host}/svs` : endpoint;
        const body = servedWsdl(contract, host);
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        return res.end(body);
      }
      res.writeHead(405, { allow: 'POST, GET' }).end('POST SOAP requests to /svs; the contract is at /svs?wsdl\n');
      return;
    }
    if (pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', engine: o.engine, audited: audit.written }));
      return;
    }
    if (o.settings.demoCa && pathname === '/crl/root.crl' && req.method === 'GET') {
      currentCrl().then(
        (der) => res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': der.length }).end(der),
        (e: Error) => res.writeHead(503, { 'content-type': 'text/plain' }).end(`CRL unavailable: ${e.message}\n`),
      );
      return;
    }
    if (o.settings.demoCa && (pathname === '/ocsp' || pathname.startsWith('/ocsp/'))) return ocsp(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  endpoint = `http://${shownHost}:${port}/svs`;
  log().info('svs listening', { port, engine: o.engine, workers: o.workers, operations: contract.operations.size });

  return {
    name: 'signature server (SVS)',
    url: `${endpoint}?wsdl`,
    port,
    audit,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await pool.destroy();
      await audit.close();
    },
  };
}
