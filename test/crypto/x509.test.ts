import { strict as assert } from 'node:assert';
import { createHash, X509Certificate } from 'node:crypto';
import {
  asn1,
  buildCertificate,
  certificatesFromPemBundle,
  certificateToPem,
  mustParseCertificate,
  nameDer,
  OID,
  parseCertificate,
  parseCertificateCached,
  verifyCertificateSignature,
} from '../../src/crypto';
import { vector } from '../helpers/fixtures';
import { DAY, makeCert, makeRoot, newKey } from '../helpers/pki-fixtures';

describe('x509: build and parse', () => {
  const now = new Date(Date.UTC(2026, 0, 15, 8, 30, 0));
  const root = makeRoot('medbill 测试根CA', { now, pathLen: 0 });
  const leaf = makeCert(root, 'medbill 演示医院 签名', {
    now,
    serialHex: '00ABCDEF0123',
    crlUrls: ['http://127.0.0.1:8080/crl/root.crl', 'ldap://127.0.0.1:389/cn=Demo CA,dc=medbill,dc=test?certificateRevocationList;binary'],
    ocspUrls: ['http://127.0.0.1:8081/ocsp'],
    extKeyUsage: [OID.kpEmailProtection],
  });

  it('parses an SM2 leaf into typed fields', () => {
    const c = leaf.cert;
    assert.equal(c.version, 3);
    assert.equal(c.serialHex, 'abcdef0123');
    assert.equal(c.signatureAlgorithm, OID.sm2WithSm3);
    assert.equal(c.subject.text, 'CN=medbill 演示医院 签名, O=medbill test, C=CN');
    assert.equal(c.issuer.text, 'CN=medbill 测试根CA, O=medbill test, C=CN');
    assert.deepEqual(
      c.subject.rdns.map((r) => [r[0].type, r[0].value]),
      [
        ['C', 'CN'],
        ['O', 'medbill test'],
        ['CN', 'medbill 演示医院 签名'],
      ],
    );
    assert.equal(c.notBefore.toISOString(), new Date(now.getTime() - DAY).toISOString());
    assert.equal(c.notAfter.toISOString(), new Date(now.getTime() + 365 * DAY).toISOString());
    assert.equal(c.publicKey.kind, 'sm2');
    assert.equal(c.publicKey.kind === 'sm2' && c.publicKey.hex, leaf.key.kind === 'sm2' && leaf.key.publicKey);
    assert.deepEqual(c.extensions.basicConstraints, { ca: false, pathLen: undefined });
    assert.deepEqual(c.extensions.keyUsage, ['digitalSignature', 'nonRepudiation']);
    assert.deepEqual(c.extensions.extKeyUsage, [OID.kpEmailProtection]);
    assert.equal(c.extensions.crlUrls.length, 2);
    assert.match(c.extensions.crlUrls[1], /^ldap:\/\/127\.0\.0\.1:389\/cn=Demo CA/);
    assert.deepEqual(c.extensions.ocspUrls, ['http://127.0.0.1:8081/ocsp']);
    assert.equal(c.extensions.authorityKeyId, root.cert.extensions.subjectKeyId);
    assert.equal(c.extensions.subjectKeyId, createHash('sha1').update(c.publicKeyBits).digest('hex'));
    assert.equal(c.fingerprintSha256, createHash('sha256').update(c.der).digest('hex'));
    assert.equal(c.fingerprintSm3, createHash('sm3').update(c.der).digest('hex'));
    assert.equal(c.selfIssued, false);
    assert.equal(root.cert.selfIssued, true);
    assert.deepEqual(root.cert.extensions.basicConstraints, { ca: true, pathLen: 0 });
    assert.deepEqual(root.cert.extensions.keyUsage, ['keyCertSign', 'cRLSign']);
  });

  it('agrees with Node X509Certificate on the fields Node can read', () => {
    const n = new X509Certificate(leaf.cert.der);
    assert.equal(n.serialNumber.toLowerCase(), leaf.cert.serialHex);
    assert.equal(new Date(n.validTo).getTime(), leaf.cert.notAfter.getTime());
    assert.equal(n.fingerprint256.replace(/:/g, '').toLowerCase(), leaf.cert.fingerprintSha256);
    assert.match(n.subject, /CN=medbill 演示医院 签名/);
    assert.ok(n.checkIssued(new X509Certificate(root.cert.der)));
    assert.equal(n.ca, false);
    assert.equal(new X509Certificate(root.cert.der).ca, true);
  });

  it('keeps the raw tbs bytes and the DER Name bytes', () => {
    const parts = asn1.splitSigned(leaf.cert.der);
    assert.ok(parts);
    assert.ok(parts.tbs.equals(leaf.cert.tbs));
    assert.ok(leaf.cert.issuer.der.equals(root.cert.subject.der));
    assert.ok(root.cert.subject.der.equals(nameDer('CN=medbill 测试根CA, O=medbill test, C=CN')));
  });

  it('verifies signatures with the issuer key and rejects other keys and tampering', () => {
    assert.equal(verifyCertificateSignature(leaf.cert, root.cert), true);
    assert.equal(verifyCertificateSignature(root.cert, root.cert), true);
    const other = makeRoot('medbill 测试根CA', { now });
    assert.equal(verifyCertificateSignature(leaf.cert, other.cert), false);
    // Flip one bit inside the subject CN: the DER still parses, the signature must not verify.
    const der = Buffer.from(leaf.cert.der);
    const at = der.indexOf(Buffer.from('medbill 演示医院'));
    der[at] ^= 0x01;
    const tampered = mustParseCertificate(der);
    assert.notEqual(tampered.subject.text, leaf.cert.subject.text);
    assert.equal(verifyCertificateSignature(tampered, root.cert), false);
  });

  it('builds and parses RSA certificates (sha256WithRSAEncryption)', () => {
    const rsaRoot = makeRoot('Other RSA Root', { kind: 'rsa', now });
    const rsaLeaf = makeCert(rsaRoot, 'rsa leaf', { now, keyUsage: ['keyEncipherment'] });
    assert.equal(rsaLeaf.cert.signatureAlgorithm, OID.sha256WithRSA);
    assert.equal(rsaLeaf.cert.publicKey.kind, 'rsa');
    assert.equal(rsaLeaf.cert.publicKey.kind === 'rsa' && rsaLeaf.cert.publicKey.key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(verifyCertificateSignature(rsaLeaf.cert, rsaRoot.cert), true);
    assert.equal(verifyCertificateSignature(rsaLeaf.cert, root.cert), false);
    assert.ok(new X509Certificate(rsaLeaf.cert.der).verify(new X509Certificate(rsaRoot.cert.der).publicKey));
  });

  it('round-trips PEM, bundles and the cache', () => {
    const pem = certificateToPem(leaf.cert.der);
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
    const again = mustParseCertificate(pem);
    assert.equal(again.fingerprintSha256, leaf.cert.fingerprintSha256);
    const bundle = certificatesFromPemBundle(pem + certificateToPem(root.cert.der));
    assert.equal(bundle.length, 2);
    const a = parseCertificateCached(bundle[1]);
    const b = parseCertificateCached(root.cert.der);
    assert.ok(a.ok && b.ok && a.value === b.value, 'second parse is served from the cache');
  });

  it('returns reasons, never throws, on hostile input', () => {
    assert.deepEqual(parseCertificate(Buffer.alloc(0)).ok, false);
    assert.equal(parseCertificate('not a pem').ok, false);
    assert.equal(parseCertificate(leaf.cert.der.subarray(0, 100)).ok, false);
    assert.equal(parseCertificate(Buffer.concat([leaf.cert.der, Buffer.from([0])])).ok, false, 'trailing bytes');
    let parsed = 0;
    for (let i = 0; i < 300; i++) {
      const d = Buffer.from(leaf.cert.der);
      d[(i * 7919) % d.length] ^= 1 << i % 8;
      const r = parseCertificate(d);
      if (r.ok) parsed++;
      else assert.equal(typeof r.reason, 'string');
    }
    assert.ok(parsed < 300);
  });

  it('encodes OIDs and reads TLVs', () => {
    assert.equal(asn1.encodeOid(OID.sm2).toString('hex'), '06082a811ccf5501822d');
    assert.equal(asn1.tryOid(asn1.encodeOid('1.2.840.113549.1.1.11')), '1.2.840.113549.1.1.11');
    assert.equal(asn1.tryOid(Buffer.from('0603', 'hex')), null);
    assert.equal(asn1.tryTlv(Buffer.from('3084ffffffff', 'hex')), null, 'length beyond the buffer');
    assert.equal(asn1.tryTlv(Buffer.from('3080', 'hex')), null, 'indefinite length is not DER');
    const t = asn1.tryPath(leaf.cert.der, [0]);
    assert.ok(t && asn1.bytesOf(leaf.cert.der, t).equals(leaf.cert.tbs));
    assert.ok(t && (asn1.tryChildren(leaf.cert.der, t)?.length ?? 0) >= 7);
  });

  it('parses a real BJCA SM2 certificate (from the SVS SignedData vector)', () => {
    const p7 = vector('bjca_p7sign.b64');
    // ContentInfo → [0] → SignedData → certificates [0] → first Certificate
    const sd = asn1.tryPath(p7, [1, 0]);
    assert.ok(sd);
    const certsField = asn1.tryChildren(p7, sd)?.find((x) => x.tag === 0xa0);
    assert.ok(certsField);
    const first = asn1.tryTlv(p7, certsField.valueStart, certsField.end);
    assert.ok(first);
    const c = mustParseCertificate(asn1.bytesOf(p7, first));
    assert.equal(c.serialHex, '1a100000000010b3da44');
    assert.equal(c.issuer.text, 'CN=Beijing SM2 CA, OU=BJCA, O=BJCA, C=CN');
    assert.equal(c.signatureAlgorithm, OID.sm2WithSm3);
    assert.equal(c.publicKey.kind, 'sm2');
    assert.deepEqual(c.extensions.keyUsage, ['digitalSignature', 'nonRepudiation']);
    assert.deepEqual(c.extensions.crlUrls, ['http://test.bjca.org.cn:8003/crl/ca21crl30.crl']);
    assert.deepEqual(c.extensions.crlDirectoryNames, ['CN=ca21crl30, CN=Beijing SM2 CA, OU=BJCA, O=BJCA, C=CN']);
    assert.deepEqual(c.extensions.ocspUrls, ['OCSP://ocsp.bjca.org.cn']);
    assert.equal(c.extensions.authorityKeyId, '1fe6cfd48fc5222a974a298a15e716c99234c4b6');
    assert.deepEqual(c.extensions.unknownCritical, []);
  });

  it('refuses to build a PrintableString country with non-ASCII text', () => {
    const { key } = newKey();
    assert.throws(() => buildCertificate({ subject: 'CN=x, C=中国', signingKey: key, notBefore: now, notAfter: now }), /PrintableString/);
  });
});
