/**
 * Every SVS operation through SOAP over real HTTP against the embedded signature server, with requests
 * written by hand (not by medbill's client), checked with the crypto core on this side: what the server
 * signs verifies here, what it says about a certificate agrees with the demo PKI, envelopes round-trip.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { SVS_CODES } from '../../adapters/ca/svs/codes';
import { SGD } from '../../adapters/ca/svs/operations';
import {
  certificateDer,
  demoCertificate,
  makeEnvelope,
  parseCrl,
  parseP7,
  queryOcsp,
  sm2Digest,
  verifyCrl,
  verifyData,
  verifyP7,
} from '../../src/crypto';
import { makeSm2TestCert } from '../crypto/helpers/test-cert';
import { b64, callSvs, startTestSvs, TestSvs, vector } from './helpers';

const C = SVS_CODES;
const data = Buffer.from('<Header>医疗收费票据</Header><EInvoiceData>236.50</EInvoiceData>', 'utf8');

describe('svs operations over SOAP (embedded SVS, real HTTP)', function () {
  this.timeout(60_000);
  let svs: TestSvs;
  let unitCert: Buffer;
  let encCert: Buffer;
  let revokedCert: Buffer;

  before(async () => {
    // The demo encryption certificate is listed as revoked so SVS_ValidateCert has one of each.
    const probe = await startTestSvs();
    const serial = probe.pki.unitEncryption.serialHex;
    const dir = probe.dir;
    const port = probe.port;
    await probe.halt();
    svs = await startTestSvs({ svs: { demoCa: { revoked: [{ serial, reason: 'keyCompromise', at: '2026-01-01T00:00:00Z' }] } } }, { dir, port });
    unitCert = certificateDer(svs.pki.unitSigning.certificatePem);
    encCert = certificateDer(svs.pki.unitEncryption.certificatePem);
    revokedCert = encCert;
  });
  after(async () => {
    await svs.stop();
  });

  it('SVS_ExportCert returns the certificate of the key index (the demo unit signing certificate)', async () => {
    const r = await callSvs(svs.endpoint, 'SVS_ExportCert', { keyIndex: 1 });
    assert.equal(r.fields.result, '0', r.fields.message);
    assert.ok(b64(r.fields.cert).equals(unitCert));
    const missing = await callSvs(svs.endpoint, 'SVS_ExportCert', { keyIndex: 7 });
    assert.equal(Number(missing.fields.result), C.KEY_DENIED.code, 'index 7 is not among the demo account key indexes');
  });

  it('SVS_ParseCert reads GM/T 0006 items; an unknown item number is refused by code', async () => {
    const cert = demoCertificate(svs.pki.unitSigning);
    const item = async (n: number) => callSvs(svs.endpoint, 'SVS_ParseCert', { cert: unitCert, infoType: n });
    assert.equal((await item(0x02)).fields.info, cert.serialHex.toUpperCase());
    assert.equal((await item(0x07)).fields.info, cert.subject.text);
    assert.equal((await item(0x31)).fields.info, 'medbill 演示医院 签名');
    assert.equal((await item(0x21)).fields.info, 'medbill 演示根CA');
    assert.equal((await item(0x13)).fields.info, 'digitalSignature,nonRepudiation');
    assert.equal((await item(0x06)).fields.info, `${cert.notBefore.toISOString()}/${cert.notAfter.toISOString()}`);
    assert.match((await item(0x1a)).fields.info, new RegExp(`http://127.0.0.1:${svs.port}/crl/root.crl`));
    const bad = await item(0x99);
    assert.equal(Number(bad.fields.result), C.NOT_SUPPORTED.code);
    assert.match(bad.fields.message, /0x99/);
  });

  it('SVS_ValidateCert: valid via the CRL this server publishes, revoked, OCSP, untrusted, malformed', async () => {
    const ok = await callSvs(svs.endpoint, 'SVS_ValidateCert', { cert: unitCert });
    assert.equal(ok.fields.result, '0', ok.fields.message);
    assert.equal(ok.fields.certState, '1');
    const revoked = await callSvs(svs.endpoint, 'SVS_ValidateCert', { cert: revokedCert });
    assert.equal(Number(revoked.fields.result), C.CERT_NOT_VALID.code);
    assert.equal(revoked.fields.certState, '-3');
    assert.match(revoked.fields.message, /吊销/);
    const viaOcsp = await callSvs(svs.endpoint, 'SVS_ValidateCert', { cert: revokedCert, ocsp: true });
    assert.equal(viaOcsp.fields.certState, '-3');
    assert.match(viaOcsp.fields.message, /OCSP/);
    const goodOcsp = await callSvs(svs.endpoint, 'SVS_ValidateCert', { cert: unitCert, ocsp: true });
    assert.equal(goodOcsp.fields.certState, '1', goodOcsp.fields.message);
    const stranger = await callSvs(svs.endpoint, 'SVS_ValidateCert', { cert: makeSm2TestCert({ commonName: 'stranger' }).certDer });
    assert.equal(stranger.fields.certState, '-1');
    const junk = await callSvs(svs.endpoint, 'SVS_ValidateCert', { cert: Buffer.from('not a certificate') });
    assert.equal(Number(junk.fields.result), C.CERT_MALFORMED.code);
  });

  it('SVS_SignData signs SM2 over SM3(Z‖data) that verifies here; SVS_VerifySignedData by certificate and by serial', async () => {
    const r = await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 1, method: SGD.SM3_SM2, data });
    assert.equal(r.fields.result, '0', r.fields.message);
    const sig = b64(r.fields.signature);
    assert.ok(verifyData(data, sig, { kind: 'sm2', hex: svs.pki.unitSigning.publicKey }));
    const byCert = await callSvs(svs.endpoint, 'SVS_VerifySignedData', { type: 1, cert: unitCert, data, signature: sig, verifyLevel: 2 });
    assert.equal(byCert.fields.result, '0', byCert.fields.message);
    const bySn = await callSvs(svs.endpoint, 'SVS_VerifySignedData', { type: 2, certSN: svs.pki.unitSigning.serialHex.toUpperCase(), data, signature: sig });
    assert.equal(bySn.fields.result, '0', bySn.fields.message);
    const tampered = await callSvs(svs.endpoint, 'SVS_VerifySignedData', { type: 1, cert: unitCert, data: Buffer.concat([data, Buffer.from('x')]), signature: sig });
    assert.equal(Number(tampered.fields.result), C.SIGNATURE_INVALID.code);
    const rsaMethod = await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 1, method: SGD.SHA256_RSA, data });
    assert.equal(Number(rsaMethod.fields.result), C.ALG_NOT_SUPPORTED.code);
  });

  it('SVS_SignMessage: detached (the e-bill form), attached, with signed attributes, with the chain, without certificates', async () => {
    const sign = async (f: Record<string, boolean>) => {
      const r = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data, ...f });
      assert.equal(r.fields.result, '0', r.fields.message);
      return b64(r.fields.signedMessage);
    };
    const detached = await sign({});
    const v = verifyP7(detached, { content: data });
    assert.equal(v.valid, true, v.detail);
    assert.equal(v.detached, true);
    assert.equal(v.signedAttributes, false);
    assert.equal(v.certificates.length, 1);
    assert.equal(v.signerSerial, svs.pki.unitSigning.serialHex.toUpperCase());

    const attached = verifyP7(await sign({ isOriginalText: true }));
    assert.equal(attached.valid, true, attached.detail);
    assert.ok(attached.content?.equals(data));

    const withAttrs = verifyP7(await sign({ isAuthenticationAttributes: true }), { content: data });
    assert.equal(withAttrs.valid, true, withAttrs.detail);
    assert.equal(withAttrs.signedAttributes, true);
    assert.ok(withAttrs.signingTime && Math.abs(withAttrs.signingTime.getTime() - Date.now()) < 60_000);

    assert.equal(verifyP7(await sign({ isCertificateChain: true }), { content: data }).certificates.length, 2);
    const bare = await sign({ includeCert: false });
    assert.equal(verifyP7(bare, { content: data }).reason, 'no-signer-cert');
    assert.equal(verifyP7(bare, { content: data, certificates: [unitCert] }).valid, true);

    const hashFlag = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data, isHashFlag: true });
    assert.equal(Number(hashFlag.fields.result), C.NOT_SUPPORTED.code);
  });

  it('SVS_VerifySignedMessage: detached with data, attached, tampered, and the BJCA vector (expired in 2024)', async () => {
    const signed = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data });
    const p7 = b64(signed.fields.signedMessage);
    const ok = await callSvs(svs.endpoint, 'SVS_VerifySignedMessage', { signedMessage: p7, data, verifyLevel: 2 });
    assert.equal(ok.fields.result, '0', ok.fields.message);
    assert.equal(ok.fields.signerSerial, svs.pki.unitSigning.serialHex.toUpperCase());
    assert.ok(b64(ok.fields.signerCert).equals(unitCert));
    assert.equal(ok.fields.originalText, undefined);

    const missing = await callSvs(svs.endpoint, 'SVS_VerifySignedMessage', { signedMessage: p7 });
    assert.equal(Number(missing.fields.result), C.MESSAGE_MALFORMED.code);
    assert.match(missing.fields.message, /missing-content/);
    const tampered = await callSvs(svs.endpoint, 'SVS_VerifySignedMessage', { signedMessage: p7, data: Buffer.from('other') });
    assert.equal(Number(tampered.fields.result), C.SIGNATURE_INVALID.code);

    // The real BJCA SVS output: the signature verifies; its certificate (Beijing SM2 CA) expired on 2024-02-08,
    // so "valid now" fails with the certificate named, and "valid when signed" passes.
    const bjca = vector('bjca_p7sign.b64');
    const now = await callSvs(svs.endpoint, 'SVS_VerifySignedMessage', { signedMessage: bjca });
    assert.equal(Number(now.fields.result), C.CERT_NOT_VALID.code);
    assert.match(now.fields.message, /过期.*2024-02-08/);
    const then = await callSvs(svs.endpoint, 'SVS_VerifySignedMessage', { signedMessage: bjca, verifyTime: '2023-06-01T00:00:00Z' });
    assert.equal(then.fields.result, '0', then.fields.message);
    assert.equal(then.fields.signerSerial, '1A100000000010B3DA44');
    assert.equal(b64(then.fields.originalText).toString('latin1'), vector('bjca_env1.b64').toString('base64'));
    const chained = await callSvs(svs.endpoint, 'SVS_VerifySignedMessage', { signedMessage: bjca, verifyTime: '2023-06-01T00:00:00Z', verifyLevel: 1 });
    assert.equal(Number(chained.fields.result), C.CERT_NOT_VALID.code, 'Beijing SM2 CA is not one of our trust roots');
  });

  it('SVS_MakeEnvelope / SVS_OpenEnvelope round-trip with the encryption key; the signing key may not decrypt', async () => {
    const made = await callSvs(svs.endpoint, 'SVS_MakeEnvelope', { cert: encCert, data });
    assert.equal(made.fields.result, '0', made.fields.message);
    const env = b64(made.fields.envelope);
    const opened = await callSvs(svs.endpoint, 'SVS_OpenEnvelope', { keyIndex: 2, envelope: env });
    assert.equal(opened.fields.result, '0', opened.fields.message);
    assert.ok(b64(opened.fields.data).equals(data));
    const local = makeEnvelope(data, encCert);
    assert.ok(b64((await callSvs(svs.endpoint, 'SVS_OpenEnvelope', { keyIndex: 2, envelope: local })).fields.data).equals(data), 'an envelope made here opens there');
    const wrongKey = await callSvs(svs.endpoint, 'SVS_OpenEnvelope', { keyIndex: 1, envelope: env });
    assert.equal(Number(wrongKey.fields.result), C.KEY_USAGE.code);
    const garbage = await callSvs(svs.endpoint, 'SVS_OpenEnvelope', { keyIndex: 2, envelope: Buffer.from('garbage') });
    assert.equal(Number(garbage.fields.result), C.ENVELOPE_FAILED.code);
  });

  it('SVS_Hash: SM3 (default), SHA-256, and SM2 preprocessing SM3(Z‖M) with a certificate', async () => {
    const sm3 = await callSvs(svs.endpoint, 'SVS_Hash', { data });
    assert.ok(b64(sm3.fields.hash).equals(createHash('sm3').update(data).digest()));
    const sha = await callSvs(svs.endpoint, 'SVS_Hash', { data, method: SGD.SHA256 });
    assert.ok(b64(sha.fields.hash).equals(createHash('sha256').update(data).digest()));
    const z = await callSvs(svs.endpoint, 'SVS_Hash', { data, cert: unitCert });
    assert.ok(b64(z.fields.hash).equals(sm2Digest(data, svs.pki.unitSigning.publicKey)));
    assert.equal(Number((await callSvs(svs.endpoint, 'SVS_Hash', { data, method: 0x99 })).fields.result), C.ALG_NOT_SUPPORTED.code);
  });

  it('SVS_GenRandom returns the bytes asked for, within 1–4096', async () => {
    const r = await callSvs(svs.endpoint, 'SVS_GenRandom', { length: 48 });
    assert.equal(b64(r.fields.random).length, 48);
    assert.equal(Number((await callSvs(svs.endpoint, 'SVS_GenRandom', { length: 0 })).fields.result), C.BAD_REQUEST.code);
    assert.equal(Number((await callSvs(svs.endpoint, 'SVS_GenRandom', { length: 5000 })).fields.result), C.BAD_REQUEST.code);
  });

  it('speaks SOAP 1.2 as well (application/soap+xml in, 1.2 envelope out)', async () => {
    const r = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data }, '1.2');
    assert.equal(r.status, 200);
    assert.match(r.body, /http:\/\/www\.w3\.org\/2003\/05\/soap-envelope/);
    assert.equal(verifyP7(b64(r.fields.signedMessage), { content: data }).valid, true);
  });

  it('serves the demo root CRL and OCSP named in the demo certificates', async () => {
    const res = await fetch(`http://127.0.0.1:${svs.port}/crl/root.crl`);
    assert.equal(res.status, 200);
    const crl = parseCrl(Buffer.from(await res.arrayBuffer()));
    assert.ok(crl.ok);
    const root = demoCertificate(svs.pki.rootCa);
    assert.ok(verifyCrl(crl.value, root).ok);
    assert.deepEqual([...crl.value.revoked.keys()], [svs.pki.unitEncryption.serialHex]);
    const status = await queryOcsp(`http://127.0.0.1:${svs.port}/ocsp`, demoCertificate(svs.pki.unitSigning), root);
    assert.ok(status.ok, JSON.stringify(status));
    assert.equal(status.status.status, 'good');
  });

  it('detached SignedData from the server has the structure the fiscal XML expects (GM OIDs, SM3, SM2-1)', async () => {
    const r = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data });
    const p = parseP7(b64(r.fields.signedMessage));
    assert.ok(p.ok);
    assert.equal(p.value.form, 'gm');
    assert.equal(p.value.detached, true);
    assert.equal(p.value.signers[0].digestAlgorithm, '1.2.156.10197.1.401');
    assert.equal(p.value.signers[0].signatureAlgorithm, '1.2.156.10197.1.301.1');
  });
});
