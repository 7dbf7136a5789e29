/**
 * Real signature-server output (test/fixtures/vectors): the BJCA SVS SignedData must verify, every corruption of
 * it must be refused with a reason and without an exception, and both EnvelopedData blobs must parse
 * into the fields their asn1parse dump shows.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, EnvelopedData, SignedData } from '@peculiar/asn1-cms';
import { OID, openEnvelope, ParsedKeyTransRecipient, parseEnvelope, parseP7, readCmsCertificate, verifyP7 } from '../../src/crypto';
import { vector, VECTORS_DIR } from '../helpers/fixtures';
import { makeSm2TestCert } from './helpers/test-cert';


describe('crypto vectors: BJCA SVS SignedData (bjca_p7sign.b64)', () => {
  const p7 = vector('bjca_p7sign.b64');

  it('verifies, with the signer and content the dump shows', () => {
    const r = verifyP7(p7);
    assert.equal(r.reason, 'ok', r.detail);
    assert.equal(r.valid, true);
    assert.equal(r.form, 'gm');
    assert.equal(r.contentType, OID.gmData);
    assert.equal(r.detached, false);
    assert.equal(r.signedAttributes, false);
    assert.equal(r.digestAlgorithm, OID.sm3);
    assert.equal(r.signatureAlgorithm, OID.sm2Sign);
    assert.equal(r.signerSerial, '1A100000000010B3DA44');
    assert.equal(r.signerIssuer, 'C=CN, O=BJCA, OU=BJCA, CN=Beijing SM2 CA');
    assert.match(r.signerSubject ?? '', /CN=sm2test/);
    assert.equal(r.signers.length, 1);
    assert.equal(r.certificates.length, 1);
    // the certificate handed back is the embedded one, byte for byte (SEQUENCE at offset 503, 4 + 1112 bytes per asn1parse)
    assert.ok(r.signerCert?.equals(p7.subarray(503, 503 + 4 + 1112)));
    // what BJCA signed was the base64 text of the bjca_env1 envelope
    assert.equal(r.content?.toString('latin1'), readFileSync(join(VECTORS_DIR, 'bjca_env1.b64'), 'utf8').trim());
  });

  it('verifies the same bytes as a detached signature when the content is supplied separately', () => {
    const content = parseP7(p7);
    assert.ok(content.ok);
    const r = verifyP7(p7, { content: content.value.content });
    assert.equal(r.valid, true);
  });

  it('fails with signature-invalid when one bit of the content is flipped', () => {
    const bad = Buffer.from(p7);
    bad[63 + 4 + 100] ^= 0x01; // inside the eContent OCTET STRING (value starts at 67)
    const r = verifyP7(bad);
    assert.equal(r.valid, false);
    assert.equal(r.reason, 'signature-invalid');
    assert.equal(r.signerSerial, '1A100000000010B3DA44', 'the signer is still identified');
  });

  it('fails with signature-invalid when one bit of the signature value is flipped', () => {
    const bad = Buffer.from(p7);
    bad[p7.length - 10] ^= 0x01; // inside s of SEQUENCE{r,s}
    assert.equal(verifyP7(bad).reason, 'signature-invalid');
  });

  it('fails with signature-invalid when one bit of the signer public key is flipped', () => {
    const bad = Buffer.from(p7);
    bad[807 + 2 + 40] ^= 0x01; // inside the certificate's subjectPublicKey BIT STRING (offset 807)
    const r = verifyP7(bad);
    assert.equal(r.valid, false);
    // a flipped coordinate is (almost surely) off the curve
    assert.equal(r.reason, 'bad-structure');
    assert.match(r.detail, /not a valid SM2 point/);
  });

  it('fails with unsupported-algorithm when the SignerInfo digest OID is changed', () => {
    const bad = Buffer.from(p7);
    assert.equal(bad.subarray(1714, 1716).toString('hex'), '0608'); // SignerInfo digestAlgorithm OID (SM3)
    bad[1723] ^= 0x01; // last arc 401 → 400
    const r = verifyP7(bad);
    assert.equal(r.reason, 'unsupported-algorithm');
  });

  it('fails with no-signer-cert when the serial in the SignerInfo is changed', () => {
    const bad = Buffer.from(p7);
    bad[1711] ^= 0x01; // last byte of the sid serial INTEGER (offset 1700, 10 bytes)
    const r = verifyP7(bad);
    assert.equal(r.reason, 'no-signer-cert');
    assert.match(r.detail, /Beijing SM2 CA/);
  });

  it('never throws and never accepts a flip in the content, SignerInfo or public key (all 1815 positions)', () => {
    const protectedRanges: Array<[number, number]> = [
      [67, 67 + 432], // eContent
      [807, 807 + 68], // subjectPublicKey
      [1619, 1630], // signerInfos headers, version
      [1700, p7.length], // sid serial, digest and signature algorithms, signature
      // (not the sid issuer name: a flip that keeps the name readable still points at the same certificate)
    ];
    let invalid = 0;
    for (let i = 0; i < p7.length; i++) {
      const bad = Buffer.from(p7);
      bad[i] ^= 0x04;
      const r = verifyP7(bad); // must not throw
      assert.equal(typeof r.reason, 'string');
      if (!r.valid) invalid++;
      if (protectedRanges.some(([a, b]) => i >= a && i < b)) assert.equal(r.valid, false, `flip at ${i} accepted`);
    }
    assert.ok(invalid > 600, `only ${invalid} corruptions detected`);
  });

  it('reports bad-structure for truncation, trailing bytes, empty input and an envelope', () => {
    assert.equal(verifyP7(p7.subarray(0, p7.length - 1)).reason, 'bad-structure');
    assert.equal(verifyP7(Buffer.concat([p7, Buffer.from([0])])).reason, 'bad-structure');
    assert.equal(verifyP7(Buffer.alloc(0)).reason, 'bad-structure');
    assert.equal(verifyP7(Buffer.from('not der at all')).reason, 'bad-structure');
    const env = verifyP7(vector('bjca_env1.b64'));
    assert.equal(env.reason, 'bad-structure');
    assert.match(env.detail, /not SignedData/);
  });

  it('agrees with @peculiar/asn1-cms on the structure', () => {
    const ci = AsnConvert.parse(p7, ContentInfo);
    const sd = AsnConvert.parse(ci.content, SignedData);
    const ours = parseP7(p7);
    assert.ok(ours.ok);
    assert.equal(ci.contentType, OID.gmSignedData);
    assert.equal(ours.value.version, sd.version);
    assert.deepEqual(ours.value.digestAlgorithms, [...sd.digestAlgorithms].map((a) => a.algorithm));
    assert.equal(ours.value.signers[0].signatureAlgorithm, sd.signerInfos[0].signatureAlgorithm.algorithm);
    assert.ok(ours.value.signers[0].signature.equals(Buffer.from(sd.signerInfos[0].signature.buffer)));
  });
});

describe('crypto vectors: GM/T 0010 EnvelopedData (bjca_env1.b64, nhsa_env2.b64)', () => {
  const cases = [
    {
      file: 'bjca_env1.b64',
      issuer: 'C=CN, O=BJCA, OU=BJCA, CN=Beijing SM2 CA',
      serial: '1A100000000010B3DA44',
      contentAlg: OID.sm4Cbc,
      iv: '81a724a7d513bb72fd29850d8e4ba538',
      ciphertextLength: 16,
    },
    {
      file: 'nhsa_env2.b64',
      issuer: 'C=CN, O=NHSA, CN=Private Certificate Authority Of NHSA SM2',
      serial: '2136E7AF168F2898',
      contentAlg: OID.sm4,
      iv: '9f139071667fc38b1a69fd715e16578b',
      ciphertextLength: 768,
    },
  ];

  for (const c of cases) {
    it(`${c.file} parses: recipient, SM2 key transport, SM4 content algorithm, IV, ciphertext`, () => {
      const der = vector(c.file);
      const r = parseEnvelope(der);
      assert.ok(r.ok, r.ok ? '' : r.detail);
      const env = r.value;
      assert.equal(env.form, 'gm');
      assert.equal(env.version, 0);
      assert.equal(env.contentType, OID.gmData);
      assert.equal(env.contentEncryptionAlgorithm, c.contentAlg);
      assert.equal(env.iv?.toString('hex'), c.iv);
      assert.equal(env.ciphertextLength, c.ciphertextLength);
      assert.equal(env.ciphertextLength % 16, 0);
      assert.equal(env.recipients.length, 1);
      const ri = env.recipients[0] as ParsedKeyTransRecipient;
      assert.equal(ri.kind, 'ktri');
      assert.equal(ri.version, 0);
      assert.equal(ri.keyEncryptionAlgorithm, OID.sm2Encrypt);
      assert.equal(ri.rid.type, 'issuerSerial');
      if (ri.rid.type === 'issuerSerial') {
        assert.equal(ri.rid.issuer, c.issuer);
        assert.equal(ri.rid.serialHex, c.serial);
      }
      assert.equal(ri.encryptedKey.length, 123);
      assert.ok(ri.sm2Cipher, 'encryptedKey is a GM/T 0009 SM2Cipher');
      assert.equal(ri.sm2Cipher.hash.length, 32);
      assert.equal(ri.sm2Cipher.cipherText.length, 16, 'a 128-bit SM4 key');

      // cross-check with the generic CMS schema
      const ci = AsnConvert.parse(der, ContentInfo);
      const ed = AsnConvert.parse(ci.content, EnvelopedData);
      assert.equal(ed.encryptedContentInfo.contentEncryptionAlgorithm.algorithm, c.contentAlg);
      assert.equal(ed.recipientInfos[0].ktri?.keyEncryptionAlgorithm.algorithm, OID.sm2Encrypt);
    });

    it(`${c.file}: opening without the recipient's key fails with a reason, not an exception`, () => {
      const someone = makeSm2TestCert();
      const der = vector(c.file);
      const withCert = openEnvelope(der, { privateKey: someone.key, certDer: someone.certDer });
      assert.deepEqual(withCert.ok ? 'opened' : withCert.reason, 'no-matching-recipient');
      const blind = openEnvelope(der, { privateKey: someone.key });
      assert.deepEqual(blind.ok ? 'opened' : blind.reason, 'key-decrypt-failed');
    });
  }

  it('bjca_env1 is addressed to the same certificate that made bjca_p7sign', () => {
    const signer = verifyP7(vector('bjca_p7sign.b64'));
    assert.ok(signer.signerCert);
    const env = parseEnvelope(vector('bjca_env1.b64'));
    assert.ok(env.ok);
    const rid = (env.value.recipients[0] as ParsedKeyTransRecipient).rid;
    const cert = readCmsCertificate(signer.signerCert);
    assert.equal(rid.type, 'issuerSerial');
    if (rid.type === 'issuerSerial') {
      assert.ok(rid.issuerDer.equals(cert.issuerDer));
      assert.ok(rid.serial.equals(cert.serial));
    }
  });

  it('reports bad-structure for corrupt envelopes and for a SignedData', () => {
    const der = vector('nhsa_env2.b64');
    for (const bad of [der.subarray(0, 200), Buffer.concat([der, Buffer.from([1, 2])]), vector('bjca_p7sign.b64'), Buffer.alloc(3)]) {
      const r = parseEnvelope(bad);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.reason, 'bad-structure');
    }
    for (let i = 0; i < der.length; i += 7) {
      const bad = Buffer.from(der);
      bad[i] ^= 0x80;
      parseEnvelope(bad); // must not throw
    }
  });
});
