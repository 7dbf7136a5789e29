import { strict as assert } from 'node:assert';
import { buildCrl, ChainValidator, fetchCrlLdap, parseLdapUrl, RevocationChecker, RevokedEntry } from '../../src/crypto';
import { makeCert, makeRoot } from '../helpers/pki-fixtures';
import { BASE_DN, Slapd, slapdBinary, startSlapd } from '../helpers/slapd';

const HOUR = 3600_000;

describe('crl over LDAP: URL parsing', () => {
  it('parses RFC 4516 URLs with literal or percent-encoded DNs', () => {
    assert.deepEqual(parseLdapUrl('ldap://127.0.0.1:3899/cn=Demo CA,dc=medbill,dc=test?certificateRevocationList;binary'), {
      server: 'ldap://127.0.0.1:3899',
      dn: 'cn=Demo CA,dc=medbill,dc=test',
      attribute: 'certificateRevocationList;binary',
      scope: 'base',
      filter: '(objectClass=*)',
    });
    const enc = parseLdapUrl('ldap://ldap.ca.example/CN%3Dcrl1%2COU%3DCRL%2CO%3D%E6%BC%94%E7%A4%BACA?certificateRevocationList?base?(objectClass=cRLDistributionPoint)');
    assert.equal(enc?.server, 'ldap://ldap.ca.example:389');
    assert.equal(enc?.dn, 'CN=crl1,OU=CRL,O=演示CA');
    assert.equal(enc?.attribute, 'certificateRevocationList');
    assert.equal(enc?.filter, '(objectClass=cRLDistributionPoint)');
    assert.equal(parseLdapUrl('ldaps://h/dc=x')?.server, 'ldaps://h:636');
    assert.equal(parseLdapUrl('ldap://h/dc=x?a?bogus'), null);
    assert.equal(parseLdapUrl('ldap://h/'), null);
    assert.equal(parseLdapUrl('http://h/x'), null);
  });
});

describe('crl over LDAP: real slapd', function () {
  this.timeout(30_000);
  const start = new Date();
  let clock = start;
  const ca = makeRoot('LDAP CRL CA', { now: start });
  const dn = `cn=Demo CA,${BASE_DN}`;
  let slapd: Slapd | undefined;
  let cdp = '';
  const crlOf = (revoked: RevokedEntry[], thisUpdate: Date, nextUpdate: Date): Buffer =>
    buildCrl({ issuer: ca.cert, signingKey: ca.key, thisUpdate, nextUpdate, revoked });

  before(async function () {
    if (!slapdBinary()) {
      console.log('      SKIPPED: slapd binary not found — install it with `apt-get install slapd ldap-utils` (.ci/run does)');
      this.skip();
    }
    slapd = await startSlapd([{ rdn: 'cn=Demo CA', crl: crlOf([], start, new Date(start.getTime() + HOUR)), caCertificate: ca.cert.der }]);
    // Literal space in the DN, as CAs print it in certificates.
    cdp = `${slapd.url}/${dn}?certificateRevocationList;binary`;
  });
  after(async () => {
    await slapd?.stop();
  });

  const validator = (opts: { ldapServer?: string } = {}): { v: ChainValidator; checker: RevocationChecker } => {
    const checker = new RevocationChecker({ mode: 'crl', clock: () => clock, timeoutMs: 3000, ...opts });
    return { v: new ChainValidator({ trustRoots: [ca.cert], revocation: checker }), checker };
  };

  it('fetches the exact CRL bytes with an anonymous LDAP search', async () => {
    const crl = crlOf([{ serialHex: '1234', revokedAt: start }], start, new Date(start.getTime() + HOUR));
    await slapd?.publishCrl(dn, crl);
    const got = await fetchCrlLdap(cdp);
    assert.ok(got.equals(crl));
    await assert.rejects(fetchCrlLdap(`${slapd?.url}/cn=No Such CA,${BASE_DN}?certificateRevocationList;binary`), /LDAP/);
  });

  it('REVOKED via the LDAP distribution point in the certificate; others stay valid', async () => {
    clock = start;
    const revoked = makeCert(ca, 'revoked over ldap', { crlUrls: [cdp], now: start });
    const good = makeCert(ca, 'good over ldap', { crlUrls: [cdp], now: start });
    await slapd?.publishCrl(dn, crlOf([{ serialHex: revoked.cert.serialHex, revokedAt: new Date(start.getTime() - 60_000), reason: 'keyCompromise' }], start, new Date(start.getTime() + HOUR)));
    const { v } = validator();
    const r = await v.validate(revoked.cert, { at: clock });
    assert.equal(r.code, 'REVOKED', r.reason);
    assert.equal(r.gmCode, -3);
    assert.match(r.reason, /ldap:\/\/127\.0\.0\.1/);
    const ok = await v.validate(good.cert, { at: clock });
    assert.equal(ok.code, 'OK', ok.reason);
  });

  it('picks up a newly published CRL from LDAP once the cached one passes nextUpdate', async () => {
    clock = start;
    const leaf = makeCert(ca, 'revoked later', { crlUrls: [cdp], now: start });
    await slapd?.publishCrl(dn, crlOf([], start, new Date(start.getTime() + HOUR)));
    const { v, checker } = validator();
    assert.equal((await v.validate(leaf.cert, { at: clock })).code, 'OK');
    const later = new Date(start.getTime() + 10 * 60_000);
    await slapd?.publishCrl(dn, crlOf([{ serialHex: leaf.cert.serialHex, revokedAt: later }], later, new Date(start.getTime() + 3 * HOUR)));
    clock = new Date(start.getTime() + 20 * 60_000);
    assert.equal((await v.validate(leaf.cert, { at: clock })).code, 'OK', 'cached CRL still current');
    clock = new Date(start.getTime() + HOUR + 1000);
    const r = await v.validate(leaf.cert, { at: clock });
    assert.equal(r.code, 'REVOKED', r.reason);
    assert.equal(checker.crlCache.stats.fetches, 2);
  });

  it('resolves a DirName distribution point against a configured LDAP server', async () => {
    clock = start;
    const leaf = makeCert(ca, 'dirname cdp', { now: start });
    await slapd?.publishCrl(dn, crlOf([{ serialHex: leaf.cert.serialHex, revokedAt: start }], start, new Date(start.getTime() + HOUR)));
    // Certificates like BJCA's carry a DirName CDP; here the same lookup is driven through crlUrlsFor.
    const checker = new RevocationChecker({ mode: 'crl', clock: () => clock, ldapServer: slapd?.url });
    const urls = checker.crlUrlsFor({ ...leaf.cert, extensions: { ...leaf.cert.extensions, crlDirectoryNames: [dn] } });
    assert.equal(urls.length, 1);
    const res = await checker.crlCache.get(urls, ca.cert);
    assert.ok(res.ok, !res.ok ? res.reason : '');
    assert.ok(res.crl.revoked.has(leaf.cert.serialHex));
  });

  it('REVOCATION_UNKNOWN once slapd is down and the cache is empty', async () => {
    clock = start;
    const leaf = makeCert(ca, 'ldap down', { crlUrls: [cdp], now: start });
    await slapd?.stop();
    slapd = undefined;
    const { v } = validator();
    const r = await v.validate(leaf.cert, { at: clock });
    assert.equal(r.code, 'REVOCATION_UNKNOWN', r.reason);
    assert.match(r.reason, /LDAP/);
  });
});
