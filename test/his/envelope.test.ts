/**
 * The Bosssoft v3.2.0 envelope (docs/reference/bosssoft-api.md): the MD5 test vectors,
 * signed replies, and every quirk real HIS and kiosk code has, over real HTTP. Then every way an
 * envelope can be broken: each gets HTTP 200, its own non-S0000 refusal in Chinese, and a row in the
 * message store (docs/architecture.md#invariants) — and the server keeps serving.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { buildResponse, md5Sign } from '../../adapters/his/json/envelope';
import { callJson, DEMO_APPID, DEMO_KEY, envelope, startTestApp } from '../helpers/app';
import { CHINESE, postRaw, sample, storedMessage, TestApp, uniqueBusNo } from './his-helpers';

// the sign test vectors of docs/reference/bosssoft-api.md#sign
const V = {
  appid: 'TESTAPP001',
  key: 'abcdef0123456789abcdef0123',
  reqNoise: '0f8fad5b-d9cb-469f-a165-70867728950e',
  reqData: 'eyJ0ZXN0VmFsdWUiOiJwaW5nIn0=',
  reqSign: '6431936023046C22669EAB138BAD0B5D',
  resNoise: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  resData: 'eyJyZXN1bHQiOiJTMDAwMCIsIm1lc3NhZ2UiOiI1b2lRNVlxZiJ9',
  resSign: '4C6A4DF7D8AB980CD6E4B1999C73BAD0',
};
const REPLAY = { appid: 'REPLAY-GUARDED', key: 'replay-key-9876543210' };
// The noise of the spec's appendix-10 example, which one kiosk build sends on every call
// (docs/reference/bosssoft-api.md#what-real-clients-do).
const SPEC_NOISE = 'ibuaiVcKdpRxkhJAXXXXX';

/** URL-encodes like jQuery's $.param: every reserved character escaped, spaces as '+'. */
function formEncode(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%20/g, '+')}`)
    .join('&');
}

/** Base64 broken into 76-char lines, as sun.misc.BASE64Encoder writes it. */
function wrap76(b64: string, eol: string): string {
  return b64.match(/.{1,76}/g)!.join(eol);
}

function signed(dataB64: string, appid = DEMO_APPID, key = DEMO_KEY, noise = `n-${Math.random().toString(36).slice(2)}`) {
  return { appid, data: dataB64, noise, version: '1.0', sign: md5Sign(appid, dataB64, noise, key) };
}

describe('HIS JSON envelope (Bosssoft v3.2.0)', function () {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      config: {
        callers: [
          { appid: DEMO_APPID, key: DEMO_KEY, demo: true, replayProtection: false },
          { appid: V.appid, key: V.key },
          { appid: REPLAY.appid, key: REPLAY.key, replayProtection: true },
        ],
      },
    });
  });
  after(async () => app?.stop());

  describe('MD5 signature test vectors', () => {
    it('request vector: md5Sign(TESTAPP001, data, noise, key) = 6431936023046C22669EAB138BAD0B5D', () => {
      assert.equal(Buffer.from(JSON.stringify({ testValue: 'ping' })).toString('base64'), V.reqData);
      assert.equal(md5Sign(V.appid, V.reqData, V.reqNoise, V.key, '1.0'), V.reqSign);
      // the order is fixed (key between noise and version), not alphabetical
      assert.notEqual(md5Sign(V.appid, V.reqData, V.reqNoise, V.key, '1.1'), V.reqSign);
    });

    it('response vector: result {S0000, base64(成功)} → data …, sign 4C6A4DF7D8AB980CD6E4B1999C73BAD0', () => {
      assert.equal(md5Sign(V.appid, V.resData, V.resNoise, V.key), V.resSign);
      const inner = JSON.parse(Buffer.from(V.resData, 'base64').toString('utf8'));
      assert.deepEqual(inner, { result: 'S0000', message: '5oiQ5Yqf' });
      assert.equal(Buffer.from(inner.message, 'base64').toString('utf8'), '成功');
      // our reply builder writes exactly the vector's data string for the same result
      const built = buildResponse(V.appid, V.key, 'S0000', '成功');
      assert.equal(built.data, V.resData);
      assert.equal(built.sign, md5Sign(V.appid, V.resData, built.noise, V.key));
    });

    it('the vector request posted to the server is accepted and the reply verifies with the caller key', async () => {
      const r = await postRaw(app.baseUrl, 'testServerConnect', JSON.stringify({ appid: V.appid, data: V.reqData, noise: V.reqNoise, version: '1.0', sign: V.reqSign }), V);
      assert.equal(r.http, 200);
      assert.equal(r.result, 'S0000', r.text);
      assert.ok(r.signOk, 'reply sign = UPPER(MD5(appid=TESTAPP001&data=…&noise=…&key=…&version=1.0))');
      assert.match(r.raw.sign!, /^[0-9A-F]{32}$/);
      assert.notEqual(r.raw.noise, V.reqNoise, 'the reply carries its own noise');
    });

    it('a lowercase sign is accepted', async () => {
      const env = envelope({ testValue: 'lower' });
      const r = await postRaw(app.baseUrl, 'testServerConnect', JSON.stringify({ ...env, sign: env.sign.toLowerCase() }));
      assert.equal(r.result, 'S0000', r.text);
      assert.ok(r.signOk);
    });
  });

  describe('quirks of real clients, over HTTP', () => {
    for (const ct of ['application/json', 'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded; charset=UTF-8']) {
      it(`form-encoded envelope with Content-Type ${ct}`, async () => {
        const r = await postRaw(app.baseUrl, 'testServerConnect', formEncode({ ...envelope({ testValue: `form ${ct.slice(0, 30)}` }) }), { headers: { 'content-type': ct } });
        assert.equal(r.result, 'S0000', r.text);
        assert.ok(r.signOk);
      });
    }

    it('form-encoded business call whose Base64 holds + / = (escaped and, from sloppy clients, raw)', async () => {
      // Chinese text makes Base64 with '+' and '/'; the issue goes through the whole flow.
      const s = sample(uniqueBusNo('FORM'));
      const env = envelope(s);
      assert.match(env.data, /[+/]/, 'test data must exercise + and /');
      const escaped = await postRaw(app.baseUrl, 'invoiceEBillOutpatient', formEncode({ ...env }), { headers: { 'content-type': 'text/plain' } });
      assert.equal(escaped.result, 'S0000', escaped.text);
      const env2 = envelope({ testValue: '测试连接？>>>' });
      const raw = Object.entries(env2).map(([k, v]) => `${k}=${v}`).join('&');
      const sloppy = await postRaw(app.baseUrl, 'testServerConnect', raw, { headers: { 'content-type': 'application/json' } });
      assert.equal(sloppy.result, 'S0000', sloppy.text);
    });

    it("the spec's example noise sent on every call is accepted (replay protection is opt-in)", async () => {
      for (let i = 0; i < 3; i++) {
        const data = Buffer.from(`{"testValue":"k${i}"}`).toString('base64');
        const r = await postRaw(app.baseUrl, 'testServerConnect', JSON.stringify(signed(data, DEMO_APPID, DEMO_KEY, SPEC_NOISE)));
        assert.equal(r.result, 'S0000', `call ${i}: ${r.text}`);
      }
      // the very same request (same noise, same data) twice is accepted too
      const same = JSON.stringify(signed(Buffer.from('{"testValue":"same"}').toString('base64'), DEMO_APPID, DEMO_KEY, SPEC_NOISE));
      assert.equal((await postRaw(app.baseUrl, 'testServerConnect', same)).result, 'S0000');
      assert.equal((await postRaw(app.baseUrl, 'testServerConnect', same)).result, 'S0000');
    });

    it('an appid with replayProtection: true rejects a repeated noise with E0006, and accepts a fresh one', async () => {
      const data = Buffer.from('{"testValue":"replay"}').toString('base64');
      const body = JSON.stringify(signed(data, REPLAY.appid, REPLAY.key, 'replay-noise-0001'));
      const first = await postRaw(app.baseUrl, 'testServerConnect', body, REPLAY);
      assert.equal(first.result, 'S0000', first.text);
      const again = await postRaw(app.baseUrl, 'testServerConnect', body, REPLAY);
      assert.equal(again.result, 'E0006');
      assert.match(again.text, /noise/);
      assert.match(again.text, CHINESE);
      assert.ok(again.signOk, 'the refusal is signed for the caller');
      const stored = await storedMessage(app, (m) => m.raw === body && m.status === 'rejected');
      assert.equal(stored.error_code, 'E0006');
      const fresh = await postRaw(app.baseUrl, 'testServerConnect', JSON.stringify(signed(data, REPLAY.appid, REPLAY.key, 'replay-noise-0002')), REPLAY);
      assert.equal(fresh.result, 'S0000', fresh.text);
      // the demo appid (not opted in) is unaffected by the same noise
      const demo = await postRaw(app.baseUrl, 'testServerConnect', JSON.stringify(signed(data, DEMO_APPID, DEMO_KEY, 'replay-noise-0001')));
      assert.equal(demo.result, 'S0000', demo.text);
    });

    it('numbers as strings: "totalAmt":"236.50", every amount and sortNo as text, testValue as a number', async () => {
      const s = sample(uniqueBusNo('STR'));
      const str = (v: unknown) => (typeof v === 'number' ? v.toFixed(2) : v);
      for (const k of ['totalAmt', 'accountPay', 'fundPay', 'otherfundPay', 'ownPay', 'selfConceitedAmt', 'selfPayAmt', 'selfCashPay', 'reimbursementAmt']) s[k] = str(s[k]);
      assert.equal(s.totalAmt, '236.50');
      for (const c of s.chargeDetail as Record<string, unknown>[]) for (const k of ['std', 'number', 'amt', 'selfAmt', 'sortNo']) c[k] = String(c[k]);
      for (const p of s.payChannelDetail as Record<string, unknown>[]) p.payChannelValue = str(p.payChannelValue);
      for (const l of s.listDetail as Record<string, unknown>[]) for (const k of ['std', 'number', 'amt', 'selfAmt']) l[k] = String(l[k]);
      const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
      assert.equal(r.result, 'S0000', r.text);
      const row = await app.services.bills.byBusNo(DEMO_APPID, String(s.busNo));
      assert.equal(row?.total_amt, '236.50');
      const t = await callJson(app.baseUrl, 'testServerConnect', { testValue: 12345 });
      assert.equal(t.result, 'S0000', t.text);
    });

    for (const [label, eol] of [
      ['CRLF', '\r\n'],
      ['LF', '\n'],
    ] as const) {
      it(`Base64 with ${label} line breaks every 76 chars, signed over the string as sent (JSON and form bodies)`, async () => {
        const s = sample(uniqueBusNo('B76'));
        const b64 = wrap76(Buffer.from(JSON.stringify(s), 'utf8').toString('base64'), eol);
        assert.ok(b64.split(eol).length > 10 && b64.split(eol).every((l) => l.length <= 76));
        const env = signed(b64);
        const r = await postRaw(app.baseUrl, 'invoiceEBillOutpatient', JSON.stringify(env));
        assert.equal(r.result, 'S0000', r.text);
        const viaForm = await postRaw(app.baseUrl, 'invoiceEBillOutpatient', formEncode({ ...signed(b64) }), { headers: { 'content-type': 'text/plain' } });
        assert.equal(viaForm.result, 'S0000', viaForm.text);
        assert.equal(viaForm.body!.billNo, r.body!.billNo, 'same settlement, same bill');
        // signed over the line-break-free string instead of the one transmitted: refused
        const wrongSign = { ...env, sign: md5Sign(DEMO_APPID, b64.replace(/\s+/g, ''), env.noise, DEMO_KEY) };
        const bad = await postRaw(app.baseUrl, 'invoiceEBillOutpatient', JSON.stringify(wrongSign));
        assert.equal(bad.result, 'E0001', bad.text);
      });
    }

    for (const query of ['?random=%20', '?random=123', '?random=', '?_=1732500000000&random=0.5&x=%E4%B8%AD']) {
      it(`cache-busting query string ${query} is ignored`, async () => {
        const r = await callJson(app.baseUrl, 'testServerConnect', { testValue: 'q' }, { query });
        assert.equal(r.result, 'S0000', r.text);
      });
    }

    it('`?random= ` with a literal space on the wire (as a kiosk sends it) is served', async () => {
      // fetch escapes the space (%20, tested above); a raw socket shows the request line a lenient
      // client library really writes: "POST …?random=  HTTP/1.1".
      const body = JSON.stringify(envelope({ testValue: 'space' }));
      const reply = await new Promise<string>((resolve, reject) => {
        const s = net.connect(app.port!, '127.0.0.1', () => {
          s.write(
            'POST /medical-web/api/medical/testServerConnect?random=  HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n' +
              `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
          );
        });
        let text = '';
        s.setEncoding('utf8');
        s.on('data', (c: string) => (text += c));
        s.on('end', () => resolve(text));
        s.on('error', reject);
      });
      assert.match(reply, /^HTTP\/1\.1 200 /);
      const env = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { data: string; noise: string; sign: string };
      const inner = JSON.parse(Buffer.from(env.data, 'base64').toString('utf8'));
      assert.equal(inner.result, 'S0000');
      assert.equal(env.sign, md5Sign(DEMO_APPID, env.data, env.noise, DEMO_KEY));
    });

    it('UTF-16LE JSON inside the Base64 (a ZLHIS "Unicode" option) is accepted, with or without BOM', async () => {
      for (const bom of [false, true]) {
        const json = JSON.stringify({ testValue: `中文 utf16 ${bom}` });
        const bytes = Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(json, 'utf16le')]);
        const r = await postRaw(app.baseUrl, 'testServerConnect', JSON.stringify(signed(bytes.toString('base64'))));
        assert.equal(r.result, 'S0000', `bom=${bom}: ${r.text}`);
      }
    });
  });

  describe('broken envelopes: HTTP 200, own non-S0000 code, Chinese message, stored, server keeps serving', () => {
    interface Case {
      name: string;
      service?: string;
      path?: string;
      body: () => string;
      code: string;
      mentions: RegExp;
      /** whether the refusal can be signed (the caller is known) */
      signedFor?: { appid: string; key: string };
      /** channel refusals are 'rejected'; a valid envelope for a service that does not exist 'failed' */
      status?: 'rejected' | 'failed';
    }
    const goodData = Buffer.from('{"testValue":"x"}').toString('base64');
    const cases: Case[] = [
      { name: 'unknown appid', body: () => JSON.stringify(signed(goodData, 'NO-SUCH-APP', 'whatever')), code: 'E0002', mentions: /NO-SUCH-APP/ },
      {
        name: 'bad sign',
        body: () => JSON.stringify({ ...signed(goodData), sign: '0'.repeat(32) }),
        code: 'E0001',
        mentions: /签名/,
        signedFor: { appid: DEMO_APPID, key: DEMO_KEY },
      },
      {
        name: 'sign made with another key',
        body: () => JSON.stringify(signed(goodData, DEMO_APPID, 'not-the-demo-key')),
        code: 'E0001',
        mentions: /签名/,
        signedFor: { appid: DEMO_APPID, key: DEMO_KEY },
      },
      ...(['appid', 'data', 'noise', 'version', 'sign'] as const).map((f) => ({
        name: `missing envelope field ${f}`,
        body: () => {
          const e: Record<string, string> = { ...signed(goodData) };
          delete e[f];
          return JSON.stringify(e);
        },
        code: 'E0003',
        mentions: new RegExp(`${f}.*缺失`),
      })),
      { name: 'wrong version 2.0', body: () => JSON.stringify({ ...signed(goodData), version: '2.0', sign: md5Sign(DEMO_APPID, goodData, 'v2', DEMO_KEY, '2.0'), noise: 'v2' }), code: 'E0003', mentions: /version/, signedFor: { appid: DEMO_APPID, key: DEMO_KEY } },
      { name: 'non-JSON body', body: () => '<xml>not json</xml>', code: 'E0003', mentions: /JSON/ },
      { name: 'truncated JSON body', body: () => JSON.stringify(signed(goodData)).slice(0, 40), code: 'E0003', mentions: /JSON/ },
      { name: 'JSON array body', body: () => '[1,2,3]', code: 'E0003', mentions: /JSON|表单/ },
      { name: 'empty body', body: () => '', code: 'E0003', mentions: /为空/ },
      { name: 'form body with a malformed %-escape in a key', body: () => `appid=${DEMO_APPID}&%E0%A4=1&data=${encodeURIComponent(goodData)}`, code: 'E0003', mentions: /编码/ },
      { name: 'form body with a malformed %-escape in a value', body: () => `appid=${DEMO_APPID}&data=%E0%A4%A`, code: 'E0003', mentions: /编码/ },
      { name: 'invalid Base64 in data', body: () => JSON.stringify(signed('%%%not*base64!!!')), code: 'E0005', mentions: /Base64/, signedFor: { appid: DEMO_APPID, key: DEMO_KEY } },
      { name: 'data that is Base64 but not JSON', body: () => JSON.stringify(signed(Buffer.from('testValue=ping').toString('base64'))), code: 'E0005', mentions: /JSON/, signedFor: { appid: DEMO_APPID, key: DEMO_KEY } },
      { name: 'data that is not UTF-8', body: () => JSON.stringify(signed(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]).toString('base64'))), code: 'E0005', mentions: /UTF-8/, signedFor: { appid: DEMO_APPID, key: DEMO_KEY } },
      { name: 'data that is UTF-16LE but not JSON', body: () => JSON.stringify(signed(Buffer.from('{testValue: ping', 'utf16le').toString('base64'))), code: 'E0005', mentions: /JSON/, signedFor: { appid: DEMO_APPID, key: DEMO_KEY } },
      { name: 'unknown serviceId', service: 'noSuchService', body: () => JSON.stringify(signed(goodData)), code: 'E0004', mentions: /noSuchService/, signedFor: { appid: DEMO_APPID, key: DEMO_KEY }, status: 'failed' },
      { name: 'serviceId with the wrong case', service: 'TestServerConnect', body: () => JSON.stringify(signed(goodData)), code: 'E0004', mentions: /TestServerConnect/, signedFor: { appid: DEMO_APPID, key: DEMO_KEY }, status: 'failed' },
      { name: 'serviceId with a malformed %-escape in the URL', service: 'get%E0%A4EBill', body: () => JSON.stringify(signed(goodData)), code: 'E0004', mentions: /get%E0%A4EBill/, signedFor: { appid: DEMO_APPID, key: DEMO_KEY }, status: 'failed' },
    ];

    for (const c of cases) {
      it(c.name, async () => {
        const body = c.body();
        const service = c.service ?? 'testServerConnect';
        const r = await postRaw(app.baseUrl, service, body, c.signedFor ?? {});
        assert.equal(r.http, 200);
        assert.equal(r.result, c.code, r.text);
        assert.match(r.text, CHINESE);
        assert.match(r.text, c.mentions);
        assert.doesNotMatch(r.text, /\bat .+\(.+:\d+:\d+\)|Error:/, 'no stack trace or raw exception text');
        if (c.signedFor) assert.ok(r.signOk, 'a refusal to a known caller is signed with its key');
        const stored = await storedMessage(app, (m) => m.raw === body && m.service_id === decodeURIComponentSafe(service));
        assert.equal(stored.status, c.status ?? 'rejected');
        assert.equal(stored.error_code, c.code);
        assert.match(stored.error ?? '', CHINESE);
        // still serving
        const ok = await callJson(app.baseUrl, 'testServerConnect', { testValue: 'still up' });
        assert.equal(ok.result, 'S0000');
      });
    }

    it('each kind of breakage is told apart by its message', async () => {
      // Codes group the refusals (E0001 sign, E0002 appid, E0003 envelope, E0004 service, E0005 data);
      // within a group the Chinese message must still say which rule was broken.
      const seen = new Map<string, string>();
      // (A JSON array body is answered "neither JSON nor form": imprecise but harmless, not compared.)
      for (const c of cases.filter((x) => !/sign made|truncated|wrong case|missing envelope field (noise|version|sign)/.test(x.name) && x.name !== 'JSON array body' && x.name !== 'data that is UTF-16LE but not JSON')) {
        const r = await postRaw(app.baseUrl, c.service ?? 'testServerConnect', c.body(), c.signedFor ?? {});
        const key = `${r.result} ${r.text}`;
        assert.ok(!seen.has(key), `"${c.name}" and "${seen.get(key)}" got the same answer: ${key}`);
        seen.set(key, c.name);
      }
    });

    it('an oversize body (> 2 MB) is refused with E0003, stored (truncated), and the server keeps serving', async () => {
      const big = JSON.stringify(signed(Buffer.from(JSON.stringify({ testValue: 'x', pad: 'y'.repeat(2_200_000) })).toString('base64')));
      assert.ok(big.length > 2 * 1024 * 1024);
      const t0 = Date.now();
      const r = await postRaw(app.baseUrl, 'testServerConnect', big);
      assert.equal(r.http, 200);
      assert.equal(r.result, 'E0003');
      assert.match(r.text, /请求过大/);
      assert.match(r.text, /2097152/);
      const stored = await storedMessage(app, (m) => m.received_at >= t0 && m.error_code === 'E0003' && /请求过大/.test(m.error ?? ''));
      assert.equal(stored.status, 'rejected');
      assert.equal(stored.service_id, 'testServerConnect');
      assert.ok(big.startsWith(stored.raw.slice(0, 1000)), 'the stored raw is the head of what was sent');
      assert.ok(stored.raw.length < big.length, 'the store keeps a bounded head, not megabytes of junk');
      const ok = await callJson(app.baseUrl, 'testServerConnect', { testValue: 'after big' });
      assert.equal(ok.result, 'S0000');
    });

    it("a service's own body limit (getEBillByBusNo: limits.bodyBytes 16384) stops reading there: E0003 naming the service and the limit", async () => {
      const data = Buffer.from(JSON.stringify({ busNo: 'B1', busDateTime: '20261125093015123', pad: 'y'.repeat(20_000) })).toString('base64');
      const t0 = Date.now();
      const r = await postRaw(app.baseUrl, 'getEBillByBusNo', JSON.stringify(signed(data)));
      assert.equal(r.http, 200);
      assert.equal(r.result, 'E0003', r.text);
      assert.match(r.text, /^请求过大：服务 getEBillByBusNo 的请求不能超过 16384 字节，收到 \d+ 字节$/);
      const stored = await storedMessage(app, (m) => m.received_at >= t0 && m.service_id === 'getEBillByBusNo' && m.error_code === 'E0003');
      assert.equal(stored.status, 'rejected');
      // a lookup of ordinary size is unaffected
      const q = await callJson(app.baseUrl, 'getEBillByBusNo', { busNo: 'NONE-SUCH', busDateTime: '20261125093015123' });
      assert.equal(q.result, 'E2002', q.text);
    });

    it('a body just under the limit is processed normally', async () => {
      // The limit is about the body, not the business data: padding in an ignored field passes.
      const data = Buffer.from(JSON.stringify({ testValue: 'x', pad: 'y'.repeat(1_400_000) })).toString('base64');
      const body = JSON.stringify(signed(data));
      assert.ok(body.length < 2 * 1024 * 1024);
      const r = await postRaw(app.baseUrl, 'testServerConnect', body);
      assert.equal(r.result, 'S0000', r.text);
    });
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
