/** RSA: PKCS#1 v1.5 signatures (incl. the hand-made RSA-SM3), encryption both paddings, safe key unwrap. */
import { strict as assert } from 'node:assert';
import { constants, createHash, publicDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import {
  digestInfo,
  generateRsaKeyPair,
  rsaDecrypt,
  rsaDecryptKeyPkcs1,
  rsaEncrypt,
  RsaHash,
  rsaSign,
  rsaSignDigest,
  rsaVerify,
  rsaVerifyDigest,
} from '../../src/crypto';

describe('rsa', function () {
  this.timeout(30_000);
  const { privateKey, publicKey } = generateRsaKeyPair(2048);
  const other = generateRsaKeyPair(2048);
  const msg = Buffer.from('billBatchCode=12345678&billNo=0000000001', 'utf8');

  for (const hash of ['sha256', 'sha1', 'sha384', 'sha512', 'sm3'] as RsaHash[]) {
    it(`PKCS#1 v1.5 sign/verify with ${hash}; other key, other message, other hash fail`, () => {
      const sig = rsaSign(msg, privateKey, hash);
      assert.equal(sig.length, 256);
      assert.equal(rsaVerify(msg, sig, publicKey, hash), true);
      assert.equal(rsaVerify(Buffer.concat([msg, Buffer.from('x')]), sig, publicKey, hash), false);
      assert.equal(rsaVerify(msg, sig, other.publicKey, hash), false);
      assert.equal(rsaVerify(msg, sig, publicKey, hash === 'sha256' ? 'sha1' : 'sha256'), false);
      const bad = Buffer.from(sig);
      bad[100] ^= 1;
      assert.equal(rsaVerify(msg, bad, publicKey, hash), false);
      // the recovered block is exactly DigestInfo(hash, H(msg)): this is what makes it PKCS#1 v1.5
      const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, sig);
      assert.ok(recovered.equals(digestInfo(hash, createHash(hash).update(msg).digest())));
    });
  }

  it('DigestInfo prefixes are the RFC 8017 §9.2 ones, and SM3 carries its GM OID', () => {
    assert.equal(digestInfo('sha256', Buffer.alloc(32)).subarray(0, 19).toString('hex'), '3031300d060960864801650304020105000420');
    assert.equal(digestInfo('sha1', Buffer.alloc(20)).subarray(0, 15).toString('hex'), '3021300906052b0e03021a05000414');
    assert.equal(digestInfo('sm3', Buffer.alloc(32)).subarray(0, 18).toString('hex'), '3030300c06082a811ccf550183110500' + '0420');
  });

  it('sign/verify over a precomputed digest equals signing the message', () => {
    const d = createHash('sha256').update(msg).digest();
    const a = rsaSignDigest(d, privateKey, 'sha256');
    assert.ok(a.equals(rsaSign(msg, privateKey, 'sha256')), 'PKCS#1 v1.5 is deterministic');
    assert.equal(rsaVerifyDigest(d, a, publicKey, 'sha256'), true);
    assert.equal(rsaVerifyDigest(d, a, publicKey, 'sha1'), false);
  });

  it('verify never throws on garbage', () => {
    assert.equal(rsaVerify(msg, Buffer.alloc(0), publicKey), false);
    assert.equal(rsaVerify(msg, randomBytes(300), publicKey, 'sm3'), false);
    assert.equal(rsaVerifyDigest(Buffer.alloc(32), randomBytes(256), publicKey, 'sm3'), false);
  });

  it('encrypt/decrypt with PKCS#1 v1.5 (done by hand on Node 20) and OAEP', () => {
    for (const padding of ['pkcs1', 'oaep'] as const) {
      for (const n of [0, 1, 16, 32, 100]) {
        const pt = randomBytes(n);
        const ct = rsaEncrypt(pt, publicKey, padding);
        assert.equal(ct.length, 256);
        assert.ok(rsaDecrypt(ct, privateKey, padding).equals(pt));
      }
    }
    // interop with Node's own PKCS#1 v1.5 encryption
    const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('cek-0123456789ab'));
    assert.equal(rsaDecrypt(ct, privateKey).toString(), 'cek-0123456789ab');
    assert.throws(() => rsaDecrypt(ct, other.privateKey), /decryption failed/);
    // a ciphertext larger than the modulus fails the same way (OpenSSL's own message would differ)
    assert.throws(() => rsaDecrypt(Buffer.alloc(256, 0xff), privateKey), /decryption failed/);
  });

  it('key unwrap returns the key, or random bytes of the right length instead of an error', () => {
    const cek = randomBytes(16);
    const ct = rsaEncrypt(cek, publicKey);
    assert.ok(rsaDecryptKeyPkcs1(ct, privateKey, 16).equals(cek));
    const wrongLen = rsaDecryptKeyPkcs1(ct, privateKey, 32);
    assert.equal(wrongLen.length, 32);
    const a = rsaDecryptKeyPkcs1(ct, other.privateKey, 16);
    const b = rsaDecryptKeyPkcs1(ct, other.privateKey, 16);
    assert.equal(a.length, 16);
    assert.ok(!a.equals(cek) && !a.equals(b), 'decoys are fresh random keys');
    assert.equal(rsaDecryptKeyPkcs1(Buffer.alloc(3), privateKey, 16).length, 16, 'wrong-size ciphertext');
  });
});
