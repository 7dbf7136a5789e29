/**
 * The signature server's output checked by OpenSSL 3 (an independent GM implementation): an SVS_SignData
 * SM2 signature verifies with `openssl pkeyutl -verify … -digest sm3 -pkeyopt distid:1234567812345678`,
 * the certificate SVS_ExportCert returns parses with `openssl x509`, and its chain (the CA certificate
 * SVS_SignMessage adds with isCertificateChain) passes `openssl verify -vfyopt distid:1234567812345678`.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { certificateToPem, verifyP7 } from '../../src/crypto';
import { b64, callSvs, startTestSvs, TestSvs } from './helpers';

function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}

describe('svs output verified by OpenSSL 3', function () {
  this.timeout(60_000);
  let svs: TestSvs;
  let dir: string;
  const file = (name: string, content: string | Buffer): string => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const openssl = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  before(async function () {
    if (!opensslAvailable()) this.skip();
    dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-svs-openssl-'));
    svs = await startTestSvs();
  });
  after(async () => {
    await svs?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('openssl x509 parses the exported certificate', async () => {
    const r = await callSvs(svs.endpoint, 'SVS_ExportCert', { keyIndex: 1 });
    const der = file('unit.der', b64(r.fields.cert));
    const out = openssl(['x509', '-inform', 'DER', '-in', der, '-noout', '-text']);
    assert.equal(out.status, 0, out.out);
    assert.match(out.out, /Signature Algorithm: SM2-with-SM3/);
    assert.match(out.out, /Digital Signature, Non Repudiation/);
    assert.match(out.out, new RegExp(`URI:http://127.0.0.1:${svs.port}/crl/root.crl`));
    const serial = openssl(['x509', '-inform', 'DER', '-in', der, '-noout', '-serial']);
    assert.equal(serial.out.trim().replace(/^serial=/, '').toLowerCase().replace(/^0+/, ''), svs.pki.unitSigning.serialHex.replace(/^0+/, ''));
  });

  it('openssl verify passes the chain (the CA certificate the SVS includes with isCertificateChain)', async () => {
    const signed = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data: Buffer.from('x'), isCertificateChain: true });
    const v = verifyP7(b64(signed.fields.signedMessage), { content: Buffer.from('x') });
    assert.equal(v.certificates.length, 2);
    // DER SET OF sorts the certificates, so pick the signer's by identity rather than position.
    const ca = v.certificates.find((c) => !c.equals(v.signerCert as Buffer)) as Buffer;
    const leaf = file('leaf.pem', certificateToPem(v.signerCert as Buffer));
    const root = file('root.pem', certificateToPem(ca));
    // OpenSSL 3.0 checks SM2 certificate signatures with an empty ID unless given the GM/T 0009 default.
    const out = openssl(['verify', '-vfyopt', 'distid:1234567812345678', '-CAfile', root, leaf]);
    assert.equal(out.status, 0, out.out);
    assert.match(out.out, /: OK/);
    const stranger = openssl(['verify', '-vfyopt', 'distid:1234567812345678', '-CAfile', leaf, leaf]);
    assert.notEqual(stranger.status, 0, 'the leaf alone is not a trust anchor');
  });

  it('openssl pkeyutl verifies an SVS_SignData SM2 signature (SM3, distid 1234567812345678), and rejects a changed message', async () => {
    const data = Buffer.from('<Header>医疗门诊收费票据</Header><EInvoiceData>236.50</EInvoiceData>', 'utf8');
    const sig = await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 1, data });
    assert.equal(sig.fields.result, '0', sig.fields.message);
    const cert = await callSvs(svs.endpoint, 'SVS_ExportCert', { keyIndex: 1 });
    const certPem = file('signer.pem', certificateToPem(b64(cert.fields.cert)));
    const pub = openssl(['x509', '-in', certPem, '-pubkey', '-noout']);
    assert.equal(pub.status, 0, pub.out);
    const pubPem = file('pub.pem', pub.out);
    const sigFile = file('sig.der', b64(sig.fields.signature));
    const verify = (msg: Buffer) =>
      openssl(['pkeyutl', '-verify', '-pubin', '-inkey', pubPem, '-rawin', '-in', file('msg.bin', msg), '-sigfile', sigFile, '-digest', 'sm3', '-pkeyopt', 'distid:1234567812345678']);
    const ok = verify(data);
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, /Signature Verified Successfully/);
    const bad = verify(Buffer.concat([data, Buffer.from(' ')]));
    assert.notEqual(bad.status, 0);
  });
});
