/**
 * The CMS code with real-shaped certificates from the X.509 side (demo PKI: hospital root → unit signing
 * and encryption leaves, with SKI/AKI, key usage, basicConstraints): sign → verify → chain-validate the
 * signer certificate the verifier hands back, and envelopes addressed by SubjectKeyIdentifier.
 */
import { strict as assert } from 'node:assert';
import {
  certificateDer,
  ChainValidator,
  createDetachedSigner,
  generateDemoPki,
  loadSm2PrivateKey,
  makeEnvelope,
  openEnvelope,
  ParsedKeyTransRecipient,
  parseEnvelope,
  readCmsCertificate,
  verifyP7,
} from '../../src/crypto';

describe('pkcs7 with the demo PKI certificates', function () {
  this.timeout(60_000);
  const pki = generateDemoPki();
  const unitKey = loadSm2PrivateKey(pki.unitSigning.privateKey);
  const unitCert = certificateDer(pki.unitSigning.certificatePem);
  const text = Buffer.from('<Header><BillCode>12345678</BillCode></Header><EInvoiceData>…</EInvoiceData>', 'utf8');

  it('fast detached signature → verifyP7 → the returned signer certificate chains to the hospital root', async () => {
    const sign = createDetachedSigner({ privateKey: unitKey, certDer: unitCert, signedAttributes: true });
    const r = verifyP7(sign(text), { content: text });
    assert.equal(r.reason, 'ok', r.detail);
    assert.equal(r.signerSerial, pki.unitSigning.serialHex.toUpperCase());
    assert.ok(r.signerCert);
    const chain = new ChainValidator({ trustRoots: [pki.rootCa.certificatePem] });
    const v = await chain.validate(r.signerCert, { purpose: 'signing', extraCertificates: r.certificates });
    assert.equal(v.code, 'OK', v.reason);
    // the finance root alone does not vouch for the hospital's signer
    const wrong = await new ChainValidator({ trustRoots: [pki.financeCa.certificatePem] }).validate(r.signerCert, { purpose: 'signing' });
    assert.equal(wrong.ok, false);
  });

  it('an envelope to the unit encryption certificate by SKI opens with its key and names the right SKI', () => {
    const encCert = certificateDer(pki.unitEncryption.certificatePem);
    const der = makeEnvelope(text, encCert, { recipientId: 'ski' });
    const p = parseEnvelope(der);
    assert.ok(p.ok);
    const rid = (p.value.recipients[0] as ParsedKeyTransRecipient).rid;
    assert.equal(rid.type, 'ski');
    if (rid.type === 'ski') assert.ok(rid.ski.equals(readCmsCertificate(encCert).subjectKeyIdentifier ?? Buffer.alloc(0)));
    const o = openEnvelope(der, { privateKey: loadSm2PrivateKey(pki.unitEncryption.privateKey), certDer: encCert });
    assert.ok(o.ok && o.content.equals(text));
    // the signing certificate is not the recipient
    const wrong = openEnvelope(der, { privateKey: unitKey, certDer: unitCert });
    assert.equal(wrong.ok ? 'opened' : wrong.reason, 'no-matching-recipient');
  });
});
