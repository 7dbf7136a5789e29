/** Raw (SVS_SignData-style) signatures and key loading in every encoding we accept. */
import { strict as assert } from 'node:assert';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  certificateDer,
  generateRsaKeyPair,
  generateSm2KeyPair,
  isStrictSm2Signature,
  loadPrivateKey,
  loadPublicKey,
  loadRsaPrivateKey,
  loadSm2PrivateKey,
  pemDecode,
  pemEncode,
  publicKeyFromSpki,
  publicOf,
  readCmsCertificate,
  signData,
  sm2Digest,
  sm2PrivateKey,
  sm2PrivateKeyToPem,
  sm2PrivateKeyToPkcs8,
  sm2PrivateKeyToSec1,
  sm2PublicKeyToPem,
  sm2PublicKeyToSpki,
  sm2VerifyDigest,
  verifyData,
} from '../../src/crypto';
import { makeSm2TestCert, pemCert } from './helpers/test-cert';

const MSG = Buffer.from('<Header/><EInvoiceData/>', 'utf8');

describe('pkcs1 raw signatures', function () {
  this.timeout(30_000);
  const kp = generateSm2KeyPair();
  const sm2 = sm2PrivateKey(kp.privateKey);
  const rsaPair = generateRsaKeyPair(2048);
  const rsa = loadRsaPrivateKey(rsaPair.privateKey);

  it('SM2: DER SEQUENCE{r,s} over SM3(Z‖M) with the default ID', () => {
    const sig = signData(MSG, sm2);
    assert.equal(sig[0], 0x30);
    assert.ok(isStrictSm2Signature(sig));
    assert.equal(verifyData(MSG, sig, publicOf(sm2)), true);
    // it really is over e = SM3(Z‖M) with ID 1234567812345678
    assert.equal(sm2VerifyDigest(sm2Digest(MSG, sm2.publicKey, '1234567812345678'), sig, sm2.publicKey), true);
    assert.equal(sm2VerifyDigest(createHash('sm3').update(MSG).digest(), sig, sm2.publicKey), false, 'not over SM3(M) alone');
  });

  it('SM2: wrong message, key, user ID or hash option fail; a custom ID round-trips', () => {
    const sig = signData(MSG, sm2);
    const other = sm2PrivateKey(generateSm2KeyPair().privateKey);
    assert.equal(verifyData(Buffer.from('x'), sig, publicOf(sm2)), false);
    assert.equal(verifyData(MSG, sig, publicOf(other)), false);
    assert.equal(verifyData(MSG, sig, publicOf(sm2), { userId: 'ALICE123@YAHOO.COM' }), false);
    assert.equal(verifyData(MSG, sig, publicOf(sm2), { hash: 'sha256' }), false);
    const custom = signData(MSG, sm2, { userId: 'ALICE123@YAHOO.COM' });
    assert.equal(verifyData(MSG, custom, publicOf(sm2), { userId: 'ALICE123@YAHOO.COM' }), true);
    assert.throws(() => signData(MSG, sm2, { hash: 'sha256' }), /SM3/);
  });

  it('SM2: verification with a precomputed table gives the same answers (every policy)', () => {
    const sig = signData(MSG, sm2);
    for (const precompute of ['never', 'auto', 'auto', 'always'] as const) {
      assert.equal(verifyData(MSG, sig, publicOf(sm2), { precompute }), true);
      assert.equal(verifyData(Buffer.from('y'), sig, publicOf(sm2), { precompute }), false);
    }
  });

  it('SM2: non-canonical encodings of a valid signature are refused', () => {
    const sig = signData(MSG, sm2);
    const variants = [
      Buffer.concat([Buffer.from([0x31]), sig.subarray(1)]), // wrong outer tag
      Buffer.concat([sig, Buffer.from([0])]), // trailing byte
      Buffer.concat([Buffer.from([0x30, 0x81, sig.length - 2]), sig.subarray(2)]), // long-form length
    ];
    // an extra leading zero on r
    const rLen = sig[3];
    const padded = Buffer.concat([Buffer.from([0x30, sig[1] + 1, 0x02, rLen + 1, 0x00]), sig.subarray(4)]);
    variants.push(padded);
    for (const v of variants) {
      assert.equal(isStrictSm2Signature(v), false, v.toString('hex'));
      assert.equal(verifyData(MSG, v, publicOf(sm2)), false);
    }
  });

  it('RSA: PKCS#1 v1.5 SHA-256 by default; SHA-1 and SM3 on request', () => {
    const sig = signData(MSG, rsa);
    assert.equal(verifyData(MSG, sig, publicOf(rsa)), true);
    assert.equal(verifyData(MSG, sig, publicOf(rsa), { hash: 'sha1' }), false);
    for (const hash of ['sha1', 'sm3'] as const) {
      const s = signData(MSG, rsa, { hash });
      assert.equal(verifyData(MSG, s, publicOf(rsa), { hash }), true);
      assert.equal(verifyData(MSG, s, publicOf(rsa)), false);
    }
  });

  it('verifyData never throws', () => {
    assert.equal(verifyData(MSG, randomBytes(71), { kind: 'sm2', hex: '04' + '00'.repeat(64) }), false);
    assert.equal(verifyData(MSG, Buffer.alloc(0), publicOf(sm2)), false);
    assert.equal(verifyData(MSG, randomBytes(256), publicOf(rsa)), false);
  });
});

describe('pkcs1 key loading (algorithms/keys.ts)', () => {
  const kp = generateSm2KeyPair();
  const key = sm2PrivateKey(kp.privateKey);

  it('SM2 private key from hex, PKCS#8 PEM/DER, SEC1 PEM/DER — all the same key', () => {
    const forms: Array<string | Buffer> = [
      kp.privateKey,
      '0x' + kp.privateKey.toUpperCase(),
      sm2PrivateKeyToPem(key, 'pkcs8'),
      sm2PrivateKeyToPem(key, 'sec1'),
      sm2PrivateKeyToPkcs8(key),
      sm2PrivateKeyToSec1(key),
    ];
    for (const f of forms) {
      const k = loadSm2PrivateKey(f);
      assert.equal(k.privateKey, kp.privateKey);
      assert.equal(k.publicKey, kp.publicKey);
    }
  });

  it('SM2 keys generated by Node (OpenSSL) load from PKCS#8 and SEC1, and sign verifiably', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    const a = loadPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const b = loadPrivateKey(privateKey.export({ format: 'pem', type: 'sec1' }) as string);
    const c = loadPrivateKey(privateKey);
    assert.equal(a.kind, 'sm2');
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.equal(verifyData(MSG, signData(MSG, a), publicOf(a)), true);
  });

  it('a short private scalar is left-padded; out-of-range scalars and mismatched public keys are refused', () => {
    assert.equal(sm2PrivateKey('1f').privateKey, '0'.repeat(62) + '1f');
    assert.throws(() => sm2PrivateKey('0'), /range/);
    assert.throws(() => sm2PrivateKey('fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123'), /range/);
    assert.throws(() => sm2PrivateKey('zz'), /hex/);
    assert.throws(() => sm2PrivateKey(kp.privateKey, generateSm2KeyPair().publicKey), /does not match/);
  });

  it('RSA private key from KeyObject, PKCS#8 PEM, PKCS#1 PEM and DER', () => {
    const { privateKey } = generateRsaKeyPair(1024);
    const forms: Array<string | Buffer> = [
      privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      privateKey.export({ format: 'pem', type: 'pkcs1' }) as string,
      privateKey.export({ format: 'der', type: 'pkcs8' }),
      privateKey.export({ format: 'der', type: 'pkcs1' }),
    ];
    const sig = signData(MSG, loadRsaPrivateKey(privateKey));
    for (const f of forms) {
      const k = loadPrivateKey(f);
      assert.equal(k.kind, 'rsa');
      assert.equal(verifyData(MSG, sig, publicOf(k)), true);
    }
    assert.throws(() => loadSm2PrivateKey(forms[0]), /not an SM2/);
    assert.throws(() => loadRsaPrivateKey(kp.privateKey), /not an RSA/);
  });

  it('encrypted PKCS#8 needs the passphrase', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'SM2' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    assert.equal(pemDecode(pem)?.encrypted, true);
    assert.equal(loadSm2PrivateKey(pem, 'pw').kind, 'sm2');
    assert.throws(() => loadSm2PrivateKey(pem, 'wrong'));
  });

  it('a P-256 key is refused as not SM2', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    assert.throws(() => loadPrivateKey(privateKey.export({ format: 'pem', type: 'sec1' }) as string), /not SM2/);
  });

  it('public keys: point hex (64/65 bytes), SPKI PEM/DER, compressed points, RSA KeyObject', () => {
    const spki = sm2PublicKeyToSpki(kp.publicKey);
    const forms = [kp.publicKey, kp.publicKey.slice(2), sm2PublicKeyToPem(kp.publicKey), spki];
    for (const f of forms) assert.deepEqual(loadPublicKey(f), { kind: 'sm2', hex: kp.publicKey });
    // a compressed point inside an SPKI is expanded
    const y = BigInt('0x' + kp.publicKey.slice(66));
    const compressed = Buffer.from(((y & 1n) === 1n ? '03' : '02') + kp.publicKey.slice(2, 66), 'hex');
    const cSpki = Buffer.from(spki.toString('hex').replace('03420004' + kp.publicKey.slice(2), '032200' + compressed.toString('hex')).replace(/^3059/, '3039'), 'hex');
    assert.equal(cSpki.length, spki.length - 32, 'the SPKI really holds the compressed point');
    assert.deepEqual(publicKeyFromSpki(cSpki), { kind: 'sm2', hex: kp.publicKey });
    const rsa = generateRsaKeyPair(1024);
    assert.equal(loadPublicKey(rsa.publicKey).kind, 'rsa');
    assert.equal(loadPublicKey(rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string).kind, 'rsa');
    assert.equal(loadPublicKey(rsa.privateKey).kind, 'rsa');
  });

  it('one SPKI decoder for certificates and key files: other curves are ec, unknown algorithms unsupported', () => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    const k = publicKeyFromSpki(p256);
    assert.equal(k.kind, 'ec');
    assert.equal(k.kind === 'ec' && k.curveOid, '1.2.840.10045.3.1.7');
    const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    assert.deepEqual(publicKeyFromSpki(ed), { kind: 'unsupported', algorithmOid: '1.3.101.112' });
    assert.throws(() => loadPublicKey(ed), /unsupported public key algorithm 1\.3\.101\.112/);
    assert.throws(() => publicKeyFromSpki(Buffer.from('3003020100', 'hex')), /expected tag/, 'malformed DER still throws');
  });

  it('PEM helpers and certificate input forms', () => {
    const id = makeSm2TestCert();
    const pem = pemCert(id.certDer);
    assert.ok(certificateDer(pem).equals(id.certDer));
    assert.ok(certificateDer(id.certDer.toString('base64')).equals(id.certDer));
    assert.ok(certificateDer(id.certDer).equals(id.certDer));
    assert.ok(pemDecode(pemEncode(id.certDer, 'CERTIFICATE'))?.der.equals(id.certDer));
    const c = readCmsCertificate(id.certDer);
    assert.deepEqual(c.publicKey, { kind: 'sm2', hex: id.key.publicKey });
    assert.ok(c.subjectKeyIdentifier?.equals(id.ski));
    assert.equal(c.serialHex, id.serial.toString('hex').toUpperCase());
    assert.match(c.subject, /CN=medbill test signer/);
  });
});
