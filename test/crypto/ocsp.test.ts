import { strict as assert } from 'node:assert';
import {
  buildCrl,
  buildOcspRequest,
  certIdFor,
  ChainValidator,
  createOcspResponder,
  demoCertificate,
  demoSigningKey,
  generateDemoPki,
  OcspCertStatus,
  ocspHttpHandler,
  OcspResponder,
  OID,
  parseOcspRequest,
  parseOcspResponse,
  postOcspRequest,
  queryOcsp,
  RevocationChecker,
  verifyOcspResponse,
} from '../../src/crypto';
import { deadUrl, Identity, listen, makeCert, makeRoot } from '../helpers/pki-fixtures';

const HOUR = 3600_000;

describe('ocsp: requests, responder, client, verification', () => {
  const now = new Date();
  const pki = generateDemoPki({ now });
  const ca: Identity = { cert: demoCertificate(pki.rootCa), key: demoSigningKey(pki.rootCa) };
  const delegate: Identity = { cert: demoCertificate(pki.ocspResponder), key: demoSigningKey(pki.ocspResponder) };
  const statuses = new Map<string, OcspCertStatus>();
  const lookup = (serial: string): OcspCertStatus => statuses.get(serial) ?? { status: 'unknown' };
  const responder = createOcspResponder({ issuer: ca.cert, signer: { certificate: delegate.cert, key: delegate.key }, lookup });
  let server: Awaited<ReturnType<typeof listen>>;
  let ocspUrl = '';
  let hits = 0;
  let goodLeaf: Identity;
  let revokedLeaf: Identity;
  let unknownLeaf: Identity;

  before(async () => {
    const handler = ocspHttpHandler(responder);
    server = await listen((req, res) => {
      hits++;
      handler(req, res);
    });
    ocspUrl = `${server.url}/ocsp`;
    goodLeaf = makeCert(ca, 'ocsp good', { ocspUrls: [ocspUrl] });
    revokedLeaf = makeCert(ca, 'ocsp revoked', { ocspUrls: [ocspUrl] });
    unknownLeaf = makeCert(ca, 'ocsp unknown', { ocspUrls: [ocspUrl] });
    statuses.set(goodLeaf.cert.serialHex, { status: 'good' });
    statuses.set(revokedLeaf.cert.serialHex, { status: 'revoked', revokedAt: new Date(now.getTime() - HOUR), reason: 'keyCompromise' });
  });
  after(() => server.close());

  it('builds requests with SM3 or SHA-1 CertIDs and a nonce, and parses them back', () => {
    for (const hash of ['sm3', 'sha1', 'sha256'] as const) {
      const req = buildOcspRequest(goodLeaf.cert, ca.cert, { hash });
      const p = parseOcspRequest(req.der);
      assert.ok(p.ok);
      assert.equal(p.value.certIds.length, 1);
      assert.deepEqual(p.value.certIds[0], req.certId);
      assert.equal(req.certId.issuerNameHash.length, hash === 'sha1' ? 20 : 32);
      assert.ok(p.value.nonce?.equals(req.nonce as Buffer));
    }
    const noNonce = buildOcspRequest(goodLeaf.cert, ca.cert, { nonce: false });
    const p = parseOcspRequest(noNonce.der);
    assert.ok(p.ok && p.value.nonce === undefined);
    assert.equal(parseOcspRequest(Buffer.from('300a', 'hex')).ok, false);
  });

  it('answers good / revoked / unknown, signed by the delegated responder, echoing the nonce', async () => {
    for (const [leaf, expected] of [
      [goodLeaf, 'good'],
      [revokedLeaf, 'revoked'],
      [unknownLeaf, 'unknown'],
    ] as const) {
      const req = buildOcspRequest(leaf.cert, ca.cert, { hash: 'sm3' });
      const resp = parseOcspResponse(await responder(req.der));
      assert.ok(resp.ok, !resp.ok ? resp.reason : '');
      assert.equal(resp.value.responseStatus, 'successful');
      assert.ok(resp.value.basic?.nonce?.equals(req.nonce as Buffer), 'nonce echoed');
      assert.equal(resp.value.basic?.signatureAlgorithm, OID.sm2WithSm3);
      assert.equal(resp.value.basic?.certs[0].fingerprintSha256, delegate.cert.fingerprintSha256);
      const v = verifyOcspResponse(resp.value, { issuer: ca.cert, certId: req.certId, nonce: req.nonce });
      assert.ok(v.ok, !v.ok ? v.reason : '');
      assert.equal(v.status.status, expected);
      assert.equal(v.responder.fingerprintSha256, delegate.cert.fingerprintSha256);
      if (v.status.status === 'revoked') {
        assert.equal(v.status.reason, 'keyCompromise');
        assert.equal(v.status.revokedAt.getTime(), Math.floor((now.getTime() - HOUR) / 1000) * 1000);
      }
      assert.ok(v.nextUpdate && v.nextUpdate.getTime() > v.thisUpdate.getTime());
    }
  });

  it('a CA-signed responder identified by name verifies too', async () => {
    const byCa = createOcspResponder({ issuer: ca.cert, signer: { certificate: ca.cert, key: ca.key }, lookup, responderId: 'name' });
    const req = buildOcspRequest(revokedLeaf.cert, ca.cert);
    const resp = parseOcspResponse(await byCa(req.der));
    assert.ok(resp.ok);
    assert.equal(resp.value.basic?.certs.length, 0);
    assert.equal(resp.value.basic?.responderByName?.text, ca.cert.subject.text);
    const v = verifyOcspResponse(resp.value, { issuer: ca.cert, certId: req.certId, nonce: req.nonce });
    assert.ok(v.ok && v.status.status === 'revoked');
  });

  it('client POSTs application/ocsp-request over HTTP; GET form works too', async () => {
    const r = await queryOcsp(ocspUrl, goodLeaf.cert, ca.cert, { hash: 'sm3' });
    assert.ok(r.ok && r.status.status === 'good', JSON.stringify(r));
    const req = buildOcspRequest(revokedLeaf.cert, ca.cert);
    const res = await fetch(`${ocspUrl}/${encodeURIComponent(req.der.toString('base64'))}`);
    assert.equal(res.headers.get('content-type'), 'application/ocsp-response');
    const parsed = parseOcspResponse(Buffer.from(await res.arrayBuffer()));
    assert.ok(parsed.ok);
    const v = verifyOcspResponse(parsed.value, { issuer: ca.cert, certId: req.certId, nonce: req.nonce });
    assert.ok(v.ok && v.status.status === 'revoked');
  });

  it('chain validation with OCSP: REVOKED (-3), OK, and unknown → REVOCATION_UNKNOWN', async () => {
    const checker = new RevocationChecker({ mode: 'ocsp', ocspHash: 'sm3' });
    const v = new ChainValidator({ trustRoots: [ca.cert], revocation: checker });
    const bad = await v.validate(revokedLeaf.cert, { purpose: 'signing' });
    assert.equal(bad.code, 'REVOKED', bad.reason);
    assert.equal(bad.gmCode, -3);
    const good = await v.validate(goodLeaf.cert, { purpose: 'signing' });
    assert.equal(good.code, 'OK', good.reason);
    assert.equal(good.revocation[0].status === 'good' && good.revocation[0].source, 'ocsp');
    const unk = await v.validate(unknownLeaf.cert);
    assert.equal(unk.code, 'REVOCATION_UNKNOWN');
    // A second validation is answered from the OCSP cache (until the response's nextUpdate).
    const before = hits;
    assert.equal((await v.validate(goodLeaf.cert)).code, 'OK');
    assert.equal(hits, before);
    assert.ok(checker.stats.ocspCacheHits >= 1);
  });

  it('OCSP_BAD_SIGNATURE: unauthorised responder, delegate without OCSPSigning, tampered bytes', async () => {
    const otherCa = makeRoot('Other CA');
    const foreign = makeCert(otherCa, 'foreign responder', { extKeyUsage: [OID.kpOcspSigning] });
    const noEku = makeCert(ca, 'responder without eku', {});
    for (const signer of [foreign, noEku]) {
      const rogue = createOcspResponder({ issuer: ca.cert, signer: { certificate: signer.cert, key: signer.key }, lookup });
      const req = buildOcspRequest(revokedLeaf.cert, ca.cert);
      const resp = parseOcspResponse(await rogue(req.der));
      assert.ok(resp.ok);
      const v = verifyOcspResponse(resp.value, { issuer: ca.cert, certId: req.certId, nonce: req.nonce });
      assert.equal(v.ok, false);
      assert.equal(!v.ok && v.code, 'OCSP_BAD_SIGNATURE');
    }
    // Turn "revoked" into "good"-looking bytes: any change under the signature must be caught.
    const req = buildOcspRequest(goodLeaf.cert, ca.cert);
    const der = await responder(req.der);
    const p0 = parseOcspResponse(der);
    assert.ok(p0.ok && p0.value.basic);
    // The last byte of tbsResponseData is inside the echoed nonce: parses fine, must not verify.
    const at = der.indexOf(p0.value.basic.tbs) + p0.value.basic.tbs.length - 1;
    const tampered = Buffer.from(der);
    tampered[at] ^= 0x01;
    const p = parseOcspResponse(tampered);
    assert.ok(p.ok);
    const tv = verifyOcspResponse(p.value, { issuer: ca.cert, certId: req.certId });
    assert.equal(!tv.ok && tv.code, 'OCSP_BAD_SIGNATURE');
    // Through the validator the code surfaces with its number.
    const rogueServer = await listen(ocspHttpHandler(createOcspResponder({ issuer: ca.cert, signer: { certificate: foreign.cert, key: foreign.key }, lookup })));
    try {
      const leaf = makeCert(ca, 'checked against rogue', { ocspUrls: [`${rogueServer.url}/ocsp`] });
      statuses.set(leaf.cert.serialHex, { status: 'good' });
      const val = new ChainValidator({ trustRoots: [ca.cert], revocation: new RevocationChecker({ mode: 'ocsp', softFail: true }) });
      const r = await val.validate(leaf.cert);
      assert.equal(r.code, 'OCSP_BAD_SIGNATURE', 'soft-fail does not cover forged responses');
      assert.equal(r.gmCode, -13);
    } finally {
      await rogueServer.close();
    }
  });

  it('OCSP_INVALID for a nonce mismatch or a response past nextUpdate', async () => {
    const req = buildOcspRequest(goodLeaf.cert, ca.cert);
    const resp = parseOcspResponse(await responder(req.der));
    assert.ok(resp.ok);
    const wrongNonce = verifyOcspResponse(resp.value, { issuer: ca.cert, certId: req.certId, nonce: Buffer.alloc(16, 7) });
    assert.equal(!wrongNonce.ok && wrongNonce.code, 'OCSP_INVALID');
    const stale = verifyOcspResponse(resp.value, { issuer: ca.cert, certId: req.certId, nonce: req.nonce, now: new Date(now.getTime() + 3 * HOUR) });
    assert.equal(!stale.ok && stale.code, 'OCSP_INVALID');
    const otherId = certIdFor(unknownLeaf.cert, ca.cert);
    const wrongCert = verifyOcspResponse(resp.value, { issuer: ca.cert, certId: otherId, nonce: req.nonce });
    assert.equal(!wrongCert.ok && wrongCert.code, 'OCSP_INVALID');
  });

  it('malformed requests get malformedRequest; a failing lookup gets tryLater', async () => {
    const r = parseOcspResponse(await responder(Buffer.from('garbage')));
    assert.ok(r.ok);
    assert.equal(r.value.responseStatus, 'malformedRequest');
    const raw = await postOcspRequest(ocspUrl, Buffer.from([0x30, 0x00]));
    const p = parseOcspResponse(raw);
    assert.ok(p.ok && p.value.responseStatus === 'malformedRequest');
    const broken: OcspResponder = createOcspResponder({
      issuer: ca.cert,
      signer: { certificate: delegate.cert, key: delegate.key },
      lookup: () => {
        throw new Error('db down');
      },
    });
    const t = parseOcspResponse(await broken(buildOcspRequest(goodLeaf.cert, ca.cert).der));
    assert.ok(t.ok && t.value.responseStatus === 'tryLater');
    const v = verifyOcspResponse(t.value, { issuer: ca.cert, certId: certIdFor(goodLeaf.cert, ca.cert) });
    assert.equal(!v.ok && v.code, 'REVOCATION_UNKNOWN');
  });

  it('no single-bit change anywhere in a response is accepted, and nothing throws', async () => {
    const req = buildOcspRequest(revokedLeaf.cert, ca.cert);
    const der = await responder(req.der);
    let parsed = 0;
    for (let i = 0; i < der.length; i++) {
      const d = Buffer.from(der);
      d[i] ^= 1 << i % 8;
      const p = parseOcspResponse(d);
      if (!p.ok) continue;
      parsed++;
      const v = verifyOcspResponse(p.value, { issuer: ca.cert, certId: req.certId, nonce: req.nonce });
      assert.equal(v.ok, false, `flip at ${i} accepted`);
    }
    assert.ok(parsed > der.length / 4, `only ${parsed} variants parsed; the check would be vacuous`);
  });

  it('a CertID of another CA is answered unknown', async () => {
    const other = makeRoot('Unrelated CA');
    const stranger = makeCert(other, 'stranger', {});
    statuses.set(stranger.cert.serialHex, { status: 'good' });
    const req = buildOcspRequest(stranger.cert, other.cert);
    const resp = parseOcspResponse(await responder(req.der));
    assert.ok(resp.ok && resp.value.basic);
    assert.equal(resp.value.basic.responses[0].certStatus.status, 'unknown');
  });

  it('OCSP server down → REVOCATION_UNKNOWN; ocsp-then-crl falls back to the CRL', async () => {
    const dead = await deadUrl('/ocsp');
    const crlDer = buildCrl({ issuer: ca.cert, signingKey: ca.key, thisUpdate: now, nextUpdate: new Date(now.getTime() + HOUR), revoked: [] });
    const crlServer = await listen((_q, res) => res.end(crlDer));
    try {
      const leaf = makeCert(ca, 'fallback', { ocspUrls: [dead], crlUrls: [`${crlServer.url}/ca.crl`] });
      const onlyOcsp = new ChainValidator({ trustRoots: [ca.cert], revocation: new RevocationChecker({ mode: 'ocsp', timeoutMs: 2000 }) });
      const r = await onlyOcsp.validate(leaf.cert);
      assert.equal(r.code, 'REVOCATION_UNKNOWN');
      assert.match(r.reason, /OCSP/);
      const both = new ChainValidator({ trustRoots: [ca.cert], revocation: new RevocationChecker({ mode: 'ocsp-then-crl', timeoutMs: 2000 }) });
      const r2 = await both.validate(leaf.cert);
      assert.equal(r2.code, 'OK', r2.reason);
      assert.equal(r2.revocation[0].status === 'good' && r2.revocation[0].source, 'crl');
    } finally {
      await crlServer.close();
    }
  });
});
