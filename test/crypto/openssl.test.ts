/**
 * Interop with the OpenSSL 3 CLI, both directions: SM2 raw signatures (distid 1234567812345678), SM2 key
 * files, the GM envelope's SM2Cipher key transport and SM4-CBC content, SM4 ciphertext, RSA PKCS#1 v1.5 signatures, RSA-form CMS SignedData and EnvelopedData
 * (including SM4-CBC content encryption). SM2 *CMS* is not compared: OpenSSL 3.0 handles SM2 IDs in CMS
 * inconsistently (docs/reference/gm-crypto.md#which-library-does-what).
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import {
  loadPrivateKey,
  loadPublicKey,
  loadSm2PrivateKey,
  makeEnvelope,
  OID,
  openEnvelope,
  ParsedKeyTransRecipient,
  parseEnvelope,
  publicOf,
  rsaSign,
  rsaVerify,
  signData,
  signP7,
  sm2PrivateKeyToPem,
  sm2PublicKeyToPem,
  sm4CbcDecrypt,
  sm4CbcEncrypt,
  sm4EcbEncrypt,
  verifyData,
  verifyP7,
} from '../../src/crypto';
import { makeRsaTestCert, makeSm2TestCert, pemCert, RsaTestIdentity, Sm2TestIdentity } from './helpers/test-cert';
import { OpensslDir } from './helpers/openssl';

const DISTID = ['-pkeyopt', 'distid:1234567812345678'];

describe('openssl interop (crypto core)', function () {
  this.timeout(120_000);
  let ssl: OpensslDir;
  let sm2: Sm2TestIdentity;
  let rsa: RsaTestIdentity;
  before(() => {
    ssl = new OpensslDir();
    sm2 = makeSm2TestCert({ commonName: 'interop SM2' });
    rsa = makeRsaTestCert({ commonName: 'interop RSA' });
    ssl.write('rsa-key.pem', rsa.key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    ssl.write('rsa-pub.pem', rsa.key.publicKey.export({ format: 'pem', type: 'spki' }) as string);
    ssl.write('rsa-cert.pem', pemCert(rsa.certDer));
  });
  after(() => ssl.cleanup());

  describe('SM2 raw signatures', () => {
    it('ours verify in `openssl pkeyutl -verify -rawin -digest sm3 distid:1234567812345678`; a changed message does not', () => {
      ssl.write('sm2-pub.pem', sm2PublicKeyToPem(sm2.key.publicKey));
      for (const [i, msg] of [Buffer.from('a'), Buffer.from('<Header>…</Header><EInvoiceData>…</EInvoiceData>'), randomBytes(2048)].entries()) {
        ssl.write(`msg${i}`, msg);
        ssl.write(`sig${i}`, signData(msg, sm2.key));
        const ok = ssl.run(['pkeyutl', '-verify', '-pubin', '-inkey', 'sm2-pub.pem', '-rawin', '-digest', 'sm3', ...DISTID, '-in', `msg${i}`, '-sigfile', `sig${i}`]);
        assert.equal(ok.status, 0, ok.stderr);
        assert.match(ok.stdout.toString(), /Signature Verified Successfully/);
        ssl.write(`msg${i}x`, Buffer.concat([msg, Buffer.from('x')]));
        const bad = ssl.run(['pkeyutl', '-verify', '-pubin', '-inkey', 'sm2-pub.pem', '-rawin', '-digest', 'sm3', ...DISTID, '-in', `msg${i}x`, '-sigfile', `sig${i}`]);
        assert.notEqual(bad.status, 0, 'openssl must reject a signature over another message');
      }
    });

    it("openssl's signatures (key from `openssl genpkey`) verify with ours; without the distid they do not", () => {
      ssl.ok(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'ossl-sm2.pem']);
      ssl.ok(['pkey', '-in', 'ossl-sm2.pem', '-pubout', '-out', 'ossl-sm2-pub.pem']);
      const pub = loadPublicKey(ssl.read('ossl-sm2-pub.pem').toString());
      ssl.write('m', randomBytes(777));
      ssl.ok(['pkeyutl', '-sign', '-rawin', '-digest', 'sm3', '-inkey', 'ossl-sm2.pem', ...DISTID, '-in', 'm', '-out', 's']);
      assert.equal(verifyData(ssl.read('m'), ssl.read('s'), pub), true);
      assert.equal(verifyData(Buffer.concat([ssl.read('m'), Buffer.from([0])]), ssl.read('s'), pub), false);
      // OpenSSL's default (empty) ID is not the GM/T 0009 one, so that signature must fail with ours
      ssl.ok(['pkeyutl', '-sign', '-rawin', '-digest', 'sm3', '-inkey', 'ossl-sm2.pem', '-pkeyopt', 'distid:', '-in', 'm', '-out', 's-empty']);
      assert.equal(verifyData(ssl.read('m'), ssl.read('s-empty'), pub), false);
      assert.equal(verifyData(ssl.read('m'), ssl.read('s-empty'), pub, { userId: '' }), true);
    });

    it('OpenSSL key files load (PKCS#8, `openssl ec` SEC1 "SM2 PRIVATE KEY", encrypted PKCS#8) and ours load in OpenSSL', () => {
      ssl.ok(['genpkey', '-algorithm', 'SM2', '-out', 'k8.pem']);
      ssl.ok(['ec', '-in', 'k8.pem', '-out', 'sec1.pem']);
      ssl.ok(['pkcs8', '-topk8', '-in', 'k8.pem', '-v2', 'aes-256-cbc', '-passout', 'pass:secret', '-out', 'enc.pem']);
      const a = loadSm2PrivateKey(ssl.read('k8.pem').toString());
      const b = loadSm2PrivateKey(ssl.read('sec1.pem').toString());
      const c = loadSm2PrivateKey(ssl.read('enc.pem').toString(), 'secret');
      assert.deepEqual(a, b);
      assert.deepEqual(a, c);
      // our exports: OpenSSL reads them and signs with them, we verify
      ssl.write('ours-pkcs8.pem', sm2PrivateKeyToPem(sm2.key, 'pkcs8'));
      ssl.write('ours-sec1.pem', sm2PrivateKeyToPem(sm2.key, 'sec1'));
      ssl.ok(['ec', '-in', 'ours-sec1.pem', '-check', '-noout']);
      ssl.write('m2', Buffer.from('hello'));
      for (const f of ['ours-pkcs8.pem', 'ours-sec1.pem']) {
        ssl.ok(['pkeyutl', '-sign', '-rawin', '-digest', 'sm3', '-inkey', f, ...DISTID, '-in', 'm2', '-out', 's2']);
        assert.equal(verifyData(Buffer.from('hello'), ssl.read('s2'), publicOf(sm2.key)), true, f);
      }
      const text = ssl.ok(['pkey', '-in', 'ours-pkcs8.pem', '-text', '-noout']).toString();
      assert.match(text, /ASN1 OID: SM2/);
    });
  });

  describe('GM envelope pieces', () => {
    before(() => {
      ssl.write('sm2-key.pem', sm2PrivateKeyToPem(sm2.key));
      ssl.write('sm2-pub.pem', sm2PublicKeyToPem(sm2.key.publicKey));
    });

    it('our GM envelope opens with OpenSSL alone: `pkeyutl -decrypt` of the SM2Cipher key, then `enc -d -sm4-cbc`', () => {
      const content = randomBytes(1000);
      for (let i = 0; i < 8; i++) {
        // several envelopes: x and y of C1 need a sign octet about half the time, which must be DER-correct
        const p = parseEnvelope(makeEnvelope(content, sm2.certDer));
        assert.ok(p.ok && p.value.iv && p.value.ciphertext);
        const ri = p.value.recipients[0] as ParsedKeyTransRecipient;
        ssl.write('ek', ri.encryptedKey);
        const cek = ssl.ok(['pkeyutl', '-decrypt', '-inkey', 'sm2-key.pem', '-in', 'ek']);
        assert.equal(cek.length, 16);
        ssl.write('ct', p.value.ciphertext);
        const pt = ssl.ok(['enc', '-d', '-sm4-cbc', '-K', cek.toString('hex'), '-iv', p.value.iv.toString('hex'), '-in', 'ct']);
        assert.ok(pt.equals(content));
      }
    });

    it('an SM2Cipher made by `openssl pkeyutl -encrypt` unwraps in openEnvelope', () => {
      const content = Buffer.from('票据数字信封');
      const der = makeEnvelope(content, sm2.certDer);
      const p = parseEnvelope(der);
      assert.ok(p.ok);
      const ours = (p.value.recipients[0] as ParsedKeyTransRecipient).encryptedKey;
      ssl.write('ek', ours);
      const cek = ssl.ok(['pkeyutl', '-decrypt', '-inkey', 'sm2-key.pem', '-in', 'ek']);
      // re-wrap the same content key with OpenSSL and splice it in place of ours (both are 120–123 bytes)
      ssl.write('cek', cek);
      let theirs: Buffer = Buffer.alloc(0);
      for (let tries = 0; tries < 50 && theirs.length !== ours.length; tries++) {
        theirs = ssl.ok(['pkeyutl', '-encrypt', '-pubin', '-inkey', 'sm2-pub.pem', '-in', 'cek']);
      }
      assert.equal(theirs.length, ours.length, 'OpenSSL never produced a same-length SM2Cipher');
      const spliced = Buffer.from(der);
      theirs.copy(spliced, der.indexOf(ours));
      const o = openEnvelope(spliced, { privateKey: sm2.key, certDer: sm2.certDer });
      assert.ok(o.ok && o.content.equals(content));
    });
  });

  describe('SM4', () => {
    it('CBC and ECB ciphertext (PKCS#7 padding) equals `openssl enc`', () => {
      const key = randomBytes(16);
      const iv = randomBytes(16);
      for (const n of [0, 5, 16, 2048]) {
        const pt = randomBytes(n);
        ssl.write('pt', pt);
        const cbc = ssl.ok(['enc', '-sm4-cbc', '-K', key.toString('hex'), '-iv', iv.toString('hex'), '-in', 'pt']);
        assert.ok(cbc.equals(sm4CbcEncrypt(pt, key, iv)), `cbc n=${n}`);
        const ecb = ssl.ok(['enc', '-sm4-ecb', '-K', key.toString('hex'), '-in', 'pt']);
        assert.ok(ecb.equals(sm4EcbEncrypt(pt, key)), `ecb n=${n}`);
        ssl.write('ct', sm4CbcEncrypt(pt, key, iv));
        const back = ssl.ok(['enc', '-d', '-sm4-cbc', '-K', key.toString('hex'), '-iv', iv.toString('hex'), '-in', 'ct']);
        assert.ok(back.equals(pt));
        assert.ok(sm4CbcDecrypt(cbc, key, iv).equals(pt));
      }
    });
  });

  describe('RSA PKCS#1 v1.5', () => {
    it('ours verify with `openssl dgst -verify`, openssl signatures verify with ours (SHA-256, SHA-1)', () => {
      ssl.write('rm', randomBytes(2048));
      for (const hash of ['sha256', 'sha1'] as const) {
        ssl.write('rs', rsaSign(ssl.read('rm'), rsa.key.privateKey, hash));
        const v = ssl.run(['dgst', `-${hash}`, '-verify', 'rsa-pub.pem', '-signature', 'rs', 'rm']);
        assert.equal(v.status, 0, v.stderr);
        assert.match(v.stdout.toString(), /Verified OK/);
        ssl.write('rm2', Buffer.from('other'));
        assert.notEqual(ssl.run(['dgst', `-${hash}`, '-verify', 'rsa-pub.pem', '-signature', 'rs', 'rm2']).status, 0);
        ssl.ok(['dgst', `-${hash}`, '-sign', 'rsa-key.pem', '-out', 'os', 'rm']);
        assert.equal(rsaVerify(ssl.read('rm'), ssl.read('os'), rsa.key.publicKey, hash), true);
        assert.equal(rsaVerify(ssl.read('rm2'), ssl.read('os'), rsa.key.publicKey, hash), false);
      }
    });
  });

  describe('RSA-form CMS', () => {
    const content = Buffer.from('电子票据 RSA interop\n', 'utf8');

    it('`openssl cms -verify` accepts our SignedData: attached/detached, with/without signed attributes', () => {
      ssl.write('content', content);
      for (const detached of [false, true]) {
        for (const signedAttributes of [false, true]) {
          ssl.write('p7.der', signP7(content, { privateKey: rsa.key, certDer: rsa.certDer, form: 'rsa', detached, signedAttributes }));
          const args = ['cms', '-verify', '-inform', 'DER', '-in', 'p7.der', '-binary', '-CAfile', 'rsa-cert.pem', '-purpose', 'any'];
          if (detached) args.push('-content', 'content');
          const r = ssl.run(args);
          assert.equal(r.status, 0, `detached=${detached} attrs=${signedAttributes}: ${r.stderr}`);
          assert.ok(r.stdout.equals(content));
          assert.match(r.stderr, /Verification successful/);
        }
      }
      // and it fails when the detached content is changed: the test can fail
      ssl.write('p7.der', signP7(content, { privateKey: rsa.key, certDer: rsa.certDer, detached: true, signedAttributes: true }));
      ssl.write('content2', Buffer.from('changed'));
      const bad = ssl.run(['cms', '-verify', '-inform', 'DER', '-in', 'p7.der', '-binary', '-noverify', '-content', 'content2']);
      assert.notEqual(bad.status, 0);
    });

    it('we verify `openssl cms -sign` output (default attributes incl. smimeCapabilities, -noattr, SHA-1, detached)', () => {
      ssl.write('content', content);
      const variants: Array<{ args: string[]; detached: boolean; attrs: boolean; digest: string }> = [
        { args: ['-nodetach'], detached: false, attrs: true, digest: OID.sha256 },
        { args: ['-nodetach', '-noattr'], detached: false, attrs: false, digest: OID.sha256 },
        { args: ['-nodetach', '-md', 'sha1'], detached: false, attrs: true, digest: OID.sha1 },
        { args: [], detached: true, attrs: true, digest: OID.sha256 },
      ];
      for (const v of variants) {
        ssl.ok(['cms', '-sign', '-binary', '-in', 'content', '-signer', 'rsa-cert.pem', '-inkey', 'rsa-key.pem', '-outform', 'DER', '-out', 'os.der', ...v.args]);
        const p7 = ssl.read('os.der');
        const r = verifyP7(p7, v.detached ? { content } : {});
        assert.equal(r.reason, 'ok', `${v.args.join(' ')}: ${r.detail}`);
        assert.equal(r.form, 'rsa');
        assert.equal(r.detached, v.detached);
        assert.equal(r.signedAttributes, v.attrs);
        assert.equal(r.digestAlgorithm, v.digest);
        assert.ok(r.signerCert?.equals(rsa.certDer));
        if (v.attrs) assert.ok(r.signingTime && Math.abs(r.signingTime.getTime() - Date.now()) < 600_000);
        if (v.detached) assert.equal(verifyP7(p7, { content: Buffer.from('changed') }).reason, 'digest-mismatch');
      }
    });

    it('`openssl cms -decrypt` opens our RSA envelopes (AES-128, AES-256, SM4-CBC)', () => {
      for (const contentCipher of ['aes-128-cbc', 'aes-256-cbc', 'sm4-cbc'] as const) {
        ssl.write('env.der', makeEnvelope(content, rsa.certDer, { form: 'rsa', contentCipher }));
        const r = ssl.run(['cms', '-decrypt', '-inform', 'DER', '-in', 'env.der', '-inkey', 'rsa-key.pem', '-recip', 'rsa-cert.pem', '-binary']);
        assert.equal(r.status, 0, `${contentCipher}: ${r.stderr}`);
        assert.ok(r.stdout.equals(content), contentCipher);
      }
    });

    it('we open `openssl cms -encrypt` envelopes (AES-128, AES-256, SM4-CBC)', () => {
      ssl.write('content', content);
      for (const [flag, oid] of [
        ['-aes128', OID.aes128Cbc],
        ['-aes256', OID.aes256Cbc],
        ['-sm4-cbc', OID.sm4Cbc],
      ] as const) {
        ssl.ok(['cms', '-encrypt', '-binary', flag, '-in', 'content', '-outform', 'DER', '-out', 'oe.der', 'rsa-cert.pem']);
        const der = ssl.read('oe.der');
        const p = parseEnvelope(der);
        assert.ok(p.ok);
        assert.equal(p.value.contentEncryptionAlgorithm, oid);
        for (const certDer of [rsa.certDer, undefined]) {
          const o = openEnvelope(der, { privateKey: loadPrivateKey(ssl.read('rsa-key.pem').toString()), certDer });
          assert.ok(o.ok, o.ok ? '' : `${flag}: ${o.reason} ${o.detail}`);
          assert.ok(o.content.equals(content));
        }
      }
    });
  });

  describe('BER (indefinite-length) input, as streaming encoders write it', () => {
    it('we verify `openssl cms -sign -stream` and open `openssl cms -encrypt -stream` output', () => {
      const content = randomBytes(3000); // spans several constructed OCTET STRING chunks
      ssl.write('content-ber', content);
      ssl.ok(['cms', '-sign', '-binary', '-nodetach', '-stream', '-in', 'content-ber', '-signer', 'rsa-cert.pem', '-inkey', 'rsa-key.pem', '-outform', 'DER', '-out', 'ber-sd.der']);
      const sd = ssl.read('ber-sd.der');
      assert.equal(sd[1], 0x80, 'really indefinite length');
      const r = verifyP7(sd);
      assert.equal(r.reason, 'ok', r.detail);
      assert.ok(r.content?.equals(content));
      ssl.ok(['cms', '-encrypt', '-binary', '-stream', '-aes128', '-in', 'content-ber', '-outform', 'DER', '-out', 'ber-ed.der', 'rsa-cert.pem']);
      const ed = ssl.read('ber-ed.der');
      assert.equal(ed[1], 0x80);
      const o = openEnvelope(ed, { privateKey: rsa.key });
      assert.ok(o.ok && o.content.equals(content));
    });
  });

  describe('structure of the GM forms', () => {
    it('`openssl asn1parse` reads our GM SignedData and EnvelopedData and names the GM algorithms', () => {
      ssl.write('gm-p7.der', signP7(Buffer.from('x'), { privateKey: sm2.key, certDer: sm2.certDer, signedAttributes: true }));
      const sd = ssl.ok(['asn1parse', '-inform', 'DER', '-in', 'gm-p7.der']).toString();
      assert.match(sd, /1\.2\.156\.10197\.6\.1\.4\.2\.2/);
      assert.match(sd, /:sm3/);
      assert.match(sd, /1\.2\.156\.10197\.1\.301\.1/);
      assert.match(sd, /:signingTime/);
      assert.match(sd, /:messageDigest/);
      ssl.write('gm-env.der', makeEnvelope(Buffer.from('x'), sm2.certDer));
      const ed = ssl.ok(['asn1parse', '-inform', 'DER', '-in', 'gm-env.der']).toString();
      assert.match(ed, /1\.2\.156\.10197\.6\.1\.4\.2\.3/);
      assert.match(ed, /1\.2\.156\.10197\.1\.301\.3/);
      assert.match(ed, /:sm4-cbc/);
    });
  });
});
