/**
 * SignedData: every form round-trips (GM/RSA content types × SM2/RSA keys × attached/detached × with and
 * without signed attributes); each kind of tampering gets its own reason; the fast detached signer emits
 * the same structure as the general builder; our DER is canonical by @peculiar/asn1-cms's reckoning.
 */
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { asn1, createDetachedSigner, OID, P7Form, P7SignOptions, parseP7, signP7, verifyP7 } from '../../src/crypto';
import { makeRsaTestCert, makeSm2TestCert, RsaTestIdentity, Sm2TestIdentity } from './helpers/test-cert';

const MESSAGE = Buffer.from('<Header><EInvoiceCode>12345678</EInvoiceCode></Header><EInvoiceData>门诊收费 ¥128.50</EInvoiceData>', 'utf8');

/** The signature value replaced by zeros, so two signatures of equal length can be compared structurally. */
function maskSignature(p7: Buffer): { masked: Buffer; sigLength: number } {
  const parsed = parseP7(p7);
  assert.ok(parsed.ok);
  const sig = parsed.value.signers[0].signature;
  const at = p7.lastIndexOf(sig);
  assert.ok(at > 0);
  const masked = Buffer.from(p7);
  masked.fill(0, at, at + sig.length);
  return { masked, sigLength: sig.length };
}

describe('pkcs7 SignedData', function () {
  this.timeout(60_000);
  let sm2: Sm2TestIdentity;
  let rsa: RsaTestIdentity;
  before(() => {
    sm2 = makeSm2TestCert({ commonName: '测试医院 开票单位签名' });
    rsa = makeRsaTestCert({ commonName: 'medbill RSA signer' });
  });

  describe('round trips', () => {
    for (const keyType of ['sm2', 'rsa'] as const) {
      for (const form of ['gm', 'rsa'] as P7Form[]) {
        for (const detached of [false, true]) {
          for (const signedAttributes of [false, true]) {
            const name = `${keyType} key, ${form} OIDs, ${detached ? 'detached' : 'attached'}, ${signedAttributes ? 'with' : 'without'} signed attributes`;
            it(name, () => {
              const id = keyType === 'sm2' ? sm2 : rsa;
              const signingTime = new Date('2025-03-04T05:06:07Z');
              const p7 = signP7(MESSAGE, { privateKey: id.key, certDer: id.certDer, form, detached, signedAttributes, signingTime });
              const r = verifyP7(p7, detached ? { content: MESSAGE } : {});
              assert.equal(r.reason, 'ok', r.detail);
              assert.equal(r.valid, true);
              assert.equal(r.form, form);
              assert.equal(r.contentType, form === 'gm' ? OID.gmData : OID.data);
              assert.equal(r.detached, detached);
              assert.equal(r.signedAttributes, signedAttributes);
              assert.ok(r.signerCert?.equals(id.certDer));
              assert.equal(r.signerSerial, id.serial.toString('hex').toUpperCase());
              assert.equal(r.digestAlgorithm, keyType === 'sm2' ? OID.sm3 : OID.sha256);
              assert.equal(r.signatureAlgorithm, keyType === 'sm2' ? OID.sm2Sign : OID.rsaEncryption);
              if (detached) assert.equal(r.content, undefined);
              else assert.ok(r.content?.equals(MESSAGE));
              if (signedAttributes) assert.equal(r.signingTime?.toISOString(), signingTime.toISOString());
              else assert.equal(r.signingTime, undefined);

              // outer type as GM/T 0010 or PKCS#7 says
              const ci = AsnConvert.parse(p7, ContentInfo);
              assert.equal(ci.contentType, form === 'gm' ? OID.gmSignedData : OID.signedData);
              // our DER is what a schema encoder would write: parse + re-serialise gives the same bytes
              const sd = AsnConvert.parse(ci.content, SignedData);
              assert.ok(Buffer.from(AsnConvert.serialize(sd)).equals(Buffer.from(ci.content)), 're-serialisation differs: not canonical DER');
              const si = sd.signerInfos[0];
              assert.equal(si.version, 1);
              assert.ok(si.sid.issuerAndSerialNumber, 'IssuerAndSerialNumber sid');
              if (signedAttributes) {
                assert.deepEqual(
                  si.signedAttrs?.map((a) => a.attrType),
                  [OID.contentType, OID.signingTime, OID.messageDigest],
                  'DER SET OF order',
                );
              }
            });
          }
        }
      }
    }

    it('the GM form matches the BJCA layout: SM3+NULL digest, SM2-1+NULL signature, versions 1', () => {
      const p7 = signP7(MESSAGE, { privateKey: sm2.key, certDer: sm2.certDer });
      const sd = AsnConvert.parse(AsnConvert.parse(p7, ContentInfo).content, SignedData);
      assert.equal(sd.version, 1);
      assert.equal(sd.digestAlgorithms[0].algorithm, OID.sm3);
      assert.equal(sd.digestAlgorithms[0].parameters, null, 'explicit NULL parameters');
      assert.equal(sd.signerInfos[0].signatureAlgorithm.algorithm, OID.sm2Sign);
      assert.equal(sd.signerInfos[0].signatureAlgorithm.parameters, null);
      assert.equal(sd.signerInfos[0].signedAttrs, undefined);
      const sig = Buffer.from(sd.signerInfos[0].signature.buffer);
      assert.equal(sig[0], 0x30, 'DER SEQUENCE{r,s}');
      assert.ok(sig.length >= 8 && sig.length <= 72);
    });

    it('signs and verifies with a non-default SM2 user ID, and the default ID then fails', () => {
      const p7 = signP7(MESSAGE, { privateKey: sm2.key, certDer: sm2.certDer, userId: 'hospital@medbill' });
      assert.equal(verifyP7(p7, { userId: 'hospital@medbill' }).valid, true);
      assert.equal(verifyP7(p7).reason, 'signature-invalid');
    });

    it('RSA with SHA-1, SHA-512 and SM3 digests', () => {
      for (const hash of ['sha1', 'sha512', 'sm3'] as const) {
        for (const signedAttributes of [false, true]) {
          const p7 = signP7(MESSAGE, { privateKey: rsa.key, certDer: rsa.certDer, hash, signedAttributes });
          const r = verifyP7(p7);
          assert.equal(r.reason, 'ok', `${hash}: ${r.detail}`);
          assert.equal(r.digestAlgorithm, { sha1: OID.sha1, sha512: OID.sha512, sm3: OID.sm3 }[hash]);
        }
      }
    });

    it('signs empty and 1 MB contents', () => {
      for (const content of [Buffer.alloc(0), randomBytes(1 << 20)]) {
        const p7 = signP7(content, { privateKey: sm2.key, certDer: sm2.certDer, signedAttributes: true });
        const r = verifyP7(p7);
        assert.equal(r.reason, 'ok');
        assert.ok(r.content?.equals(content));
      }
    });

    it('carries extra certificates and still finds the signer among them', () => {
      const other = makeSm2TestCert({ commonName: 'issuing CA' });
      const p7 = signP7(MESSAGE, { privateKey: sm2.key, certDer: sm2.certDer, extraCertificates: [other.certDer] });
      const r = verifyP7(p7);
      assert.equal(r.reason, 'ok');
      assert.equal(r.certificates.length, 2);
      assert.ok(r.signerCert?.equals(sm2.certDer));
    });

    it('several SignerInfos (SM2 + RSA, merged with asn1-cms): all must verify; the failing one is reported', () => {
      const a = AsnConvert.parse(AsnConvert.parse(signP7(MESSAGE, { privateKey: sm2.key, certDer: sm2.certDer }), ContentInfo).content, SignedData);
      const b = AsnConvert.parse(AsnConvert.parse(signP7(MESSAGE, { privateKey: rsa.key, certDer: rsa.certDer, form: 'gm' }), ContentInfo).content, SignedData);
      a.digestAlgorithms.push(b.digestAlgorithms[0]);
      a.certificates?.push(...(b.certificates ?? []));
      a.signerInfos.push(b.signerInfos[0]);
      const wrap = (sd: SignedData): Buffer =>
        Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: OID.gmSignedData, content: AsnConvert.serialize(sd) })));
      const both = verifyP7(wrap(a));
      assert.equal(both.reason, 'ok', both.detail);
      assert.deepEqual(both.signers.map((x) => [x.valid, x.signerSerial]), [
        [true, sm2.serial.toString('hex').toUpperCase()],
        [true, rsa.serial.toString('hex').toUpperCase()],
      ]);
      const sig = new Uint8Array(a.signerInfos[1].signature.buffer);
      sig[10] ^= 1;
      const forged = verifyP7(wrap(a));
      assert.equal(forged.valid, false);
      assert.equal(forged.reason, 'signature-invalid');
      assert.equal(forged.signerSerial, rsa.serial.toString('hex').toUpperCase(), 'top level names the failing signer');
      assert.deepEqual(forged.signers.map((x) => x.valid), [true, false]);
    });

    it('refuses at setup a certificate that does not belong to the key, and SM2 with a non-SM3 hash', () => {
      const other = makeSm2TestCert();
      assert.throws(() => signP7(MESSAGE, { privateKey: sm2.key, certDer: other.certDer }), /does not belong/);
      assert.throws(() => signP7(MESSAGE, { privateKey: sm2.key, certDer: rsa.certDer }), /rsa key/);
      assert.throws(() => createDetachedSigner({ privateKey: sm2.key, certDer: sm2.certDer, hash: 'sha256' }), /SM3/);
    });
  });

  describe('verification failures carry distinct reasons', () => {
    const sign = (o: Partial<P7SignOptions> = {}): Buffer => signP7(MESSAGE, { privateKey: sm2.key, certDer: sm2.certDer, ...o });

    it('changed content without attributes → signature-invalid', () => {
      const p7 = sign({ detached: true });
      const changed = Buffer.from(MESSAGE);
      changed[10] ^= 1;
      assert.equal(verifyP7(p7, { content: changed }).reason, 'signature-invalid');
      const attached = sign();
      const at = attached.indexOf(MESSAGE);
      const bad = Buffer.from(attached);
      bad[at + 3] ^= 0x20;
      assert.equal(verifyP7(bad).reason, 'signature-invalid');
    });

    it('changed content with attributes → digest-mismatch (for SM2 and RSA)', () => {
      for (const id of [sm2, rsa]) {
        const p7 = signP7(MESSAGE, { privateKey: id.key, certDer: id.certDer, detached: true, signedAttributes: true });
        const r = verifyP7(p7, { content: Buffer.concat([MESSAGE, Buffer.from(' ')]) });
        assert.equal(r.valid, false);
        assert.equal(r.reason, 'digest-mismatch');
      }
    });

    it('altered signingTime → signature-invalid (the attributes are what is signed)', () => {
      const p7 = sign({ signedAttributes: true, signingTime: new Date('2025-03-04T05:06:07Z') });
      const at = p7.indexOf(Buffer.from('250304050607Z', 'latin1'));
      assert.ok(at > 0);
      const bad = Buffer.from(p7);
      bad[at + 1] = '6'.charCodeAt(0); // 2025 → 2026
      const r = verifyP7(bad);
      assert.equal(r.reason, 'signature-invalid');
      assert.equal(r.signingTime?.getUTCFullYear(), 2026, 'the (forged) time is still reported for the log');
    });

    it('altered messageDigest attribute → digest-mismatch', () => {
      const p7 = sign({ signedAttributes: true });
      const md = createHash('sm3').update(MESSAGE).digest();
      const at = p7.indexOf(md);
      assert.ok(at > 0);
      const bad = Buffer.from(p7);
      bad[at] ^= 1;
      assert.equal(verifyP7(bad).reason, 'digest-mismatch');
    });

    it('eContentType changed under a contentType attribute → bad-structure', () => {
      const p7 = sign({ signedAttributes: true, detached: true });
      // the first occurrence of the gmData OID is the eContentType; the attribute's copy comes later
      const oid = Buffer.from('060a2a811ccf550601040201', 'hex');
      const at = p7.indexOf(oid);
      const bad = Buffer.from(p7);
      bad[at + oid.length - 1] = 0x05;
      const r = verifyP7(bad, { content: MESSAGE });
      assert.equal(r.reason, 'bad-structure');
      assert.match(r.detail, /contentType attribute/);
    });

    it('detached without content → missing-content; mismatching supplied content for attached → digest-mismatch', () => {
      assert.equal(verifyP7(sign({ detached: true })).reason, 'missing-content');
      assert.equal(verifyP7(sign(), { content: Buffer.from('other') }).reason, 'digest-mismatch');
    });

    it('no certificate carried → no-signer-cert, unless the caller supplies it', () => {
      const p7 = sign({ includeCertificate: false });
      const r = verifyP7(p7);
      assert.equal(r.reason, 'no-signer-cert');
      assert.equal(r.certificates.length, 0);
      const other = makeSm2TestCert();
      assert.equal(verifyP7(p7, { certificates: [other.certDer] }).reason, 'no-signer-cert');
      assert.equal(verifyP7(p7, { certificates: [other.certDer, sm2.certDer] }).reason, 'ok');
    });

    it('a signature from another key under the same certificate → signature-invalid', () => {
      const impostor = makeSm2TestCert({ serial: sm2.serial, commonName: '测试医院 开票单位签名' });
      const p7 = signP7(MESSAGE, { privateKey: impostor.key, certDer: impostor.certDer, includeCertificate: false });
      assert.equal(verifyP7(p7, { certificates: [sm2.certDer] }).reason, 'signature-invalid');
    });

    it('unknown digest algorithm → unsupported-algorithm', () => {
      const p7 = sign();
      const sm3Oid = Buffer.from('06082a811ccf55018311', 'hex');
      const at = p7.lastIndexOf(sm3Oid); // the SignerInfo's digestAlgorithm
      const bad = Buffer.from(p7);
      bad[at + sm3Oid.length - 1] = 0x12;
      assert.equal(verifyP7(bad).reason, 'unsupported-algorithm');
    });

    it('unknown signature algorithm → unsupported-algorithm', () => {
      const p7 = sign();
      const sm2SignOid = Buffer.from('06092a811ccf5501822d01', 'hex');
      const at = p7.lastIndexOf(sm2SignOid);
      const bad = Buffer.from(p7);
      bad[at + sm2SignOid.length - 1] = 0x03; // SM2-3 is encryption, not a signature
      const r = verifyP7(bad);
      assert.equal(r.reason, 'unsupported-algorithm');
      assert.match(r.detail, /1\.2\.156\.10197\.1\.301\.3/);
    });

    it('a non-canonical signature encoding of a valid signature → signature-invalid', () => {
      const p7 = sign();
      const sig = (parseP7(p7) as { ok: true; value: { signers: Array<{ signature: Buffer }> } }).value.signers[0].signature;
      const at = p7.lastIndexOf(sig);
      const bad = Buffer.from(p7);
      bad[at] = 0x31; // SET instead of SEQUENCE: sm-crypto-v2 alone would accept it
      assert.equal(verifyP7(bad).reason, 'signature-invalid');
    });

    it('hostile input never throws: random bytes and random mutations', () => {
      const base = sign({ signedAttributes: true });
      for (let i = 0; i < 300; i++) {
        verifyP7(randomBytes(1 + (i % 200)));
        const m = Buffer.from(base);
        for (let k = 0; k < 1 + (i % 4); k++) m[(Math.random() * m.length) | 0] = (Math.random() * 256) | 0;
        const r = verifyP7(m);
        assert.equal(typeof r.valid, 'boolean');
      }
      // deep nesting and absurd lengths
      const deep = Buffer.concat([Buffer.alloc(2000, 0x30), Buffer.alloc(2)]);
      for (let i = 1; i < 2000; i += 2) deep[i] = 0x80;
      assert.equal(verifyP7(deep).reason, 'bad-structure');
      assert.equal(verifyP7(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])).reason, 'bad-structure');
    });
  });

  describe('fast detached signer', () => {
    it('output verifies with the general verifier (GM, RSA, with and without attributes)', () => {
      for (const id of [sm2, rsa]) {
        for (const signedAttributes of [false, true]) {
          const fast = createDetachedSigner({ privateKey: id.key, certDer: id.certDer, signedAttributes });
          for (let i = 0; i < 5; i++) {
            const data = randomBytes(2048);
            const r = verifyP7(fast(data), { content: data });
            assert.equal(r.reason, 'ok', r.detail);
            assert.equal(r.detached, true);
            assert.equal(r.signedAttributes, signedAttributes);
          }
        }
      }
    });

    it('is byte-identical to signP7(detached) for RSA (deterministic signatures)', () => {
      const clock = (): Date => new Date('2030-01-02T03:04:05Z');
      for (const signedAttributes of [false, true]) {
        const fast = createDetachedSigner({ privateKey: rsa.key, certDer: rsa.certDer, signedAttributes, clock });
        const general = signP7(MESSAGE, { privateKey: rsa.key, certDer: rsa.certDer, signedAttributes, detached: true, clock });
        assert.ok(fast(MESSAGE).equals(general));
      }
    });

    it('is byte-identical to signP7(detached) for SM2 apart from the random signature value', () => {
      const clock = (): Date => new Date('2030-01-02T03:04:05Z');
      for (const signedAttributes of [false, true]) {
        const fast = createDetachedSigner({ privateKey: sm2.key, certDer: sm2.certDer, signedAttributes, clock });
        let compared = false;
        for (let attempt = 0; attempt < 40 && !compared; attempt++) {
          const a = maskSignature(fast(MESSAGE));
          const b = maskSignature(signP7(MESSAGE, { privateKey: sm2.key, certDer: sm2.certDer, signedAttributes, detached: true, clock }));
          if (a.sigLength !== b.sigLength) continue; // r or s may need a sign octet: lengths 70–72
          assert.ok(a.masked.equals(b.masked));
          compared = true;
        }
        assert.ok(compared, 'never got two signatures of the same length');
      }
    });

    it('does not depend on the caller keeping the input buffer unchanged afterwards', () => {
      const fast = createDetachedSigner({ privateKey: sm2.key, certDer: sm2.certDer });
      const data = Buffer.from(MESSAGE);
      const p7 = fast(data);
      data.fill(0);
      assert.equal(verifyP7(p7, { content: MESSAGE }).reason, 'ok');
    });
  });
});

describe('pkcs7 DER helpers (asn1/der.ts)', () => {
  it('OIDs round-trip, including arcs beyond 2^53', () => {
    for (const oid of ['1.2.156.10197.6.1.4.2.2', '2.16.840.1.101.3.4.2.1', '0.9.2342.19200300.100.1.25', '2.999.1', '2.25.329800735698586629295641978511506172918']) {
      assert.equal(asn1.decodeOid(asn1.encodeOid(oid).subarray(2)), oid);
    }
    assert.throws(() => asn1.decodeOid(Buffer.from([0x2a, 0x81])), /truncated/);
  });

  it('lengths: short and long form written minimally; overlong and overrunning lengths refused', () => {
    assert.deepEqual([...asn1.encodeLength(127)], [127]);
    assert.deepEqual([...asn1.encodeLength(128)], [0x81, 0x80]);
    assert.deepEqual([...asn1.encodeLength(70000)], [0x83, 0x01, 0x11, 0x70]);
    assert.throws(() => asn1.readRoot(Buffer.from([0x30, 0x85, 1, 0, 0, 0, 0])), /length of length/);
    assert.throws(() => asn1.readRoot(Buffer.from([0x30, 0x03, 0x02, 0x01])), /overruns/);
  });

  it('DER SET OF sorts its members', () => {
    const set = asn1.derSetOf([Buffer.from([0x04, 0x01, 0x02]), Buffer.from([0x02, 0x01, 0x05]), Buffer.from([0x04, 0x01, 0x01])]);
    assert.equal(set.toString('hex'), '3109' + '020105' + '040101' + '040102');
  });
});
