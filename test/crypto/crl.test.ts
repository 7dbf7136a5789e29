import { strict as assert } from 'node:assert';
import {
  buildCrl,
  ChainValidator,
  CrlCache,
  crlToPem,
  fetchCrlHttp,
  lookupSerial,
  OID,
  parseCrl,
  RevocationChecker,
  verifyCrl,
} from '../../src/crypto';
import { deadUrl, DAY, Identity, listen, makeCert, makeRoot } from '../helpers/pki-fixtures';

const HOUR = 3600_000;

describe('crl: build, parse, verify', () => {
  const now = new Date(Date.UTC(2026, 2, 1, 0, 0, 0));
  const ca = makeRoot('CRL Test CA', { now });
  const rsaCa = makeRoot('CRL Test RSA CA', { kind: 'rsa', now });

  it('builds an SM2 CRL that parses back with its entries and extensions', () => {
    const der = buildCrl({
      issuer: ca.cert,
      signingKey: ca.key,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + DAY),
      crlNumber: 42,
      revoked: [
        { serialHex: '0a0b0c', revokedAt: new Date(now.getTime() - HOUR), reason: 'keyCompromise' },
        { serialHex: 'ff01', revokedAt: new Date(now.getTime() - 2 * HOUR), reason: 'certificateHold' },
        { serialHex: '0102', revokedAt: new Date(now.getTime() - 3 * HOUR) },
      ],
    });
    const r = parseCrl(der);
    assert.ok(r.ok, !r.ok ? r.reason : '');
    const crl = r.value;
    assert.equal(crl.signatureAlgorithm, OID.sm2WithSm3);
    assert.equal(crl.issuer.text, ca.cert.subject.text);
    assert.equal(crl.thisUpdate.getTime(), now.getTime());
    assert.equal(crl.nextUpdate?.getTime(), now.getTime() + DAY);
    assert.equal(crl.crlNumber, 42);
    assert.equal(crl.authorityKeyId, ca.cert.extensions.subjectKeyId);
    assert.equal(crl.revoked.size, 3);
    assert.deepEqual(lookupSerial(crl, '0A0B0C'), { serialHex: '0a0b0c', revokedAt: new Date(now.getTime() - HOUR), reason: 'keyCompromise' });
    assert.equal(lookupSerial(crl, '00ff01')?.reason, 'certificateHold');
    assert.equal(lookupSerial(crl, '0102')?.reason, undefined);
    assert.equal(lookupSerial(crl, '0103'), undefined);
    assert.deepEqual(verifyCrl(crl, ca.cert), { ok: true, value: true });
    // PEM form parses too
    assert.ok(parseCrl(crlToPem(der)).ok);
  });

  it('rejects a CRL signed by another key, or altered', () => {
    const impostor = makeRoot('CRL Test CA', { now });
    const der = buildCrl({ issuer: impostor.cert, signingKey: impostor.key, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY), revoked: [] });
    const crl = parseCrl(der);
    assert.ok(crl.ok);
    const v = verifyCrl(crl.value, ca.cert);
    assert.equal(v.ok, false);
    const good = buildCrl({ issuer: ca.cert, signingKey: ca.key, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY), revoked: [{ serialHex: '05', revokedAt: now }] });
    const altered = Buffer.from(good);
    altered[altered.indexOf(Buffer.from([0x02, 0x01, 0x05])) + 2] = 0x06; // serial 05 → 06
    const p = parseCrl(altered);
    assert.ok(p.ok);
    assert.ok(lookupSerial(p.value, '06'));
    assert.deepEqual(verifyCrl(p.value, ca.cert), { ok: false, reason: 'CRL signature does not verify' });
  });

  it('builds and verifies RSA CRLs', () => {
    const der = buildCrl({ issuer: rsaCa.cert, signingKey: rsaCa.key, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY), revoked: [{ serialHex: '77', revokedAt: now }] });
    const p = parseCrl(der);
    assert.ok(p.ok);
    assert.equal(p.value.signatureAlgorithm, OID.sha256WithRSA);
    assert.ok(verifyCrl(p.value, rsaCa.cert).ok);
    assert.equal(verifyCrl(p.value, ca.cert).ok, false);
  });

  it('never throws on hostile CRL bytes, and no single-bit change verifies', () => {
    const der = buildCrl({ issuer: ca.cert, signingKey: ca.key, thisUpdate: now, nextUpdate: new Date(now.getTime() + DAY), revoked: [{ serialHex: '05', revokedAt: now }] });
    for (let i = 0; i < der.length; i++) {
      const d = Buffer.from(der);
      d[i] ^= 0x80;
      const r = parseCrl(d);
      if (r.ok) assert.equal(verifyCrl(r.value, ca.cert).ok, false, `flip at ${i} accepted`);
    }
    assert.equal(parseCrl(Buffer.from('garbage')).ok, false);
  });
});

describe('crl: HTTP distribution, cache and revocation policy', () => {
  const start = new Date();
  let clock = start;
  const ca = makeRoot('HTTP CRL CA', { now: start });
  let server: Awaited<ReturnType<typeof listen>>;
  const state: { crl: Buffer; hits: number; status: number } = { crl: Buffer.alloc(0), hits: 0, status: 200 };
  let leaf: Identity;
  let revokedLeaf: Identity;
  let heldLeaf: Identity;

  const publish = (revoked: Array<{ serialHex: string; reason?: 'keyCompromise' | 'certificateHold' }>, thisUpdate: Date, nextUpdate: Date): void => {
    state.crl = buildCrl({ issuer: ca.cert, signingKey: ca.key, thisUpdate, nextUpdate, revoked: revoked.map((r) => ({ ...r, revokedAt: new Date(thisUpdate.getTime() - HOUR) })) });
  };

  before(async () => {
    server = await listen((req, res) => {
      state.hits++;
      if (req.url !== '/crl/ca.crl' || state.status !== 200) {
        res.writeHead(req.url !== '/crl/ca.crl' ? 404 : state.status).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(state.crl);
    });
    const crlUrls = [`${server.url}/crl/ca.crl`];
    leaf = makeCert(ca, 'good leaf', { crlUrls, now: start });
    revokedLeaf = makeCert(ca, 'revoked leaf', { crlUrls, now: start });
    heldLeaf = makeCert(ca, 'held leaf', { crlUrls, now: start });
    publish([{ serialHex: revokedLeaf.cert.serialHex, reason: 'keyCompromise' }, { serialHex: heldLeaf.cert.serialHex, reason: 'certificateHold' }], start, new Date(start.getTime() + HOUR));
  });
  after(() => server.close());

  const validatorWith = (opts: { softFail?: boolean } = {}): { v: ChainValidator; checker: RevocationChecker } => {
    const checker = new RevocationChecker({ mode: 'crl', clock: () => clock, softFail: opts.softFail, timeoutMs: 2000 });
    return { v: new ChainValidator({ trustRoots: [ca.cert], revocation: checker }), checker };
  };

  it('fetches over HTTP (DER or PEM body)', async () => {
    const body = await fetchCrlHttp(`${server.url}/crl/ca.crl`);
    assert.ok(body.equals(state.crl));
    await assert.rejects(fetchCrlHttp(`${server.url}/missing.crl`), /HTTP 404/);
  });

  it('REVOKED (-3) for a listed serial, SUSPENDED (-4) for certificateHold, OK otherwise', async () => {
    clock = start;
    const { v, checker } = validatorWith();
    const bad = await v.validate(revokedLeaf.cert, { at: clock });
    assert.equal(bad.code, 'REVOKED', bad.reason);
    assert.equal(bad.gmCode, -3);
    assert.match(bad.reason, /keyCompromise/);
    const held = await v.validate(heldLeaf.cert, { at: clock });
    assert.equal(held.code, 'SUSPENDED');
    assert.equal(held.gmCode, -4);
    const ok = await v.validate(leaf.cert, { at: clock });
    assert.equal(ok.code, 'OK', ok.reason);
    assert.equal(ok.revocation[0].status, 'good');
    assert.equal(checker.crlCache.stats.fetches, 1, 'three validations, one download');
    assert.equal(checker.crlCache.stats.hits, 2);
  });

  it('refetches a stale CRL after nextUpdate (injected clock) and sees the new revocation', async () => {
    clock = start;
    publish([], start, new Date(start.getTime() + HOUR));
    const { v, checker } = validatorWith();
    assert.equal((await v.validate(leaf.cert, { at: clock })).code, 'OK');
    // The CA revokes `leaf` and publishes; the cached CRL is still current, so nothing changes yet.
    publish([{ serialHex: leaf.cert.serialHex }], new Date(start.getTime() + 30 * 60_000), new Date(start.getTime() + 2 * HOUR));
    clock = new Date(start.getTime() + 40 * 60_000);
    assert.equal((await v.validate(leaf.cert, { at: clock })).code, 'OK');
    assert.equal(checker.crlCache.stats.fetches, 1);
    // Past the cached CRL's nextUpdate the cache refetches.
    clock = new Date(start.getTime() + HOUR + 1000);
    const r = await v.validate(leaf.cert, { at: clock });
    assert.equal(r.code, 'REVOKED', r.reason);
    assert.equal(checker.crlCache.stats.fetches, 2);
  });

  it('REVOCATION_UNKNOWN when the CRL server is down and nothing valid is cached; soft-fail accepts with a warning', async () => {
    clock = start;
    const down = await deadUrl('/crl/ca.crl');
    const orphan = makeCert(ca, 'leaf with dead CDP', { crlUrls: [down], now: start });
    const hard = validatorWith();
    const r = await hard.v.validate(orphan.cert, { at: clock });
    assert.equal(r.code, 'REVOCATION_UNKNOWN');
    assert.equal(r.gmCode, -10);
    assert.match(r.message.zh, /无法获取证书状态/);
    const soft = validatorWith({ softFail: true });
    const s = await soft.v.validate(orphan.cert, { at: clock });
    assert.equal(s.code, 'OK');
    assert.equal(s.warnings.length, 1);
    assert.match(s.warnings[0], /soft-fail/);
  });

  it('a cached CRL that expires while the server is down is not used', async () => {
    clock = start;
    state.status = 200;
    publish([], start, new Date(start.getTime() + HOUR));
    const { v } = validatorWith();
    assert.equal((await v.validate(leaf.cert, { at: clock })).code, 'OK');
    state.status = 503;
    clock = new Date(start.getTime() + 2 * HOUR);
    const r = await v.validate(leaf.cert, { at: clock });
    state.status = 200;
    assert.equal(r.code, 'REVOCATION_UNKNOWN');
    assert.match(r.reason, /HTTP 503/);
  });

  it('CRL_EXPIRED when the server publishes a CRL already past nextUpdate', async () => {
    publish([], new Date(start.getTime() - 3 * HOUR), new Date(start.getTime() - HOUR));
    clock = start;
    const { v } = validatorWith({ softFail: true });
    const r = await v.validate(leaf.cert, { at: clock });
    assert.equal(r.code, 'CRL_EXPIRED', 'soft-fail does not cover stale CRLs');
    assert.equal(r.gmCode, -11);
  });

  it('BAD_CRL_SIGNATURE when the CRL is signed by someone else', async () => {
    const impostor = makeRoot('HTTP CRL CA', { now: start });
    state.crl = buildCrl({ issuer: impostor.cert, signingKey: impostor.key, thisUpdate: start, nextUpdate: new Date(start.getTime() + HOUR), revoked: [] });
    clock = start;
    const { v } = validatorWith();
    const r = await v.validate(revokedLeaf.cert, { at: clock });
    assert.equal(r.code, 'BAD_CRL_SIGNATURE');
    assert.equal(r.gmCode, -12);
  });

  it('CrlCache shares one download between concurrent lookups', async () => {
    publish([], start, new Date(start.getTime() + HOUR));
    const cache = new CrlCache({ clock: () => start });
    const before = state.hits;
    const rs = await Promise.all(Array.from({ length: 10 }, () => cache.get([`${server.url}/crl/ca.crl`], ca.cert)));
    assert.ok(rs.every((r) => r.ok));
    assert.equal(state.hits - before, 1);
  });
});
