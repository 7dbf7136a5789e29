/**
 * Interoperability with the OpenSSL 3 command line, both directions: OpenSSL parses and verifies
 * what we build (certificates, chains, CRLs, OCSP messages), and we validate what OpenSSL builds.
 *
 * SM2 note: OpenSSL 3.0 verifies SM2 signatures with an empty distinguishing ID unless told
 * otherwise; GM/T 0009 (and every Chinese CA) uses "1234567812345678". So SM2 verifications pass
 * `-vfyopt distid:1234567812345678` (and `-sigopt` when OpenSSL signs). RSA needs nothing special.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildCrl,
  buildOcspRequest,
  certificateToPem,
  ChainValidator,
  createOcspResponder,
  crlToPem,
  demoCertificate,
  demoSigningKey,
  generateDemoPki,
  mustParseCertificate,
  OcspCertStatus,
  ocspHttpHandler,
  OID,
  parseCrl,
  verifyCrl,
} from '../../src/crypto';
import { DAY, Identity, listen, makeCert, makeRoot, openssl, opensslAvailable } from '../helpers/pki-fixtures';

const DISTID = ['-vfyopt', 'distid:1234567812345678'];

function opensslAsync(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Async on purpose: the OCSP responder under test runs in this process and must keep serving.
  return new Promise((resolve) => {
    execFile('openssl', args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err && typeof (err as { code?: unknown }).code === 'number' ? ((err as { code?: unknown }).code as number) : err ? 1 : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('openssl interop', function () {
  this.timeout(60_000);
  const now = new Date();
  const dir = mkdtempSync(join(tmpdir(), 'medbill-openssl-'));
  const file = (name: string, content: string | Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const pki = generateDemoPki({
    now,
    crlUrls: ['http://127.0.0.1:9/crl/root.crl', 'ldap://127.0.0.1:389/cn=Demo CA,dc=medbill,dc=test?certificateRevocationList;binary'],
    ocspUrl: 'http://127.0.0.1:9/ocsp',
  });
  const root: Identity = { cert: demoCertificate(pki.rootCa), key: demoSigningKey(pki.rootCa) };
  const financeRoot = demoCertificate(pki.financeCa);
  const rsaRoot = makeRoot('Interop RSA Root', { kind: 'rsa', pathLen: 1 });
  const rsaSub = makeCert(rsaRoot, 'Interop RSA Sub CA', { ca: { pathLen: 0 }, keyUsage: ['keyCertSign', 'cRLSign'] });
  const rsaLeaf = makeCert(rsaSub, 'Interop RSA Leaf', { crlUrls: ['http://127.0.0.1:9/rsa.crl'] });

  const ids = {
    root: pki.rootCa,
    unitSigning: pki.unitSigning,
    unitEncryption: pki.unitEncryption,
    ocspResponder: pki.ocspResponder,
    financeCa: pki.financeCa,
    financeSigning: pki.financeSigning,
  };

  before(function () {
    if (!opensslAvailable()) {
      console.log('      SKIPPED: openssl CLI not found (.ci/run installs it)');
      this.skip();
    }
    for (const [name, id] of Object.entries(ids)) file(`${name}.pem`, id.certificatePem);
    file('rsa-root.pem', certificateToPem(rsaRoot.cert.der));
    file('rsa-sub.pem', certificateToPem(rsaSub.cert.der));
    file('rsa-leaf.pem', certificateToPem(rsaLeaf.cert.der));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('openssl x509 -text parses every certificate we build', () => {
    for (const [name, id] of Object.entries(ids)) {
      const r = openssl(['x509', '-in', join(dir, `${name}.pem`), '-noout', '-text', '-nameopt', 'utf8,sep_comma_plus_space']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Signature Algorithm: SM2-with-SM3/);
      assert.match(r.stdout, /ASN1 OID: SM2/);
      assert.ok(r.stdout.includes(`Serial Number:`));
      const cn = demoCertificate(id).subject.rdns.at(-1)?.[0].value ?? '';
      assert.ok(r.stdout.includes(`Subject: C=CN, `) && r.stdout.includes(`CN=${cn}\n`), `${name}: subject CN ${cn} in ${r.stdout.slice(0, 600)}`);
    }
    const leaf = openssl(['x509', '-in', join(dir, 'unitSigning.pem'), '-noout', '-text']).stdout;
    assert.match(leaf, /Key Usage: critical\s+Digital Signature, Non Repudiation/);
    assert.match(leaf, /CA:FALSE/);
    assert.match(leaf, /URI:http:\/\/127\.0\.0\.1:9\/crl\/root\.crl/);
    assert.match(leaf, /URI:ldap:\/\/127\.0\.0\.1:389\/cn=Demo CA,dc=medbill,dc=test\?certificateRevocationList;binary/);
    assert.match(leaf, /OCSP - URI:http:\/\/127\.0\.0\.1:9\/ocsp/);
    assert.match(openssl(['x509', '-in', join(dir, 'unitEncryption.pem'), '-noout', '-text']).stdout, /Key Encipherment, Data Encipherment/);
    assert.match(openssl(['x509', '-in', join(dir, 'ocspResponder.pem'), '-noout', '-text']).stdout, /OCSP Signing[\s\S]*OCSP No Check/);
    const rootText = openssl(['x509', '-in', join(dir, 'root.pem'), '-noout', '-text']).stdout;
    assert.match(rootText, /CA:TRUE, pathlen:1/);
    assert.match(rootText, /Certificate Sign, CRL Sign/);
    const rsa = openssl(['x509', '-in', join(dir, 'rsa-leaf.pem'), '-noout', '-text']);
    assert.match(rsa.stdout, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(rsa.stdout, /Public-Key: \(2048 bit\)/);
  });

  it('openssl verify accepts our SM2 chains (default ID) and rejects the wrong root', () => {
    const rootPem = join(dir, 'root.pem');
    for (const leaf of ['unitSigning', 'unitEncryption', 'ocspResponder']) {
      const r = openssl(['verify', ...DISTID, '-CAfile', rootPem, join(dir, `${leaf}.pem`)]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /: OK/);
    }
    const f = openssl(['verify', ...DISTID, '-CAfile', join(dir, 'financeCa.pem'), join(dir, 'financeSigning.pem')]);
    assert.match(f.stdout, /: OK/, f.stderr);
    const wrong = openssl(['verify', ...DISTID, '-CAfile', join(dir, 'financeCa.pem'), join(dir, 'unitSigning.pem')]);
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stdout + wrong.stderr, /unable to get local issuer certificate/);
    // Our notAfter means the same thing to OpenSSL.
    const later = Math.floor((now.getTime() + 800 * DAY) / 1000);
    const exp = openssl(['verify', ...DISTID, '-attime', String(later), '-CAfile', rootPem, join(dir, 'unitSigning.pem')]);
    assert.match(exp.stdout + exp.stderr, /certificate has expired/);
  });

  it('openssl verify accepts our RSA chain through an intermediate', () => {
    const r = openssl([
      'verify',
      '-CAfile',
      join(dir, 'rsa-root.pem'),
      '-untrusted',
      join(dir, 'rsa-sub.pem'),
      join(dir, 'rsa-leaf.pem'),
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /rsa-leaf\.pem: OK/);
  });

  it('openssl crl parses our SM2 and RSA CRLs and honours the RSA one in verify -crl_check', () => {
    const revokedAt = new Date(now.getTime() - 3600_000);
    const unit = demoCertificate(pki.unitSigning);
    const sm2Crl = buildCrl({
      issuer: root.cert,
      signingKey: root.key,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + DAY),
      crlNumber: 7,
      revoked: [{ serialHex: unit.serialHex, revokedAt, reason: 'keyCompromise' }],
    });
    const t = openssl(['crl', '-inform', 'DER', '-in', file('root.crl', sm2Crl), '-noout', '-text']);
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /Certificate Revocation List \(CRL\)/);
    assert.match(t.stdout, /Signature Algorithm: SM2-with-SM3/);
    assert.match(t.stdout, /X509v3 CRL Number:\s+7/);
    assert.ok(t.stdout.includes(`Serial Number: ${unit.serialHex.toUpperCase()}`), t.stdout);
    assert.match(t.stdout, /Key Compromise/);

    const rsaCrl = buildCrl({ issuer: rsaSub.cert, signingKey: rsaSub.key, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY), revoked: [{ serialHex: rsaLeaf.cert.serialHex, revokedAt }] });
    const crlPem = file('rsa-sub.crl.pem', crlToPem(rsaCrl));
    const v = openssl(['crl', '-in', crlPem, '-CAfile', join(dir, 'rsa-sub.pem'), '-noout']);
    assert.match(v.stdout + v.stderr, /verify OK/);
    const chk = openssl(['verify', '-crl_check', '-CAfile', join(dir, 'rsa-root.pem'), '-untrusted', join(dir, 'rsa-sub.pem'), '-CRLfile', crlPem, join(dir, 'rsa-leaf.pem')]);
    assert.notEqual(chk.status, 0);
    assert.match(chk.stdout + chk.stderr, /certificate revoked/);
  });

  it('openssl ocsp parses our requests and responses', async () => {
    const unit = demoCertificate(pki.unitSigning);
    const req = buildOcspRequest(unit, root.cert, { hash: 'sm3' });
    const rq = openssl(['ocsp', '-reqin', file('req.der', req.der), '-req_text']);
    assert.equal(rq.status, 0, rq.stderr);
    assert.match(rq.stdout, /OCSP Request Data/);
    assert.match(rq.stdout, /Hash Algorithm: sm3/);
    assert.ok(rq.stdout.includes(`Serial Number: ${unit.serialHex.toUpperCase()}`), rq.stdout);
    assert.match(rq.stdout, /OCSP Nonce/);

    const delegate = demoCertificate(pki.ocspResponder);
    const statuses: Record<string, OcspCertStatus> = { [unit.serialHex]: { status: 'revoked', revokedAt: new Date(now.getTime() - 3600_000), reason: 'keyCompromise' } };
    const responder = createOcspResponder({
      issuer: root.cert,
      signer: { certificate: delegate, key: demoSigningKey(pki.ocspResponder) },
      lookup: (s) => statuses[s] ?? { status: 'good' },
    });
    const resp = await responder(req.der);
    const rs = openssl(['ocsp', '-respin', file('resp.der', resp), '-resp_text', '-noverify']);
    assert.equal(rs.status, 0, rs.stderr);
    assert.match(rs.stdout, /OCSP Response Status: successful \(0x0\)/);
    assert.match(rs.stdout, /Response Type: Basic OCSP Response/);
    assert.match(rs.stdout, /Cert Status: revoked/);
    assert.match(rs.stdout, /Revocation Reason: keyCompromise/);
    assert.match(rs.stdout, /Signature Algorithm: SM2-with-SM3/);
    assert.match(rs.stdout, /OCSP Nonce/);
  });

  it('openssl ocsp as a client of our RSA responder: response verifies, status is right', async () => {
    const statuses: Record<string, OcspCertStatus> = { [rsaLeaf.cert.serialHex]: { status: 'revoked', revokedAt: new Date(now.getTime() - 60_000), reason: 'superseded' } };
    const responder = createOcspResponder({ issuer: rsaSub.cert, signer: { certificate: rsaSub.cert, key: rsaSub.key }, lookup: (s) => statuses[s] ?? { status: 'good' } });
    const server = await listen(ocspHttpHandler(responder));
    try {
      const chainFile = file('rsa-chain.pem', certificateToPem(rsaSub.cert.der) + certificateToPem(rsaRoot.cert.der));
      const r = await opensslAsync(['ocsp', '-issuer', join(dir, 'rsa-sub.pem'), '-cert', join(dir, 'rsa-leaf.pem'), '-url', `${server.url}/ocsp`, '-CAfile', chainFile]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stderr + r.stdout, /Response verify OK/);
      assert.match(r.stdout, /rsa-leaf\.pem: revoked/);
      assert.match(r.stdout, /Reason: superseded/);
      // And openssl's SHA-1 CertID request for an SM2 certificate, answered by our SM2 responder.
      const sm2 = createOcspResponder({ issuer: root.cert, signer: { certificate: root.cert, key: root.key }, lookup: () => ({ status: 'good' }) });
      const s2 = await listen(ocspHttpHandler(sm2));
      try {
        const g = await opensslAsync(['ocsp', '-issuer', join(dir, 'root.pem'), '-cert', join(dir, 'unitSigning.pem'), '-url', `${s2.url}/ocsp`, '-noverify']);
        assert.match(g.stdout, /unitSigning\.pem: good/, g.stdout + g.stderr);
      } finally {
        await s2.close();
      }
    } finally {
      await server.close();
    }
  });

  it('we validate certificates and CRLs that OpenSSL built (RSA and SM2)', () => {
    const key = join(dir, 'ossl-rsa.key');
    assert.equal(openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]).status, 0);
    const ca = join(dir, 'ossl-rsa-ca.pem');
    const mk = openssl(['req', '-x509', '-new', '-key', key, '-sha256', '-subj', '/C=CN/O=OpenSSL Test/CN=OpenSSL RSA CA', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', ca]);
    assert.equal(mk.status, 0, mk.stderr);
    const leafKey = join(dir, 'ossl-leaf.key');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', leafKey]);
    const csr = join(dir, 'ossl-leaf.csr');
    assert.equal(openssl(['req', '-new', '-key', leafKey, '-sm3', '-sigopt', 'distid:1234567812345678', '-subj', '/C=CN/O=OpenSSL Test/CN=SM2 leaf by RSA CA', '-out', csr]).status, 0);
    const ext = file('leaf.ext', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
    const leafPem = join(dir, 'ossl-leaf.pem');
    const sign = openssl(['x509', '-req', ...DISTID, '-in', csr, '-CA', ca, '-CAkey', key, '-CAcreateserial', '-days', '10', '-sha256', '-extfile', ext, '-out', leafPem]);
    assert.equal(sign.status, 0, sign.stderr);
    return (async () => {
      const v = new ChainValidator({ trustRoots: [readFileSync(ca, 'utf8')] });
      const r = await v.validate(readFileSync(leafPem, 'utf8'), { purpose: 'signing' });
      assert.equal(r.code, 'OK', r.reason);
      assert.equal(r.chain[0].publicKey.kind, 'sm2');
      assert.equal(r.chain[1].signatureAlgorithm, OID.sha256WithRSA);

      // An SM2 root self-signed by OpenSSL with the standard ID verifies under our code.
      const smKey = join(dir, 'ossl-sm2.key');
      openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', smKey]);
      const smRoot = join(dir, 'ossl-sm2-root.pem');
      const m2 = openssl(['req', '-x509', '-new', '-key', smKey, '-sm3', '-sigopt', 'distid:1234567812345678', '-subj', '/C=CN/CN=OpenSSL SM2 Root',
        '-days', '10', '-addext', 'basicConstraints=critical,CA:TRUE', '-out', smRoot]);
      assert.equal(m2.status, 0, m2.stderr);
      const sm = mustParseCertificate(readFileSync(smRoot, 'utf8'));
      assert.equal(sm.signatureAlgorithm, OID.sm2WithSm3);
      const self = new ChainValidator({ trustRoots: [sm] });
      assert.equal((await self.validate(sm)).code, 'OK');

      // A CRL made by `openssl ca -gencrl` for the RSA CA, checked by our parser and verifier.
      const db = file('index.txt', '');
      const cnf = file('ca.cnf', `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}\ndefault_md=sha256\ndefault_crl_days=1\ncrlnumber=${file('crlnumber', '05\n')}\n`);
      const serial = r.chain[0].serialHex;
      writeFileSync(db, `R\t300101000000Z\t250101000000Z,keyCompromise\t${serial.toUpperCase()}\tunknown\t/CN=x\n`);
      const crlPath = join(dir, 'ossl.crl');
      const g = openssl(['ca', '-gencrl', '-config', cnf, '-keyfile', key, '-cert', ca, '-out', crlPath]);
      assert.equal(g.status, 0, g.stderr);
      const crl = parseCrl(readFileSync(crlPath, 'utf8'));
      assert.ok(crl.ok, !crl.ok ? crl.reason : '');
      assert.ok(verifyCrl(crl.value, r.chain[1]).ok);
      assert.equal(crl.value.revoked.get(serial)?.reason, 'keyCompromise');
      assert.equal(crl.value.crlNumber, 5);
    })();
  });

  it('the finance root is a different trust domain from the hospital root', async () => {
    const onlyHospital = new ChainValidator({ trustRoots: [root.cert] });
    assert.equal((await onlyHospital.validate(demoCertificate(pki.financeSigning))).code, 'UNTRUSTED_ROOT');
    assert.notEqual(financeRoot.fingerprintSha256, root.cert.fingerprintSha256);
  });
});
