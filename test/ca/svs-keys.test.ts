/**
 * Production-style keys for the embedded SVS: key indexes backed by PEM files (certificate, private key,
 * issuing CA) instead of the demo PKI — an encrypted SM2 key whose passphrase comes from the environment
 * and an RSA key from another CA — with that CA configured as an extra trust root.
 */
import { strict as assert } from 'node:assert';
import { createPrivateKey, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { certificateToPem, sm2PrivateKey, sm2PrivateKeyToPem, verifyData, verifyP7 } from '../../src/crypto';
import { SGD } from '../../adapters/ca/svs/operations';
import { SVS_CODES } from '../../adapters/ca/svs/codes';
import { makeCert, makeRoot } from '../helpers/pki-fixtures';
import { b64, callSvs, startTestSvs, tempDir, testApplications, TestSvs } from './helpers';

describe('svs keys from PEM files (SM2 encrypted with a passphrase, RSA from another CA)', function () {
  this.timeout(60_000);
  const dir = tempDir('medbill-svs-keys-');
  const rsaRoot = makeRoot('Other RSA CA', { kind: 'rsa' });
  const rsaLeaf = makeCert(rsaRoot, 'RSA signer', { keyUsage: ['digitalSignature', 'nonRepudiation'] });
  const smRoot = makeRoot('Hospital SM2 CA');
  const smLeaf = makeCert(smRoot, 'SM2 signer from a file');
  let svs: TestSvs;

  before(async () => {
    if (rsaLeaf.key.kind !== 'rsa' || smLeaf.key.kind !== 'sm2') throw new Error('fixture key kinds');
    const rsaPem = path.join(dir, 'rsa.pem');
    writeFileSync(rsaPem, certificateToPem(rsaLeaf.cert.der) + rsaLeaf.key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() + certificateToPem(rsaRoot.cert.der));
    const smPem = path.join(dir, 'sm2.pem');
    // An encrypted PKCS#8 SM2 key, as a CA hands it out: Node encrypts what sm2PrivateKeyToPem produced.
    const plain = sm2PrivateKeyToPem(sm2PrivateKey(smLeaf.key.privateKey, smLeaf.key.publicKey));
    const encrypted = createPrivateKey(plain).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'key-file-passphrase' }).toString();
    writeFileSync(smPem, certificateToPem(smRoot.cert.der) + encrypted + certificateToPem(smLeaf.cert.der));
    const rootsPem = path.join(dir, 'roots.pem');
    writeFileSync(rootsPem, certificateToPem(rsaRoot.cert.der) + certificateToPem(smRoot.cert.der));
    process.env.MEDBILL_TEST_SVS_PASSPHRASE = 'key-file-passphrase';
    const apps = testApplications().map((a) => (a.appName === 'medbill' ? { ...a, keyIndexes: [1, 2, 10, 20] } : a));
    svs = await startTestSvs({
      svs: {
        keys: [
          { index: 1, demo: 'unitSigning' },
          { index: 2, demo: 'unitEncryption' },
          { index: 10, file: rsaPem },
          { index: 20, file: smPem, passphraseEnv: 'MEDBILL_TEST_SVS_PASSPHRASE' },
        ],
        applications: apps,
        validation: { revocation: 'none', trustRoots: [rootsPem] },
      },
    });
  });
  after(async () => {
    delete process.env.MEDBILL_TEST_SVS_PASSPHRASE;
    await svs?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const data = Buffer.from('<Header>x</Header><EInvoiceData>y</EInvoiceData>');

  it('exports the file certificates by key index (the leaf, whatever its position in the file)', async () => {
    assert.ok(b64((await callSvs(svs.endpoint, 'SVS_ExportCert', { keyIndex: 10 })).fields.cert).equals(rsaLeaf.cert.der));
    assert.ok(b64((await callSvs(svs.endpoint, 'SVS_ExportCert', { keyIndex: 20 })).fields.cert).equals(smLeaf.cert.der));
  });

  it('signs with the decrypted SM2 file key', async () => {
    const r = await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 20, data });
    assert.equal(r.fields.result, '0', r.fields.message);
    assert.ok(verifyData(data, b64(r.fields.signature), { kind: 'sm2', hex: (smLeaf.cert.publicKey as { hex: string }).hex }));
    const p7 = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 20, data, isCertificateChain: true });
    const v = verifyP7(b64(p7.fields.signedMessage), { content: data });
    assert.equal(v.valid, true, v.detail);
    assert.equal(v.certificates.length, 2);
  });

  it('signs with the RSA key: PKCS#1 v1.5 with the method asked for, and RSA PKCS#7', async () => {
    const spki = createPublicKey(certificateToPem(rsaLeaf.cert.der));
    const sha256 = await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 10, data, method: SGD.SHA256_RSA });
    assert.ok(nodeVerify('sha256', data, spki, b64(sha256.fields.signature)));
    const sha1 = await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 10, data, method: SGD.SHA1_RSA });
    assert.ok(nodeVerify('sha1', data, spki, b64(sha1.fields.signature)));
    const sm2Method = await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 10, data, method: SGD.SM3_SM2 });
    assert.equal(Number(sm2Method.fields.result), SVS_CODES.ALG_NOT_SUPPORTED.code);
    const p7 = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 10, data, method: SGD.SHA1_RSA });
    const v = verifyP7(b64(p7.fields.signedMessage), { content: data });
    assert.equal(v.valid, true, v.detail);
    assert.equal(v.form, 'rsa');
    assert.equal(v.digestAlgorithm, '1.3.14.3.2.26');
    const verified = await callSvs(svs.endpoint, 'SVS_VerifySignedMessage', { signedMessage: b64(p7.fields.signedMessage), data, verifyLevel: 1 });
    assert.equal(verified.fields.result, '0', verified.fields.message);
  });

  it('validates certificates of the extra trust roots', async () => {
    for (const cert of [rsaLeaf.cert.der, smLeaf.cert.der]) {
      const r = await callSvs(svs.endpoint, 'SVS_ValidateCert', { cert });
      assert.equal(r.fields.certState, '1', r.fields.message);
    }
  });
});
