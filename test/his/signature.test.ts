/**
 * The unit signature of an issued bill verifies with an independent implementation
 * (docs/reference/fiscal-ebill.md#the-unit-signature): the
 * fiscal XML is downloaded as a HIS or a patient would get it, the GM/T 0010 SignedData is taken apart
 * with a DER reader written here (not src/crypto), and OpenSSL verifies the SM2 signature over the
 * signed text sliced byte-exact from the download. verifyP7 (src/crypto) must agree.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyP7 } from '../../src/crypto';
import { callJson, DEMO_APPID, Reply, startTestApp } from '../helpers/app';
import { sample, TestApp, uniqueBusNo } from './his-helpers';

// ---------------------------------------------------------------- a minimal DER reader, test-local

interface Tlv {
  tag: number;
  /** contents */
  value: Buffer;
  /** the whole TLV */
  raw: Buffer;
}

function readTlv(buf: Buffer, at = 0): Tlv {
  const tag = buf[at];
  let len = buf[at + 1];
  let off = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    assert.ok(n >= 1 && n <= 4, 'DER length form');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[off + i];
    off += n;
  }
  assert.ok(off + len <= buf.length, 'DER length overruns the buffer');
  return { tag, value: buf.subarray(off, off + len), raw: buf.subarray(at, off + len) };
}

function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < t.value.length; ) {
    const c = readTlv(t.value, at);
    out.push(c);
    at += c.raw.length;
  }
  return out;
}

function oid(t: Tlv): string {
  assert.equal(t.tag, 0x06, 'expected an OBJECT IDENTIFIER');
  const b = t.value;
  const parts = [Math.floor(b[0] / 40), b[0] % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const GM_SIGNED_DATA = '1.2.156.10197.6.1.4.2.2';
const GM_DATA = '1.2.156.10197.6.1.4.2.1';
const SM3 = '1.2.156.10197.1.401';

/** ContentInfo → SignedData → (signer certificate, SignerInfo fields). */
function takeApart(p7: Buffer) {
  const ci = readTlv(p7);
  assert.equal(ci.raw.length, p7.length, 'no trailing bytes after the SignedData');
  const [type, explicit] = children(ci);
  assert.equal(oid(type), GM_SIGNED_DATA, 'GM/T 0010 signedData content type');
  assert.equal(explicit.tag, 0xa0);
  const sd = children(children(explicit)[0]);
  const [version, digestAlgs, encap] = sd;
  assert.equal(version.tag, 0x02);
  assert.equal(oid(children(children(digestAlgs)[0])[0]), SM3);
  const encapParts = children(encap);
  assert.equal(oid(encapParts[0]), GM_DATA);
  assert.equal(encapParts.length, 1, 'detached: no eContent inside the SignedData');
  const certs = sd.find((t) => t.tag === 0xa0);
  assert.ok(certs, 'the signer certificate travels in the SignedData');
  const signerInfos = sd[sd.length - 1];
  assert.equal(signerInfos.tag, 0x31);
  const si = children(children(signerInfos)[0]);
  assert.ok(!si.some((t) => t.tag === 0xa0), 'no signed attributes: the signature covers the content itself');
  const signature = si[si.length - 1];
  assert.equal(signature.tag, 0x04, 'signature is an OCTET STRING');
  const serialInSid = children(si[1])[1];
  return { cert: children(certs)[0].raw, signature: signature.value, sidSerialHex: serialInSid.value.toString('hex').replace(/^00/, '').toUpperCase() };
}

// ---------------------------------------------------------------- openssl in a temp dir

function openssl(dir: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('unit signature of the stored fiscal XML, checked independently', function () {
  let app: TestApp;
  let tmp: string;
  let issued: Reply;
  let xmlBytes: Buffer;
  const busNo = uniqueBusNo('SIG');

  const url = (code: string, no: string, random?: string) => `${app.baseUrl}/medical-web/ebill/${code}/${no}.xml${random === undefined ? '' : `?random=${random}`}`;

  before(async function () {
    app = await startTestApp();
    tmp = mkdtempSync(path.join(os.tmpdir(), 'medbill-sig-'));
    issued = await callJson(app.baseUrl, 'invoiceEBillOutpatient', sample(busNo));
    assert.equal(issued.result, 'S0000', issued.text);
  });
  after(async () => {
    await app?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('GET /medical-web/ebill/{billBatchCode}/{billNo}.xml?random=… serves the signed fiscal XML', async () => {
    const b = issued.body!;
    const res = await fetch(url(String(b.billBatchCode), String(b.billNo), String(b.random)));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    xmlBytes = Buffer.from(await res.arrayBuffer());
    const xml = xmlBytes.toString('utf8');
    assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?><EInvoice>/);
    assert.match(xml, new RegExp(`<EInvoiceNumber>${String(b.billNo)}</EInvoiceNumber>`));
    assert.match(xml, new RegExp(`<RandomNumber>${String(b.random)}</RandomNumber>`));
    assert.match(xml, /<TotalAmount>236\.50<\/TotalAmount>/);
    assert.match(xml, /<PayerPartyName>张三<\/PayerPartyName>/);
    assert.match(xml, new RegExp(`<BizCode>${busNo}</BizCode>`));
  });

  it('404 with a wrong or missing random, a wrong number, or another extension', async () => {
    const b = issued.body!;
    const code = String(b.billBatchCode);
    const no = String(b.billNo);
    const wrong = String(b.random).replace(/^./, (c) => (c === '0' ? '1' : '0'));
    for (const u of [url(code, no, wrong), url(code, no), url(code, no, ''), url(code, no, String(b.random).toUpperCase()), url(code, String(Number(no) + 1).padStart(10, '0'), String(b.random)), url('00000000', no, String(b.random))]) {
      const res = await fetch(u);
      assert.equal(res.status, 404, u);
      const text = await res.text();
      assert.doesNotMatch(text, /<EInvoice>/, 'nothing of the bill leaks');
    }
    const pdf = await fetch(`${app.baseUrl}/medical-web/ebill/${code}/${no}.zip?random=${String(b.random)}`);
    assert.equal(pdf.status, 404);
    await pdf.arrayBuffer();
  });

  it('the download is byte-for-byte the stored document, signed text first, then the signature', async () => {
    const start = xmlBytes.indexOf('<Header>');
    const end = xmlBytes.indexOf('</EInvoiceData>') + '</EInvoiceData>'.length;
    assert.ok(start > 0 && end > start);
    const row = await app.services.bills.byBusNo(DEMO_APPID, busNo);
    assert.ok(Buffer.from(row!.fiscal_xml!, 'utf8').equals(xmlBytes), 'served exactly as stored, never re-serialised');
    assert.equal(xmlBytes.subarray(end, end + '<EInvoiceSignature>'.length).toString(), '<EInvoiceSignature>');
  });

  it('openssl pkeyutl -verify (SM3, distid 1234567812345678) accepts the SM2 signature; one changed byte is rejected; verifyP7 agrees', function () {
    if (!hasOpenssl) this.skip();
    const xml = xmlBytes.toString('utf8');
    const m = /<InvoicingPartySignature ([^>]*)>([A-Za-z0-9+/=\s]+)<\/InvoicingPartySignature>/.exec(xml);
    assert.ok(m, 'InvoicingPartySignature element');
    assert.match(m[1], /Format="DETACH"/);
    assert.match(m[1], /Algorithm="SM2"/);
    const xmlSerial = /SerialNumber="([0-9A-Fa-f]+)"/.exec(m[1])![1].toUpperCase();
    const p7 = Buffer.from(m[2].replace(/\s+/g, ''), 'base64');
    const { cert, signature, sidSerialHex } = takeApart(p7);

    // signature value: DER SEQUENCE { INTEGER r, INTEGER s }, exactly what pkeyutl -sigfile expects
    const rs = readTlv(signature);
    assert.equal(rs.tag, 0x30);
    assert.deepEqual(children(rs).map((t) => t.tag), [0x02, 0x02]);

    const start = xmlBytes.indexOf('<Header>');
    const end = xmlBytes.indexOf('</EInvoiceData>') + '</EInvoiceData>'.length;
    const content = Buffer.from(xmlBytes.subarray(start, end));
    writeFileSync(path.join(tmp, 'cert.der'), cert);
    writeFileSync(path.join(tmp, 'content'), content);
    writeFileSync(path.join(tmp, 'sig'), signature);
    const pub = openssl(tmp, ['x509', '-inform', 'DER', '-in', 'cert.der', '-pubkey', '-noout', '-out', 'pub.pem']);
    assert.equal(pub.status, 0, pub.out);
    const serial = openssl(tmp, ['x509', '-inform', 'DER', '-in', 'cert.der', '-serial', '-noout']);
    assert.equal(serial.status, 0, serial.out);
    const certSerial = /serial=([0-9A-F]+)/.exec(serial.out)![1].replace(/^0+/, '');
    assert.equal(xmlSerial.replace(/^0+/, ''), certSerial, 'SerialNumber attribute = signer certificate serial');
    assert.equal(sidSerialHex.replace(/^0+/, ''), certSerial, 'SignerInfo sid names the certificate it carries');

    const verify = (file: string) =>
      openssl(tmp, ['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-rawin', '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678', '-in', file, '-sigfile', 'sig']);
    const ok = verify('content');
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, /Signature Verified Successfully/);

    // one byte changed: the amount 236.50 → 236.51
    const i = content.indexOf('<TotalAmount>236.50</TotalAmount>') + '<TotalAmount>236.5'.length;
    assert.ok(i > 20);
    const tampered = Buffer.from(content);
    tampered[i] = '1'.charCodeAt(0);
    writeFileSync(path.join(tmp, 'tampered'), tampered);
    const bad = verify('tampered');
    assert.notEqual(bad.status, 0, 'a changed amount must not verify');
    assert.doesNotMatch(bad.out, /Signature Verified Successfully/);
    // and re-serialising (a space between elements) breaks it too: the signed bytes are the contract
    writeFileSync(path.join(tmp, 'spaced'), Buffer.from(content.toString('utf8').replace('</Header><EInvoiceData>', '</Header>\n<EInvoiceData>')));
    assert.notEqual(verify('spaced').status, 0);

    const v = verifyP7(p7, { content });
    assert.equal(v.valid, true, `${v.reason}: ${v.detail}`);
    assert.equal(v.detached, true);
    assert.equal(verifyP7(p7, { content: tampered }).valid, false);
  });

  it('the QR PNG decodes to the bill identity (only where a QR decoder is installed)', function () {
    const png = Buffer.from(String(issued.body!.billQRCode), 'base64');
    assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'a PNG');
    // No QR decoder is a dependency of this project; zbarimg is used when the machine has it.
    if (spawnSync('zbarimg', ['--version']).status !== 0) this.skip();
    writeFileSync(path.join(tmp, 'qr.png'), png);
    const r = spawnSync('zbarimg', ['--raw', '-q', path.join(tmp, 'qr.png')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const b = issued.body!;
    const fields = r.stdout.trim().split(',');
    assert.equal(fields[0], app.config.unit.eInvoiceTag);
    assert.deepEqual(fields.slice(1, 4), [b.billBatchCode, b.billNo, b.random]);
    assert.equal(fields[5], '236.50');
  });
});
