/**
 * medbill's CA client (svs-client.ts) with the shipped mapping for our own SVS (config/ca-vendors/
 * medbill.yaml): every logical operation against the real embedded server, failures translated to
 * Timeout / Unavailable / Rejected with the vendor's code and message kept verbatim (and logged, without
 * the password), keep-alive reuse, and mapping files checked at load with file:line errors.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { signerFailure } from '../../src/engine/steps/sign';
import { CaError, SvsClient } from '../../adapters/ca/svs-client';
import { SvsSigner } from '../../adapters/ca/svs-signer';
import { loadVendorMapping } from '../../adapters/ca/vendor-mapping';
import { DEMO_CA_PASSWORD } from '../../src/config';
import { certificateDer, verifyData, verifyP7 } from '../../src/crypto';
import { RESULT } from '../../src/engine/errors';
import { configureLogging, log } from '../../src/log';
import { DEMO_APP, freePort, startTestSvs, TestSvs } from './helpers';

function client(url: string, over: Partial<ConstructorParameters<typeof SvsClient>[0]> = {}): SvsClient {
  return new SvsClient({ url, mapping: loadVendorMapping('medbill'), appName: DEMO_APP, keyIndex: 1, password: DEMO_CA_PASSWORD, timeoutMs: 3000, keepAlive: true, maxSockets: 8, ...over });
}

/** A throwaway HTTP server answering every request with `reply`, counting connections. */
async function stub(reply: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => reply(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/svs`,
    connections: () => connections,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function rejectsWith(p: Promise<unknown>, caClass: string, code: string): Promise<CaError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CaError, `expected CaError, got ${String(e)}`);
    assert.equal(e.caClass, caClass, e.message);
    assert.equal(e.reason, caClass);
    // What the HIS would be told: the sign step's words for this failure, never the client's message.
    assert.equal(signerFailure(e).code, code);
    return e;
  }
  throw new Error(`expected a ${caClass} failure`);
}

describe('CA client with the medbill mapping', function () {
  this.timeout(60_000);
  let svs: TestSvs;
  let c: SvsClient;
  const lines: string[] = [];
  before(async () => {
    svs = await startTestSvs();
    configureLogging({ level: 'debug', dir: '', stdout: false });
    log().add(new winston.transports.Stream({ stream: new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }) }));
    c = client(svs.endpoint);
  });
  after(async () => {
    c.close();
    await svs.stop();
    configureLogging({ level: 'error', dir: '', stdout: false });
  });

  const data = Buffer.from('<Header>门诊</Header><EInvoiceData>1.00</EInvoiceData>', 'utf8');

  it('runs every logical operation against the embedded SVS', async () => {
    const cert = await c.exportCert();
    assert.ok(cert.equals(certificateDer(svs.pki.unitSigning.certificatePem)));
    const raw = await c.signData(data);
    assert.ok(verifyData(data, raw, { kind: 'sm2', hex: svs.pki.unitSigning.publicKey }));
    assert.deepEqual((await c.verifyData(data, raw, cert)).valid, true);
    const bad = await c.verifyData(Buffer.from('other'), raw, cert);
    assert.equal(bad.valid, false, 'an invalid signature is a verdict, not an error');
    assert.equal(bad.code, String(0x04000402));
    assert.match(bad.message ?? '', /签名验证失败/);

    const detached = await c.signMessage(data, { detached: true });
    assert.equal(verifyP7(detached, { content: data }).detached, true);
    assert.equal((await c.verifyMessage(detached, data)).valid, true);
    assert.equal((await c.verifyMessage(detached, Buffer.from('x'))).valid, false);
    const attached = await c.signMessage(data, { detached: false });
    assert.equal((await c.verifyMessage(attached)).valid, true);

    const encCert = certificateDer(svs.pki.unitEncryption.certificatePem);
    const env = await c.makeEnvelope(data, encCert);
    const opened = await new SvsClient({ url: svs.endpoint, mapping: loadVendorMapping('medbill'), appName: DEMO_APP, keyIndex: 2, password: DEMO_CA_PASSWORD, timeoutMs: 3000, keepAlive: false, maxSockets: 1 }).openEnvelope(env);
    assert.ok(opened.equals(data));
    assert.equal((await c.validateCert(cert)).valid, true);
    assert.equal((await c.hash(data)).length, 32);
    assert.equal((await c.genRandom(20)).length, 20);
  });

  it('SvsSigner: the e-bill unit signature (detached SignedData) with the signer serial as medbill stores it', async () => {
    const signer = new SvsSigner(client(svs.endpoint));
    const r = await signer.signDetached('<Header>h</Header><EInvoiceData>票据</EInvoiceData>', { msgId: 'm1', busNo: 'B1' });
    assert.equal(r.certSerial, svs.pki.unitSigning.serialHex);
    const v = verifyP7(Buffer.from(r.signature, 'base64'), { content: Buffer.from('<Header>h</Header><EInvoiceData>票据</EInvoiceData>', 'utf8') });
    assert.equal(v.valid, true, v.detail);
    assert.equal(signer.name, 'svs:medbill');
    await signer.close();
  });

  it('Rejected: a refusal keeps the vendor code and message, is logged with msgId/busNo, never with the password', async () => {
    lines.length = 0;
    const wrong = client(svs.endpoint, { password: 'not-the-demo-password' });
    const e = await rejectsWith(wrong.signMessage(data, { detached: true }, { msgId: 'M-42', busNo: 'BUS-42' }), 'Rejected', RESULT.signUnavailable);
    assert.equal(e.detail.vendorCode, String(0x04000102));
    assert.match(e.detail.vendorMessage ?? '', /应用口令错误/);
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'ca call failed');
    assert.ok(line, lines.join('\n'));
    assert.equal(line.msgId, 'M-42');
    assert.equal(line.busNo, 'BUS-42');
    assert.equal(line.vendorCode, String(0x04000102));
    assert.equal(line.errorClass, 'Rejected');
    assert.equal(line.operation, 'SVS_SignMessage');
    assert.ok(!lines.join('').includes('not-the-demo-password'), 'password in a log line');
    assert.ok(!lines.join('').includes(data.toString('base64')), 'data in a log line');
    wrong.close();
  });

  it('Unavailable: nothing listening (connection refused) → E3001', async () => {
    const dead = client(`http://127.0.0.1:${await freePort()}/svs`);
    await rejectsWith(dead.signMessage(data, { detached: true }), 'Unavailable', RESULT.signUnavailable);
    dead.close();
  });

  it('Timeout: a server that never answers → E3002 after ca.timeoutMs', async () => {
    const s = await stub(() => undefined);
    const slow = client(s.url, { timeoutMs: 300 });
    const t0 = Date.now();
    await rejectsWith(slow.signMessage(data, { detached: true }), 'Timeout', RESULT.timeout);
    assert.ok(Date.now() - t0 < 2000);
    slow.close();
    await s.close();
  });

  it('Unavailable: HTTP 503 busy fault, 502 without SOAP, an unreadable 200; Rejected: a plain SOAP fault', async () => {
    const busy = await stub((_q, res) =>
      res
        .writeHead(503, { 'content-type': 'text/xml' })
        .end(
          '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>busy</faultstring><detail><x:SvsFault xmlns:x="http://medbill.local/svs"><x:result>67108868</x:result></x:SvsFault></detail></soap:Fault></soap:Body></soap:Envelope>',
        ),
    );
    const e1 = await rejectsWith(client(busy.url).signMessage(data, { detached: true }), 'Unavailable', RESULT.signUnavailable);
    assert.equal(e1.detail.vendorCode, '67108868');
    await busy.close();
    const gateway = await stub((_q, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'));
    await rejectsWith(client(gateway.url).signMessage(data, { detached: true }), 'Unavailable', RESULT.signUnavailable);
    await gateway.close();
    const junk = await stub((_q, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end('<<<'));
    await rejectsWith(client(junk.url).signMessage(data, { detached: true }), 'Unavailable', RESULT.signUnavailable);
    await junk.close();
    const fault = await stub((_q, res) =>
      res
        .writeHead(500, { 'content-type': 'text/xml' })
        .end('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>证书已冻结</faultstring></soap:Fault></soap:Body></soap:Envelope>'),
    );
    const e4 = await rejectsWith(client(fault.url).signMessage(data, { detached: true }), 'Rejected', RESULT.signUnavailable);
    assert.equal(e4.detail.vendorMessage, '证书已冻结');
    await fault.close();
  });

  it('keeps one keep-alive connection for sequential calls', async () => {
    const ok = await stub((_q, res) =>
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><t:SVS_GenRandomResponse xmlns:t="http://medbill.local/svs"><t:result>0</t:result><t:message>ok</t:message><t:random>AAAA</t:random></t:SVS_GenRandomResponse></soap:Body></soap:Envelope>',
        ),
    );
    const k = client(ok.url);
    for (let i = 0; i < 20; i++) assert.equal((await k.genRandom(3)).length, 3);
    assert.equal(ok.connections(), 1);
    k.close();
    await ok.close();
  });

  it('writes the request the mapping describes: namespace, qualified fields, SOAPAction, literals', async () => {
    let seen: { headers: http.IncomingHttpHeaders; body: string } | undefined;
    const s = await stub((req, res, body) => {
      seen = { headers: req.headers, body };
      res.writeHead(500).end();
    });
    await client(s.url).signMessage(Buffer.from('a&b'), { detached: true }).catch(() => undefined);
    assert.equal(seen?.headers.soapaction, '"http://medbill.local/svs/SVS_SignMessage"');
    assert.match(seen?.body ?? '', /<v:SVS_SignMessage><v:appName>medbill<\/v:appName><v:password>demo-svs-password<\/v:password><v:keyIndex>1<\/v:keyIndex><v:data>YSZi<\/v:data><v:isOriginalText>false<\/v:isOriginalText><\/v:SVS_SignMessage>/);
    assert.match(seen?.body ?? '', /xmlns:v="http:\/\/medbill.local\/svs"/);
    await s.close();
  });
});

describe('CA vendor mapping files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-mapping-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('loads both shipped mappings', () => {
    assert.equal(loadVendorMapping('medbill').operations.signMessageDetached?.operation, 'SVS_SignMessage');
    const bjca = loadVendorMapping('bjca');
    assert.equal(bjca.soap.namespace, 'http://tempuri.org/');
    assert.equal(bjca.operations.signMessageDetached?.via, 'signMessageAttached');
  });

  it('points at file:line for a misspelt key, an unknown variable, a missing returns', () => {
    const f1 = write('a.yaml', 'vendor: x\nsoap: { namespace: urn:x }\noperations:\n  signMessageDetached:\n    operation: Sign\n    params: { data: "{data}" }\n    retrun: { field: r, type: base64 }\n');
    assert.throws(() => loadVendorMapping(f1), /a\.yaml:5:5 .*CA_VENDOR_MAPPING.*retrun/);
    const f2 = write('b.yaml', 'vendor: x\nsoap: { namespace: urn:x }\noperations:\n  signData:\n    operation: Sign\n    params: { data: "{payload}" }\n    returns: { field: r, type: base64 }\n');
    assert.throws(() => loadVendorMapping(f2), /b\.yaml:6:.*unknown variable \{payload\}/);
    const f3 = write('c.yaml', 'vendor: x\nsoap: { namespace: urn:x }\noperations:\n  signData:\n    operation: Sign\n');
    assert.throws(() => loadVendorMapping(f3), /c\.yaml:5:.*needs operation and returns/);
    assert.throws(() => loadVendorMapping('../../etc/passwd'), /must be a file name/);
  });
});
