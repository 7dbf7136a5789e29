/**
 * Hostile and broken input to the signature server: every case gets a SOAP fault or a return code
 * with a message that says what was wrong — no entity expansion, no stack trace, no crash — and the
 * server keeps serving afterwards. Run for both SOAP engines (the fast parser and node-soap).
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import { SVS_CODES } from '../../adapters/ca/svs/codes';
import { callSvs, postRaw, RawReply, soapEnvelope, startTestSvs, TestSvs } from './helpers';

const C = SVS_CODES;
const STACK = /\bat [\w.<>]+ \(|\.ts:\d+|\.js:\d+|node:internal|TypeError|ReferenceError/;

function noStack(r: RawReply): void {
  assert.doesNotMatch(r.body, STACK, `reply leaks internals: ${r.body.slice(0, 300)}`);
}

for (const engine of ['fast', 'node-soap'] as const) {
  describe(`svs hostile input (${engine} engine)`, function () {
    this.timeout(60_000);
    let svs: TestSvs;
    before(async () => {
      svs = await startTestSvs({ svs: { engine, bodyLimitBytes: 64 * 1024 } });
    });
    after(async () => svs.stop());

    it('refuses DOCTYPE/ENTITY declarations (XXE file read, billion laughs) with a client fault', async () => {
      const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + soapEnvelope('SVS_GenRandom', { appName: '&x;', password: 'p', length: 4 }).replace(/^<\?xml[^>]*>/, '');
      const laughs =
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' +
        soapEnvelope('SVS_GenRandom', { appName: '&c;', password: 'p', length: 4 }).replace(/^<\?xml[^>]*>/, '');
      for (const body of [xxe, laughs]) {
        const r = await postRaw(svs.endpoint, body);
        assert.equal(r.status, 400);
        assert.ok(r.fault, r.body);
        assert.match(r.fault.message, /DOCTYPE/);
        assert.equal(Number(r.fault.code), C.BAD_REQUEST.code);
        assert.doesNotMatch(r.body, /root:|aaaaaaaaaaaaaaaaaaaa/);
        noStack(r);
      }
    });

    it('caps the body: 413 with a fault, by Content-Length and by counting a chunked body', async () => {
      const big = soapEnvelope('SVS_SignData', { appName: 'medbill', password: 'p', keyIndex: 1, data: Buffer.alloc(100 * 1024, 1) });
      const r = await postRaw(svs.endpoint, big);
      assert.equal(r.status, 413);
      assert.match(r.fault?.message ?? '', /上限/);
      // chunked: no Content-Length, the server counts and stops reading
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(svs.endpoint, { method: 'POST', headers: { 'content-type': 'text/xml', 'transfer-encoding': 'chunked' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        for (let i = 0; i < 20; i++) req.write(Buffer.alloc(8 * 1024, 0x41));
        req.end();
      });
      assert.equal(status, 413);
    });

    it('answers non-XML, non-SOAP and unknown operations with faults that say so', async () => {
      const notXml = await postRaw(svs.endpoint, 'this is { not xml');
      assert.ok(notXml.status >= 400 && notXml.status < 600);
      assert.ok(notXml.fault, notXml.body);
      noStack(notXml);
      const notSoap = await postRaw(svs.endpoint, '<hello><world/></hello>');
      assert.ok(notSoap.fault, notSoap.body);
      noStack(notSoap);
      const unknown = await postRaw(svs.endpoint, soapEnvelope('SVS_FormatDisk', { appName: 'medbill' }));
      assert.ok(unknown.fault, unknown.body);
      noStack(unknown);
      const empty = await postRaw(svs.endpoint, '');
      assert.ok(empty.status >= 400, empty.body);
      noStack(empty);
    });

    it('names the field: missing, not Base64, not an integer — as return codes', async () => {
      const missing = await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 1 });
      assert.equal(Number(missing.fields.result), C.BAD_REQUEST.code, missing.body);
      assert.match(missing.fields.message, /data/);
      const badB64 = await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 1, data: 'not base64!!' });
      assert.equal(Number(badB64.fields.result), C.BAD_REQUEST.code, badB64.body);
      assert.match(badB64.fields.message, /data/);
      const badInt = await callSvs(svs.endpoint, 'SVS_GenRandom', { length: 'twelve' });
      assert.equal(Number(badInt.fields.result), C.BAD_REQUEST.code, badInt.body);
      for (const r of [missing, badB64, badInt]) noStack(r);
    });

    it('survives garbage DER in every binary field without a crash', async () => {
      const junk = Buffer.from('3082ffff0201', 'hex');
      const rs = await Promise.all([
        callSvs(svs.endpoint, 'SVS_ParseCert', { cert: junk, infoType: 2 }),
        callSvs(svs.endpoint, 'SVS_ValidateCert', { cert: junk }),
        callSvs(svs.endpoint, 'SVS_VerifySignedData', { type: 1, cert: junk, data: junk, signature: junk }),
        callSvs(svs.endpoint, 'SVS_VerifySignedMessage', { signedMessage: junk, data: junk }),
        callSvs(svs.endpoint, 'SVS_MakeEnvelope', { cert: junk, data: junk }),
        callSvs(svs.endpoint, 'SVS_OpenEnvelope', { keyIndex: 2, envelope: junk }),
        callSvs(svs.endpoint, 'SVS_Hash', { data: junk, cert: junk }),
      ]);
      for (const r of rs) {
        assert.equal(r.status, 200, r.body);
        assert.notEqual(r.fields.result, '0', r.body);
        assert.ok(r.fields.message.length > 2);
        noStack(r);
      }
    });

    it('still serves after all of the above', async () => {
      const r = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data: Buffer.from('ok') });
      assert.equal(r.fields.result, '0', r.body);
    });
  });
}

describe('svs hostile input (fast engine only: stricter than node-soap)', function () {
  this.timeout(60_000);
  let svs: TestSvs;
  before(async () => {
    svs = await startTestSvs();
  });
  after(async () => svs.stop());

  it('refuses a boolean that is not one (node-soap reads "maybe" or "yes" as false and quietly signs detached)', async () => {
    const badBool = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data: 'eA==', isOriginalText: 'maybe' });
    assert.equal(Number(badBool.fields.result), C.BAD_REQUEST.code, badBool.body);
    assert.match(badBool.fields.message, /isOriginalText/);
  });

  it('refuses unknown and repeated fields instead of ignoring them', async () => {
    const typo = await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data: 'eA==', isOrignalText: true });
    assert.equal(Number(typo.fields.result), C.BAD_REQUEST.code);
    assert.match(typo.fields.message, /isOrignalText/);
    const twice = await postRaw(svs.endpoint, soapEnvelope('SVS_GenRandom', { appName: 'medbill', password: 'p', length: 4 }).replace('<s:length>4</s:length>', '<s:length>4</s:length><s:length>5</s:length>'));
    assert.equal(twice.status, 400);
    assert.match(twice.fault?.message ?? '', /length/);
  });

  it('caps nesting depth', async () => {
    const deep = '<a>'.repeat(200) + '</a>'.repeat(200);
    const r = await postRaw(svs.endpoint, soapEnvelope('SVS_GenRandom', { appName: 'medbill', password: 'p', length: 4 }).replace('<s:length>4</s:length>', `<s:length>${deep}</s:length>`));
    assert.ok(r.status >= 400, r.body.slice(0, 200));
    noStack(r);
  });

  it('overload: past svs.maxQueue requests get 503 with a BUSY fault at once, the rest are served', async () => {
    const small = await startTestSvs({ svs: { maxQueue: 1, workers: 1 } });
    try {
      const replies = await Promise.all(Array.from({ length: 40 }, () => callSvs(small.endpoint, 'SVS_SignMessage', { keyIndex: 1, data: Buffer.alloc(2048, 1) })));
      const busy = replies.filter((r) => r.status === 503);
      const ok = replies.filter((r) => r.fields.result === '0');
      assert.ok(busy.length > 0, 'some requests were over the queue');
      assert.ok(ok.length > 0, 'the others were signed');
      assert.equal(busy.length + ok.length, 40);
      for (const r of busy) assert.equal(Number(r.fault?.code), C.BUSY.code);
    } finally {
      await small.stop();
    }
  });

  it('GET /svs without ?wsdl and unknown paths are plain 405/404', async () => {
    assert.equal((await fetch(svs.endpoint)).status, 405);
    assert.equal((await fetch(`http://127.0.0.1:${svs.port}/etc/passwd`)).status, 404);
  });
});
