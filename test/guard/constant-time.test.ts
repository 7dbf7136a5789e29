/**
 * The envelope MD5 sign, the WS-Security digest, the check code (bill download and check page) and the
 * metrics token are compared with crypto.timingSafeEqual, never with `===`, whose early exit tells a
 * guesser how many leading characters were right. The comparison is watched by wrapping
 * node:crypto's timingSafeEqual for the duration of each check.
 */
import { strict as assert } from 'node:assert';
import crypto from 'node:crypto';
import { md5Sign, verifySign } from '../../adapters/his/json/envelope';
import { checkUsernameToken, passwordDigest, WSSE_NS, WSU_NS } from '../../adapters/his/soap/wssec';
import { parseXml } from '../../adapters/his/soap/soap-xml';
import { sameSecret } from '../../src/crypto';
import { callJson, DEMO_APPID, DEMO_KEY, startTestApp, TestApp } from '../helpers/app';
import { sample, uniqueBusNo } from '../his/his-helpers';
import { request } from './helpers';

/** Runs `f` and returns how many times timingSafeEqual ran (and what it saw). */
async function watched(f: () => unknown): Promise<{ calls: number; result: unknown }> {
  const original = crypto.timingSafeEqual;
  let calls = 0;
  crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls++;
    return original(a, b);
  }) as typeof crypto.timingSafeEqual;
  try {
    const result = await f();
    return { calls, result };
  } finally {
    crypto.timingSafeEqual = original;
  }
}

describe('constant-time comparisons', function () {
  this.timeout(30_000);

  it('sameSecret: equal and unequal strings of any length, through timingSafeEqual', async () => {
    for (const [a, b, eq] of [
      ['ABCDEF0123', 'ABCDEF0123', true],
      ['ABCDEF0123', 'ABCDEF0124', false],
      ['short', 'a much longer string', false],
      ['', '', true],
    ] as const) {
      const w = await watched(() => sameSecret(a, b));
      assert.equal(w.result, eq);
      assert.equal(w.calls, 1);
    }
  });

  it('the envelope sign (verifySign) is compared with timingSafeEqual, right and wrong alike', async () => {
    const env = { appid: DEMO_APPID, data: 'eyJ4IjoxfQ==', noise: 'n1', version: '1.0', sign: '' };
    env.sign = md5Sign(env.appid, env.data, env.noise, DEMO_KEY);
    const right = await watched(() => verifySign(env, DEMO_KEY));
    assert.deepEqual(right, { calls: 1, result: true });
    const almost = env.sign.slice(0, -1) + (env.sign.endsWith('0') ? '1' : '0');
    const wrong = await watched(() => verifySign({ ...env, sign: almost }, DEMO_KEY));
    assert.deepEqual(wrong, { calls: 1, result: false });
  });

  it('the WS-Security PasswordDigest is compared with timingSafeEqual', async () => {
    const created = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const nonce = Buffer.from('0123456789abcdef').toString('base64');
    const header = (pw: string) =>
      parseXml(
        `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}"><wsse:UsernameToken><wsse:Username>${DEMO_APPID}</wsse:Username>` +
          `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">${pw}</wsse:Password>` +
          `<wsse:Nonce>${nonce}</wsse:Nonce><wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`,
      );
    const callers = new Map([[DEMO_APPID, { appid: DEMO_APPID, key: DEMO_KEY }]]);
    const ok = await watched(() => checkUsernameToken([header(passwordDigest(nonce, created, DEMO_KEY))], callers, undefined));
    assert.equal((ok.result as { ok: boolean }).ok, true);
    assert.ok(ok.calls >= 1);
    const bad = await watched(() => checkUsernameToken([header(passwordDigest(nonce, created, 'other-key'))], callers, undefined));
    assert.equal((bad.result as { ok: boolean }).ok, false);
    assert.ok(bad.calls >= 1);
  });

  describe('over HTTP', () => {
    let app: TestApp;
    let bill: { billBatchCode: string; billNo: string; random: string };
    before(async () => {
      app = await startTestApp({ config: { metrics: { token: 'scrape-token-0123' } } });
      const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', sample(uniqueBusNo('CT')));
      assert.equal(r.result, 'S0000', r.text);
      bill = r.body as unknown as typeof bill;
    });
    after(async () => app?.stop());

    it('the bill download compares the check code with timingSafeEqual', async () => {
      const url = (random: string) => `${app.baseUrl}/medical-web/ebill/${bill.billBatchCode}/${bill.billNo}.xml?random=${random}`;
      const right = await watched(() => request(url(bill.random)));
      assert.equal((right.result as { status: number }).status, 200);
      assert.ok(right.calls >= 1);
      const wrong = await watched(() => request(url(bill.random.slice(0, 5) + (bill.random.endsWith('0') ? '1' : '0'))));
      assert.equal((wrong.result as { status: number }).status, 404);
      assert.ok(wrong.calls >= 1);
    });

    it('the metrics token is compared with timingSafeEqual', async () => {
      const w = await watched(() => request(`${app.baseUrl}/metrics`, { headers: { authorization: 'Bearer scrape-token-0124' } }));
      assert.equal((w.result as { status: number }).status, 401);
      assert.ok(w.calls >= 1);
    });
  });
});
