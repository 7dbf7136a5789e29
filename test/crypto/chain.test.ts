import { strict as assert } from 'node:assert';
import { ChainValidator, demoCertificate, generateDemoPki, mustParseCertificate, OID, VALIDATION_CODES } from '../../src/crypto';
import { DAY, makeCert, makeRoot } from '../helpers/pki-fixtures';

describe('chain: path building and validation', () => {
  const now = new Date();
  const pki = generateDemoPki({ now });
  const root = demoCertificate(pki.rootCa);
  const financeRoot = demoCertificate(pki.financeCa);
  const unitSign = demoCertificate(pki.unitSigning);
  const unitEnc = demoCertificate(pki.unitEncryption);
  const financeSign = demoCertificate(pki.financeSigning);
  const rsaRoot = makeRoot('Other CA RSA Root', { kind: 'rsa' });
  const rsaLeaf = makeCert(rsaRoot, 'RSA signer');
  const validator = new ChainValidator({ trustRoots: [pki.trustRootsPem.split(/(?<=-----END CERTIFICATE-----\n)/)[0], financeRoot, rsaRoot.cert] });

  it('accepts the demo unit signing certificate for signing (gm code 1)', async () => {
    const r = await validator.validate(unitSign, { purpose: 'signing' });
    assert.equal(r.code, 'OK', r.reason);
    assert.equal(r.ok, true);
    assert.equal(r.gmCode, 1);
    assert.deepEqual(
      r.chain.map((c) => c.subject.text),
      [unitSign.subject.text, root.subject.text],
    );
    assert.equal(r.message.zh, '证书有效');
  });

  it('trusts several roots at once: hospital SM2, finance SM2 and an RSA CA', async () => {
    const f = await validator.validate(financeSign.der, { purpose: 'signing' });
    assert.equal(f.code, 'OK', f.reason);
    assert.equal(f.chain[1].fingerprintSha256, financeRoot.fingerprintSha256);
    const r = await validator.validate(rsaLeaf.cert, { purpose: 'signing' });
    assert.equal(r.code, 'OK', r.reason);
    assert.equal(r.chain[1].publicKey.kind, 'rsa');
    const e = await validator.validate(unitEnc, { purpose: 'encryption' });
    assert.equal(e.code, 'OK', e.reason);
  });

  it('UNTRUSTED_ROOT (-1) when the issuing root is not configured', async () => {
    const onlyFinance = new ChainValidator({ trustRoots: [financeRoot] });
    const r = await onlyFinance.validate(unitSign);
    assert.equal(r.code, 'UNTRUSTED_ROOT');
    assert.equal(r.gmCode, -1);
    assert.match(r.reason, /medbill 演示根CA/);
    // A self-signed certificate that merely copies a trusted root's name is not that root.
    const impostor = makeRoot('medbill 演示根CA', {});
    const fake = makeCert(impostor, 'impostor leaf');
    const r2 = await validator.validate(fake.cert);
    assert.equal(r2.code, 'UNTRUSTED_ROOT', r2.reason);
  });

  it('EXPIRED (-2) and NOT_YET_VALID at the given time', async () => {
    const late = await validator.validate(unitSign, { at: new Date(now.getTime() + 800 * DAY) });
    assert.equal(late.code, 'EXPIRED');
    assert.equal(late.gmCode, -2);
    assert.equal(late.failedAt, 0);
    const early = await validator.validate(unitSign, { at: new Date(now.getTime() - 2 * DAY) });
    assert.equal(early.code, 'NOT_YET_VALID');
    const rootExpired = makeRoot('Short Root', { days: 10 });
    const leaf = makeCert(rootExpired, 'leaf', {});
    const v = new ChainValidator({ trustRoots: [rootExpired.cert] });
    const r = await v.validate(leaf.cert, { at: new Date(now.getTime() + 20 * DAY) });
    assert.equal(r.code, 'EXPIRED');
    assert.equal(r.failedAt, 1, 'the root is the one that expired');
  });

  it('BAD_SIGNATURE when the certificate was altered', async () => {
    const der = Buffer.from(unitSign.der);
    const i = der.indexOf(Buffer.from('O=medbill demo'.slice(2)));
    der[i] = 'M'.charCodeAt(0);
    const r = await validator.validate(der);
    assert.equal(r.code, 'BAD_SIGNATURE');
    assert.equal(r.gmCode, VALIDATION_CODES.BAD_SIGNATURE.gm);
    const sig = Buffer.from(unitSign.der);
    sig[sig.length - 5] ^= 0xff;
    const r2 = await validator.validate(sig);
    assert.equal(r2.code, 'BAD_SIGNATURE');
  });

  it('no single-bit change anywhere in a certificate validates', async () => {
    let parsed = 0;
    for (let i = 0; i < unitSign.der.length; i++) {
      const d = Buffer.from(unitSign.der);
      d[i] ^= 1 << i % 8;
      const r = await validator.validate(d, { purpose: 'signing' });
      if (r.code !== 'MALFORMED') parsed++;
      assert.notEqual(r.code, 'OK', `flip at ${i} accepted`);
    }
    assert.ok(parsed > unitSign.der.length / 4);
  });

  it('NOT_A_CA when an end-entity certificate signs another', async () => {
    const ca = makeRoot('Root X');
    const ee = makeCert(ca, 'Not A CA', { keyUsage: ['digitalSignature', 'keyCertSign'] });
    const below = makeCert(ee, 'Victim', {});
    const v = new ChainValidator({ trustRoots: [ca.cert], intermediates: [ee.cert] });
    const r = await v.validate(below.cert);
    assert.equal(r.code, 'NOT_A_CA');
    assert.equal(r.failedAt, 1);
  });

  it('KEY_USAGE for the wrong purpose and for issuers without keyCertSign', async () => {
    const r = await validator.validate(unitEnc, { purpose: 'signing' });
    assert.equal(r.code, 'KEY_USAGE');
    assert.match(r.reason, /digitalSignature/);
    const r2 = await validator.validate(unitSign, { purpose: 'encryption' });
    assert.equal(r2.code, 'KEY_USAGE');
    const ca = makeRoot('Root Y');
    const sub = makeCert(ca, 'Sub without keyCertSign', { ca: true, keyUsage: ['cRLSign'] });
    const leaf = makeCert(sub, 'leaf', {});
    const v = new ChainValidator({ trustRoots: [ca.cert], intermediates: [sub.cert] });
    assert.equal((await v.validate(leaf.cert)).code, 'KEY_USAGE');
    const ocsp = demoCertificate(pki.ocspResponder);
    assert.equal((await validator.validate(ocsp, { purpose: 'ocspSigning' })).code, 'OK');
    assert.equal((await validator.validate(unitSign, { purpose: 'ocspSigning' })).code, 'KEY_USAGE');
  });

  it('builds through intermediates and enforces pathLenConstraint', async () => {
    const ca = makeRoot('Root Z', { pathLen: 0 });
    const sub = makeCert(ca, 'Sub CA', { ca: true, keyUsage: ['keyCertSign', 'cRLSign'] });
    const leaf = makeCert(sub, 'leaf under sub', {});
    const v = new ChainValidator({ trustRoots: [ca.cert] });
    assert.equal((await v.validate(leaf.cert)).code, 'UNTRUSTED_ROOT', 'the intermediate is unknown');
    const withExtra = await v.validate(leaf.cert, { extraCertificates: [sub.cert.der] });
    assert.equal(withExtra.code, 'PATH_LENGTH', 'root allows no intermediate CA');

    const ca1 = makeRoot('Root W', { pathLen: 1 });
    const sub1 = makeCert(ca1, 'Sub CA 1', { ca: { pathLen: 0 }, keyUsage: ['keyCertSign', 'cRLSign'] });
    const leaf1 = makeCert(sub1, 'leaf 1', {});
    const v1 = new ChainValidator({ trustRoots: [ca1.cert], intermediates: [sub1.cert] });
    const ok = await v1.validate(leaf1.cert);
    assert.equal(ok.code, 'OK', ok.reason);
    assert.equal(ok.chain.length, 3);
    const sub2 = makeCert(sub1, 'Sub CA 2', { ca: true, keyUsage: ['keyCertSign'] });
    const leaf2 = makeCert(sub2, 'leaf 2', {});
    const r = await v1.validate(leaf2.cert, { extraCertificates: [sub2.cert] });
    assert.equal(r.code, 'PATH_LENGTH');
  });

  it('picks the right issuer by key identifier when two CAs share a name (key rollover)', async () => {
    const oldCa = makeRoot('Rolling CA');
    const newCa = makeRoot('Rolling CA');
    const leafNew = makeCert(newCa, 'issued after rollover', {});
    const leafOld = makeCert(oldCa, 'issued before rollover', {});
    const v = new ChainValidator({ trustRoots: [oldCa.cert, newCa.cert] });
    const a = await v.validate(leafNew.cert);
    assert.equal(a.code, 'OK', a.reason);
    assert.equal(a.chain[1].fingerprintSha256, newCa.cert.fingerprintSha256);
    const b = await v.validate(leafOld.cert);
    assert.equal(b.chain[1].fingerprintSha256, oldCa.cert.fingerprintSha256);
  });

  it('repeat validations are served from the parse, key-table and signature caches', async () => {
    await validator.validate(unitSign.der, { purpose: 'signing' });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 500; i++) {
      const r = await validator.validate(unitSign.der, { purpose: 'signing' });
      assert.equal(r.code, 'OK');
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // One uncached SM2 verification alone costs ~4 ms here; 500 uncached ones would take seconds.
    assert.ok(ms < 1000, `500 cached validations took ${ms.toFixed(0)} ms`);
  });

  it('MALFORMED for garbage and a clear error for a bad trust root', async () => {
    const r = await validator.validate(Buffer.from('3003020101', 'hex'));
    assert.equal(r.code, 'MALFORMED');
    assert.throws(() => new ChainValidator({ trustRoots: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'] }), /trust root/);
  });

  it('every code has a distinct English and Chinese message; BJCA numbers hold', () => {
    const zh = new Set(Object.values(VALIDATION_CODES).map((c) => c.zh));
    assert.equal(zh.size, Object.keys(VALIDATION_CODES).length);
    assert.deepEqual(
      [VALIDATION_CODES.OK.gm, VALIDATION_CODES.UNTRUSTED_ROOT.gm, VALIDATION_CODES.EXPIRED.gm, VALIDATION_CODES.REVOKED.gm],
      [1, -1, -2, -3],
    );
  });

  it('the demo PKI is serialisable and reloads', () => {
    const copy = JSON.parse(JSON.stringify(pki));
    assert.equal(mustParseCertificate(copy.unitSigning.certificatePem).fingerprintSha256, unitSign.fingerprintSha256);
    assert.equal(copy.unitSigning.privateKey.length, 64);
    assert.deepEqual(unitSign.extensions.keyUsage, ['digitalSignature', 'nonRepudiation']);
    assert.deepEqual(unitEnc.extensions.keyUsage, ['keyEncipherment', 'dataEncipherment']);
    assert.deepEqual(demoCertificate(pki.ocspResponder).extensions.extKeyUsage, [OID.kpOcspSigning]);
    assert.notEqual(financeSign.issuer.text, unitSign.issuer.text);
  });
});
