/**
 * The shipped BJCA mapping (config/ca-vendors/bjca.yaml) against a LOOPBACK STAND-IN for a BJCA
 * signature server — not the real box, which is outside the hospital. The stand-in speaks the shape
 * public BJCA client code shows (namespace http://tempuri.org/, <tem:appName>/<tem:inData>, Base64
 * strings and booleans, CXF-style reply elements, SOAP faults for refusals) and does the cryptography
 * with medbill's crypto core, so what the client makes of the replies can be checked end to end —
 * including the detached unit signature derived from BJCA's attached-only SignDataByP7Attach.
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import { detachSignedData } from '../../adapters/ca/p7-detach';
import { CaError, SvsClient } from '../../adapters/ca/svs-client';
import { SvsSigner } from '../../adapters/ca/svs-signer';
import { loadVendorMapping } from '../../adapters/ca/vendor-mapping';
import { certificateDer, generateDemoPki, makeEnvelope, openEnvelope, signP7, verifyP7 } from '../../src/crypto';
import { configureLogging } from '../../src/log';
import { vector } from './helpers';

const pki = generateDemoPki();
const signCert = certificateDer(pki.unitSigning.certificatePem);
const encCert = certificateDer(pki.unitEncryption.certificatePem);
const signKey = { kind: 'sm2' as const, privateKey: pki.unitSigning.privateKey, publicKey: pki.unitSigning.publicKey };
const encKey = { kind: 'sm2' as const, privateKey: pki.unitEncryption.privateKey, publicKey: pki.unitEncryption.publicKey };
const APP = 'HOSPITAL_EBILL';

interface Seen {
  soapAction?: string;
  body: string;
  op: string;
}

/** The stand-in BJCA SVS: five operations, answers shaped like the BJCA replies in public client code. */
async function bjcaStandIn() {
  const seen: Seen[] = [];
  const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false });
  const reply = (op: string, inner: string) =>
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><${op}Response xmlns="http://tempuri.org/" xmlns:ns2="http://cxf.apache.org/transports/http-jetty/configuration">${inner}</${op}Response></soap:Body></soap:Envelope>`;
  const fault = (msg: string) =>
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>${msg}</faultstring></soap:Fault></soap:Body></soap:Envelope>`;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const env = (parser.parse(body) as { Envelope: { Body: Record<string, Record<string, string>> } }).Envelope;
      const [op, args] = Object.entries(env.Body)[0];
      seen.push({ soapAction: req.headers.soapaction as string | undefined, body, op });
      const send = (status: number, xml: string) => res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' }).end(xml);
      if (args.appName !== APP) return send(500, fault(`应用${args.appName}不存在`));
      const b = (s: string) => Buffer.from(s, 'base64');
      switch (op) {
        case 'GetCert':
          return args.sn === pki.unitSigning.serialHex ? send(200, reply(op, `<GetCert>${signCert.toString('base64')}</GetCert>`)) : send(500, fault('证书不存在'));
        case 'SignDataByP7Attach':
          return send(200, reply(op, `<SignDataByP7AttachResult>${signP7(b(args.inData), { privateKey: signKey, certDer: signCert }).toString('base64')}</SignDataByP7AttachResult>`));
        case 'VerifySignedDataByP7Attach':
          return send(200, reply(op, `<VerifySignedDataByP7Attach>${verifyP7(b(args.pkcs7SignData)).valid}</VerifySignedDataByP7Attach><IsTest>true</IsTest>`));
        case 'EncodeEnvelopedData':
          return send(200, reply(op, `<EncodeEnvelopedData>${makeEnvelope(b(args.inData), b(args.base64EncodeCert)).toString('base64')}</EncodeEnvelopedData>`));
        case 'DecodeEnvelopedData': {
          const r = openEnvelope(b(args.inData), { privateKey: encKey, certDer: encCert });
          return r.ok ? send(200, reply(op, `<DecodeEnvelopedData>${r.content.toString('base64')}</DecodeEnvelopedData><IsTest>true</IsTest>`)) : send(500, fault(`解密失败 ${r.reason}`));
        }
        default:
          return send(500, fault(`No such operation ${op}`));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/SVSService`,
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('BJCA mapping against a loopback stand-in BJCA server (stand-in, not the real BJCA box)', function () {
  this.timeout(30_000);
  let standIn: Awaited<ReturnType<typeof bjcaStandIn>>;
  let client: SvsClient;
  const data = Buffer.from('<Header>门诊收费</Header><EInvoiceData>236.50</EInvoiceData>', 'utf8');

  before(async () => {
    configureLogging({ level: 'error', dir: '', stdout: false });
    standIn = await bjcaStandIn();
    client = new SvsClient({ url: standIn.url, mapping: loadVendorMapping('bjca'), appName: APP, keyIndex: 0, password: '', timeoutMs: 3000, keepAlive: true, maxSockets: 4 });
  });
  after(async () => {
    client.close();
    await standIn.close();
  });

  it('sends BJCA-shaped requests: tempuri.org namespace, tem: prefixed appName/inData, empty SOAPAction, no key index or password', async () => {
    await client.signMessage(data, { detached: false });
    const s = standIn.seen.at(-1)!;
    assert.equal(s.op, 'SignDataByP7Attach');
    assert.equal(s.soapAction, '""');
    assert.match(s.body, /xmlns:tem="http:\/\/tempuri.org\/"/);
    assert.match(s.body, new RegExp(`<tem:SignDataByP7Attach><tem:appName>${APP}</tem:appName><tem:inData>${data.toString('base64').replace(/[+/]/g, '\\$&')}</tem:inData></tem:SignDataByP7Attach>`));
    assert.doesNotMatch(s.body, /password|keyIndex/);
  });

  it('SignDataByP7Attach gives an attached SignedData that verifies', async () => {
    const p7 = await client.signMessage(data, { detached: false });
    const v = verifyP7(p7);
    assert.equal(v.valid, true);
    assert.ok(v.content?.equals(data));
  });

  it('the issuance Signer gets a detached unit signature from BJCA (attached, then detached) that verifies against the content', async () => {
    const signer = new SvsSigner(client);
    assert.equal(signer.name, 'svs:bjca');
    const r = await signer.signDetached(data.toString('utf8'), { busNo: 'BJCA-1' });
    const p7 = Buffer.from(r.signature, 'base64');
    const v = verifyP7(p7, { content: data });
    assert.equal(v.valid, true, v.detail);
    assert.equal(v.detached, true);
    assert.equal(r.certSerial, pki.unitSigning.serialHex);
    assert.equal(verifyP7(p7).reason, 'missing-content', 'no embedded copy of the content is left');
  });

  it('detaching also works on the real BJCA SVS output (test/fixtures/vectors/bjca_p7sign.b64)', () => {
    const p7 = vector('bjca_p7sign.b64');
    const attached = verifyP7(p7);
    const detached = detachSignedData(p7);
    assert.ok(detached.length < p7.length);
    const v = verifyP7(detached, { content: attached.content });
    assert.equal(v.valid, true, v.detail);
    assert.equal(v.detached, true);
    assert.ok(detachSignedData(detached).equals(detached), 'idempotent');
  });

  it('VerifySignedDataByP7Attach: true for a good signature, false for a tampered one (a verdict, not an error)', async () => {
    const p7 = await client.signMessage(data, { detached: false });
    assert.equal((await client.verifyMessage(p7)).valid, true);
    const bad = Buffer.from(p7);
    bad[bad.length - 5] ^= 1;
    assert.equal((await client.verifyMessage(bad)).valid, false);
  });

  it('EncodeEnvelopedData / DecodeEnvelopedData round-trip; GetCert by serial', async () => {
    const env = await client.makeEnvelope(data, encCert);
    assert.ok((await client.openEnvelope(env)).equals(data));
    assert.ok((await client.exportCert(pki.unitSigning.serialHex)).equals(signCert));
  });

  it('a BJCA fault is Rejected with its message verbatim; an operation BJCA lacks is refused before any call', async () => {
    const other = new SvsClient({ url: standIn.url, mapping: loadVendorMapping('bjca'), appName: 'UNKNOWN_APP', keyIndex: 0, password: '', timeoutMs: 3000, keepAlive: false, maxSockets: 1 });
    await assert.rejects(other.signMessage(data, { detached: true }), (e: unknown) => e instanceof CaError && e.caClass === 'Rejected' && e.detail.vendorMessage === '应用UNKNOWN_APP不存在');
    const n = standIn.seen.length;
    await assert.rejects(client.signData(data), (e: unknown) => e instanceof CaError && e.caClass === 'Rejected' && /没有 signData/.test(e.message));
    assert.equal(standIn.seen.length, n);
  });
});
