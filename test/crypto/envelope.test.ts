/**
 * EnvelopedData: GM and RSA forms round-trip with every content cipher and both recipient-id forms;
 * the written structure is what GM/T 0010 and the vectors show; wrong keys, wrong recipients and
 * corrupted ciphertext each fail with their own reason and never throw.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, EnvelopedData } from '@peculiar/asn1-cms';
import {
  ContentCipher,
  makeEnvelope,
  OID,
  openEnvelope,
  ParsedKeyTransRecipient,
  parseEnvelope,
  prepareRecipient,
  sm2Decrypt,
  sm4CbcDecrypt,
} from '../../src/crypto';
import { makeRsaTestCert, makeSm2TestCert, RsaTestIdentity, Sm2TestIdentity } from './helpers/test-cert';

const BILL = Buffer.from('{"billBatchCode":"12345678","billNo":"0000000001","random":"a1b2c3","totalAmt":"128.50"}', 'utf8');

function recipientOf(der: Buffer, i = 0): ParsedKeyTransRecipient {
  const p = parseEnvelope(der);
  assert.ok(p.ok, p.ok ? '' : p.detail);
  return p.value.recipients[i] as ParsedKeyTransRecipient;
}

describe('envelope (PKCS#7 EnvelopedData)', function () {
  this.timeout(60_000);
  let sm2: Sm2TestIdentity;
  let rsa: RsaTestIdentity;
  before(() => {
    sm2 = makeSm2TestCert({ commonName: '医保局 接收方' });
    rsa = makeRsaTestCert({ commonName: 'RSA recipient' });
  });

  it('GM form has the vector layout: …6.1.4.2.3, v0 ktri, SM2-3+NULL, SM2Cipher, SM4-CBC with 16-byte IV', () => {
    const der = makeEnvelope(BILL, sm2.certDer);
    const p = parseEnvelope(der);
    assert.ok(p.ok);
    const env = p.value;
    assert.equal(env.form, 'gm');
    assert.equal(env.version, 0);
    assert.equal(env.contentType, OID.gmData);
    assert.equal(env.contentEncryptionAlgorithm, OID.sm4Cbc);
    assert.equal(env.iv?.length, 16);
    assert.equal(env.ciphertextLength, Math.ceil((BILL.length + 1) / 16) * 16, 'PKCS#7 padding');
    const ri = env.recipients[0] as ParsedKeyTransRecipient;
    assert.equal(ri.version, 0);
    assert.equal(ri.keyEncryptionAlgorithm, OID.sm2Encrypt);
    assert.equal(ri.rid.type, 'issuerSerial');
    if (ri.rid.type === 'issuerSerial') assert.equal(ri.rid.serialHex, sm2.serial.toString('hex').toUpperCase());
    assert.ok(ri.sm2Cipher);
    assert.equal(ri.sm2Cipher.hash.length, 32);
    assert.equal(ri.sm2Cipher.cipherText.length, 16);

    // independent decryption path: SM2 unwrap + SM4-CBC by hand gives the bill back
    assert.ok(env.iv && env.ciphertext);
    const cek = sm2Decrypt(ri.encryptedKey, sm2.key.privateKey, true);
    assert.ok(sm4CbcDecrypt(env.ciphertext, cek, env.iv).equals(BILL));

    // schema cross-check and canonical DER
    const ci = AsnConvert.parse(der, ContentInfo);
    assert.equal(ci.contentType, OID.gmEnvelopedData);
    const ed = AsnConvert.parse(ci.content, EnvelopedData);
    assert.equal(ed.recipientInfos[0].ktri?.keyEncryptionAlgorithm.parameters, null, 'explicit NULL');
    assert.ok(Buffer.from(AsnConvert.serialize(ed)).equals(Buffer.from(ci.content)));
  });

  const matrix: Array<{ key: 'sm2' | 'rsa'; cipher: ContentCipher; sm4Oid?: 'sm4' | 'sm4-cbc'; rid: 'issuerSerial' | 'ski'; expectOid: string }> = [
    { key: 'sm2', cipher: 'sm4-cbc', rid: 'issuerSerial', expectOid: OID.sm4Cbc },
    { key: 'sm2', cipher: 'sm4-cbc', sm4Oid: 'sm4', rid: 'issuerSerial', expectOid: OID.sm4 },
    { key: 'sm2', cipher: 'sm4-cbc', rid: 'ski', expectOid: OID.sm4Cbc },
    { key: 'sm2', cipher: 'aes-128-cbc', rid: 'issuerSerial', expectOid: OID.aes128Cbc },
    { key: 'rsa', cipher: 'aes-128-cbc', rid: 'issuerSerial', expectOid: OID.aes128Cbc },
    { key: 'rsa', cipher: 'aes-256-cbc', rid: 'ski', expectOid: OID.aes256Cbc },
    { key: 'rsa', cipher: 'sm4-cbc', rid: 'issuerSerial', expectOid: OID.sm4Cbc },
  ];
  for (const m of matrix) {
    it(`round trip: ${m.key} recipient, ${m.cipher}${m.sm4Oid ? ` (OID ${m.sm4Oid})` : ''}, ${m.rid} recipient id`, () => {
      const id = m.key === 'sm2' ? sm2 : rsa;
      for (const content of [BILL, Buffer.alloc(0), randomBytes(5000)]) {
        const der = makeEnvelope(content, id.certDer, { contentCipher: m.cipher, sm4Oid: m.sm4Oid, recipientId: m.rid });
        const p = parseEnvelope(der);
        assert.ok(p.ok);
        assert.equal(p.value.form, m.key === 'sm2' ? 'gm' : 'rsa');
        assert.equal(p.value.contentEncryptionAlgorithm, m.expectOid);
        assert.equal(p.value.version, m.rid === 'ski' ? 2 : 0);
        const ri = p.value.recipients[0] as ParsedKeyTransRecipient;
        assert.equal(ri.keyEncryptionAlgorithm, m.key === 'sm2' ? OID.sm2Encrypt : OID.rsaEncryption);
        assert.equal(ri.rid.type, m.rid);
        if (ri.rid.type === 'ski') assert.ok(ri.rid.ski.equals(id.ski));
        for (const certDer of [id.certDer, undefined]) {
          const o = openEnvelope(der, { privateKey: id.key, certDer });
          assert.ok(o.ok, o.ok ? '' : `${o.reason}: ${o.detail}`);
          assert.ok(o.content.equals(content));
          assert.equal(o.contentEncryptionAlgorithm, m.expectOid);
        }
      }
    });
  }

  it('the RSA form uses PKCS#7 OIDs and can be forced for an SM2 recipient and vice versa', () => {
    const a = makeEnvelope(BILL, sm2.certDer, { form: 'rsa' });
    const pa = parseEnvelope(a);
    assert.ok(pa.ok);
    assert.equal(pa.value.form, 'rsa');
    assert.equal(pa.value.contentType, OID.data);
    assert.equal(pa.value.contentEncryptionAlgorithm, OID.aes128Cbc);
    const o = openEnvelope(a, { privateKey: sm2.key });
    assert.ok(o.ok && o.content.equals(BILL));
    const b = makeEnvelope(BILL, rsa.certDer, { form: 'gm' });
    const pb = parseEnvelope(b);
    assert.ok(pb.ok && pb.value.form === 'gm' && pb.value.contentEncryptionAlgorithm === OID.sm4Cbc);
  });

  it('several recipients (SM2 and RSA): each opens its own copy', () => {
    const second = makeSm2TestCert({ commonName: 'second' });
    const der = makeEnvelope(BILL, [sm2.certDer, rsa.certDer, second.certDer]);
    const p = parseEnvelope(der);
    assert.ok(p.ok);
    assert.equal(p.value.recipients.length, 3);
    for (const id of [sm2, rsa, second]) {
      const withCert = openEnvelope(der, { privateKey: id.key, certDer: id.certDer });
      assert.ok(withCert.ok && withCert.content.equals(BILL));
      const blind = openEnvelope(der, { privateKey: id.key });
      assert.ok(blind.ok && blind.content.equals(BILL));
    }
  });

  it('prepared (cached) recipients produce envelopes the recipient opens', () => {
    const r = prepareRecipient(sm2.certDer);
    assert.equal(prepareRecipient(sm2.certDer), r, 'same object from the cache');
    assert.ok(r.sm2Table, 'SM2 table precomputed once');
    const o = openEnvelope(makeEnvelope(BILL, r), { privateKey: sm2.key });
    assert.ok(o.ok && o.content.equals(BILL));
  });

  it('each key transport uses fresh randomness: same input, different envelopes', () => {
    const a = makeEnvelope(BILL, sm2.certDer);
    const b = makeEnvelope(BILL, sm2.certDer);
    assert.ok(!a.equals(b));
    assert.ok(!recipientOf(a).encryptedKey.equals(recipientOf(b).encryptedKey));
  });

  describe('failures', () => {
    it('wrong SM2 key → key-decrypt-failed (C3 check), not garbage', () => {
      const der = makeEnvelope(BILL, sm2.certDer);
      const other = makeSm2TestCert();
      const r = openEnvelope(der, { privateKey: other.key });
      assert.equal(r.ok ? 'opened' : r.reason, 'key-decrypt-failed');
    });

    it('wrong RSA key → content-decrypt-failed (the PKCS#1 unwrap hides padding errors behind a random key)', () => {
      const der = makeEnvelope(BILL, rsa.certDer);
      const other = makeRsaTestCert();
      let failures = 0;
      for (let i = 0; i < 5; i++) {
        const r = openEnvelope(der, { privateKey: other.key });
        if (!r.ok) {
          assert.equal(r.reason, 'content-decrypt-failed');
          failures++;
        } else {
          assert.ok(!r.content.equals(BILL), 'a wrong key never yields the plaintext');
        }
      }
      assert.ok(failures >= 4, 'a random key passes the CBC padding check about 1 time in 256');
    });

    it('our certificate is not among the recipients → no-matching-recipient', () => {
      const der = makeEnvelope(BILL, sm2.certDer);
      const other = makeSm2TestCert();
      const r = openEnvelope(der, { privateKey: other.key, certDer: other.certDer });
      assert.equal(r.ok ? 'opened' : r.reason, 'no-matching-recipient');
    });

    it('an RSA key for an SM2-only envelope → unsupported-algorithm', () => {
      const der = makeEnvelope(BILL, sm2.certDer);
      const r = openEnvelope(der, { privateKey: rsa.key });
      assert.equal(r.ok ? 'opened' : r.reason, 'unsupported-algorithm');
    });

    it('a flipped ciphertext bit that breaks the padding → content-decrypt-failed', () => {
      const der = makeEnvelope(BILL, sm2.certDer);
      const p = parseEnvelope(der);
      assert.ok(p.ok && p.value.ciphertext);
      const ct = p.value.ciphertext;
      const at = der.lastIndexOf(ct);
      const bad = Buffer.from(der);
      // the last byte of the second-to-last block flips the pad byte of the last block (CBC)
      bad[at + ct.length - 17] ^= 0x01;
      const r = openEnvelope(bad, { privateKey: sm2.key });
      assert.equal(r.ok ? 'opened' : r.reason, 'content-decrypt-failed');
    });

    it('a corrupted SM2Cipher hash → key-decrypt-failed', () => {
      const der = makeEnvelope(BILL, sm2.certDer);
      const hash = recipientOf(der).sm2Cipher?.hash;
      assert.ok(hash);
      const bad = Buffer.from(der);
      bad[der.indexOf(hash) + 5] ^= 0xff;
      const r = openEnvelope(bad, { privateKey: sm2.key });
      assert.equal(r.ok ? 'opened' : r.reason, 'key-decrypt-failed');
    });

    it('unknown content cipher → unsupported-algorithm; missing IV → bad-structure', () => {
      const der = makeEnvelope(BILL, sm2.certDer);
      const oid = Buffer.from('06082a811ccf550168', 'hex'); // OID header + 1.2.156.10197.1.104, then the .2 arc
      const at = der.indexOf(oid);
      assert.ok(at > 0, 'content algorithm OID located');
      const unknown = Buffer.from(der);
      // 1.2.156.10197.1.104.2 → 1.2.156.10197.1.104.9
      assert.equal(unknown[at + oid.length], 0x02);
      unknown[at + oid.length] = 0x09;
      const r = openEnvelope(unknown, { privateKey: sm2.key });
      assert.equal(r.ok ? 'opened' : r.reason, 'unsupported-algorithm');
      const noIv = Buffer.from(der);
      // retag the IV OCTET STRING (04 10 …) so the structure still parses but carries no IV
      const ivAt = at + oid.length + 1;
      assert.equal(noIv[ivAt], 0x04);
      noIv[ivAt] = 0x13; // PrintableString: not an IV
      const r2 = openEnvelope(noIv, { privateKey: sm2.key });
      assert.equal(r2.ok ? 'opened' : r2.reason, 'bad-structure');
    });

    it('hostile input never throws', () => {
      const base = makeEnvelope(BILL, [sm2.certDer, rsa.certDer]);
      for (let i = 0; i < 300; i++) {
        parseEnvelope(randomBytes(1 + (i % 300)));
        const m = Buffer.from(base);
        m[(Math.random() * m.length) | 0] ^= 1 << (i % 8);
        const r = openEnvelope(m, { privateKey: i % 2 ? sm2.key : rsa.key });
        assert.equal(typeof r.ok, 'boolean');
      }
    });
  });
});
