/**
 * The bill download (/medical-web/ebill/<code>/<no>.xml?random=…, which serves the patient's ID number)
 * and the finance check page (/billcheck) against check-code guessing. Before the fix they answered
 * 4,000 guesses a second with no limit: even odds on one bill's 6-hex code in 35 minutes. Now wrong
 * codes lock out the guessing address (and, spread over many addresses, the bill) with HTTP 429, a
 * Chinese text and Retry-After, while the right code from another address still opens the bill.
 * Several clients are distinct loopback addresses (127.0.0.x), over real HTTP.
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import type { FinanceSimulator } from '../../adapters/finance/simulator';
import { callJson, startTestApp, TestApp } from '../helpers/app';
import { sample, uniqueBusNo } from '../his/his-helpers';
import { issueBill, startMedbill, startSimulator, tempDir } from '../finance/harness';
import { request, sleep } from './helpers';
import type { App } from '../../src/app';

const CJK = /[\u4e00-\u9fff]/;

interface Bill {
  billBatchCode: string;
  billNo: string;
  random: string;
}

async function issue(app: TestApp): Promise<Bill> {
  const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', sample(uniqueBusNo('LOCK')));
  assert.equal(r.result, 'S0000', r.text);
  return r.body as unknown as Bill;
}

/** A check code that is not `random` (6 lower hex). */
function wrong(random: string, i: number): string {
  const guess = (0x100000 + i * 7919).toString(16).slice(-6);
  return guess === random ? (0x200000 + i).toString(16).slice(-6) : guess;
}

const download = (app: TestApp, b: Bill, random: string, from: string) => request(`${app.baseUrl}/medical-web/ebill/${b.billBatchCode}/${b.billNo}.xml?random=${random}`, { from });

function assertLocked(r: { status: number; headers: Record<string, unknown>; text: string }, maxSeconds: number): void {
  assert.equal(r.status, 429, r.text);
  const after = Number(r.headers['retry-after']);
  assert.ok(after > 0 && after <= maxSeconds, `Retry-After ${r.headers['retry-after']}`);
  assert.match(r.text, CJK);
}

describe('bill download: check-code lockout and rate', function () {
  this.timeout(60_000);

  describe('per client address', () => {
    let app: TestApp;
    let bill: Bill;
    before(async () => {
      app = await startTestApp({
        config: { limits: { billAccess: { perIp: { rate: 0, burst: 0 }, wrongCodesPerClient: 5, wrongCodesPerBill: 1000, window: '10m', lockout: '15m' } } },
      });
      bill = await issue(app);
    });
    after(async () => app?.stop());

    it('5 wrong codes lock the guessing address out (429, Retry-After, Chinese text), even for the right code; another address still opens the bill', async () => {
      for (let i = 0; i < 5; i++) {
        const r = await download(app, bill, wrong(bill.random, i), '127.0.0.2');
        assert.equal(r.status, 404, `guess ${i + 1}: ${r.text}`);
      }
      const locked = await download(app, bill, bill.random, '127.0.0.2');
      assertLocked(locked, 15 * 60);
      assert.match(locked.text, /校验码错误次数过多/);
      assert.ok(Number(locked.headers['retry-after']) > 14 * 60, 'locked for the configured 15 minutes');
      assertLocked(await download(app, bill, wrong(bill.random, 9), '127.0.0.2'), 15 * 60);

      const patient = await download(app, bill, bill.random, '127.0.0.3');
      assert.equal(patient.status, 200, patient.text);
      assert.ok(patient.text.includes(`<EInvoiceNumber>${bill.billNo}</EInvoiceNumber>`) || patient.text.includes(bill.billNo));
      assert.match(String(patient.headers['content-type']), /application\/xml/);
    });

    it('a patient who mistypes a few times is not locked out', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await download(app, bill, wrong(bill.random, 20 + i), '127.0.0.4')).status, 404);
      assert.equal((await download(app, bill, bill.random, '127.0.0.4')).status, 200);
    });

    it('made-up bill numbers count against the address too', async () => {
      for (let i = 0; i < 5; i++) assert.equal((await request(`${app.baseUrl}/medical-web/ebill/44060126/${9_000_000_000 + i}.xml?random=abcdef`, { from: '127.0.0.5' })).status, 404);
      assertLocked(await download(app, bill, bill.random, '127.0.0.5'), 15 * 60);
    });
  });

  describe('per bill (guessing spread over many addresses)', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({
        config: { limits: { billAccess: { perIp: { rate: 0, burst: 0 }, wrongCodesPerClient: 1000, wrongCodesPerBill: 4, window: '10m', lockout: '15m' } } },
      });
    });
    after(async () => app?.stop());

    it('4 wrong codes from 4 addresses lock that bill (429 for everyone for the lockout); other bills are unaffected', async () => {
      const bill = await issue(app);
      const other = await issue(app);
      for (let i = 0; i < 4; i++) assert.equal((await download(app, bill, wrong(bill.random, i), `127.0.1.${i + 1}`)).status, 404);
      assertLocked(await download(app, bill, bill.random, '127.0.1.9'), 15 * 60);
      assert.equal((await download(app, other, other.random, '127.0.1.9')).status, 200);
    });
  });

  describe('rate per client address', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ config: { limits: { billAccess: { perIp: { rate: 1, burst: 3 } } } } });
    });
    after(async () => app?.stop());

    it('past the burst: 429 with Retry-After; after the wait it answers again', async () => {
      const bill = await issue(app);
      const t0 = Date.now();
      const replies = await Promise.all(Array.from({ length: 8 }, () => download(app, bill, bill.random, '127.0.2.1')));
      const elapsed = (Date.now() - t0) / 1000;
      const ok = replies.filter((r) => r.status === 200).length;
      const limited = replies.filter((r) => r.status === 429);
      assert.ok(ok >= 3 && ok <= 3 + Math.ceil(elapsed), `${ok} answered in ${elapsed}s`);
      assert.ok(limited.length >= 1);
      for (const r of limited) {
        assertLocked(r, 2);
        assert.match(r.text, /请求过于频繁/);
      }
      assert.equal((await download(app, bill, bill.random, '127.0.2.2')).status, 200, 'another address is not limited');
      await sleep(Number(limited[0].headers['retry-after']) * 1000 + 200);
      assert.equal((await download(app, bill, bill.random, '127.0.2.1')).status, 200);
    });
  });
});

describe('finance check page (/billcheck): check-code lockout', function () {
  this.timeout(60_000);
  const dir = tempDir();
  let sim: FinanceSimulator;
  let app: App & { baseUrl: string };
  let bill: Bill;
  before(async () => {
    sim = await startSimulator(dir, 0, { limits: { billAccess: { wrongCodesPerClient: 3, window: '10m', lockout: '15m' } } });
    app = await startMedbill(dir, sim.url);
    bill = await issueBill(app.baseUrl, uniqueBusNo('CHK'));
    assert.equal(await app.outbox.tick(), 1, 'uploaded to the simulator');
  });
  after(async () => {
    await app?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const page = (random: string, from: string, accept = 'text/html') =>
    request(`${sim.url}/billcheck?${new URLSearchParams({ billBatchCode: bill.billBatchCode, billNo: bill.billNo, random })}`, { from, headers: { accept } });

  it('3 wrong codes lock the address out: a Chinese 429 page (and JSON) with Retry-After; the right code from another address is found', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await page(wrong(bill.random, i), '127.0.3.1');
      assert.equal(r.status, 200);
      assert.match(r.text, /未查询到该电子票据/);
    }
    const html = await page(bill.random, '127.0.3.1');
    assertLocked(html, 15 * 60);
    assert.match(String(html.headers['content-type']), /text\/html/);
    assert.match(html.text, /校验码错误次数过多/);
    const json = await page(bill.random, '127.0.3.1', 'application/json');
    assertLocked(json, 15 * 60);
    assert.equal((JSON.parse(json.text) as { found: boolean }).found, false);

    const patient = await page(bill.random, '127.0.3.2', 'application/json');
    assert.equal(patient.status, 200);
    assert.equal((JSON.parse(patient.text) as { found: boolean }).found, true);
  });
});
