/**
 * Every bill event reaches finance, through the HIS channel to the real simulator process: blue and
 * red bills through `finance-upload`, paper conversion, re-conversion, paper void and blank void through
 * `finance-event`, each once, and at once (the outbox is woken by the commit; its poll is set to a
 * minute so a poll cannot be what delivered them). Then the public check page over HTTP: a red bill and
 * a paper-converted bill found and verified, and a burst of wrong check codes met by the captcha and
 * the rate limit. And a supervisory signature that does not verify is never archived. One simulator
 * and one medbill for the file.
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadOrCreateDemoPki } from '../../adapters/ca/key-material';
import type { FinanceSimulator } from '../../adapters/finance/simulator';
import { certificateDer, createDetachedSigner, sm2PrivateKey } from '../../src/crypto';
import { splitFiscalXml } from '../../src/domain/fiscal-xml';
import { beijingDayBefore, reconcileDay } from '../../src/engine/finance-reconcile';
import { FinanceReconcileStore } from '../../src/store/finance-reconcile';
import { dialectOf } from '../../src/store/db';
import { SqlDb } from '../../src/store/sql';
import { callJson } from '../helpers/app';
import { billcheck, financeJob, FinanceTestApp, issueBill, Issued, startSimulator, suiteResources, waitFor } from './harness';

const PLACE = 'MZSF01';
const now = (): string => {
  const d = new Date(Date.now() + 8 * 3600_000).toISOString();
  return d.slice(0, 19).replace(/[-T:]/g, '') + d.slice(20, 23);
};

async function his(app: FinanceTestApp, service: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await callJson(app.baseUrl, service, data);
  assert.equal(r.result, 'S0000', `${service}: ${r.result} ${r.text}`);
  return r.body ?? {};
}

async function nextPaper(app: FinanceTestApp): Promise<{ pBillBatchCode: string; pBillNo: string }> {
  const b = await his(app, 'getPaperBillNo', { placeCode: PLACE, pBillBatchCode: '' });
  return { pBillBatchCode: String(b.pBillBatchCode), pBillNo: String(b.pBillNo) };
}

describe('bill events to finance and the check page (real simulator, HIS channel)', function () {
  this.timeout(60_000);
  const suite = suiteResources();
  let sim: FinanceSimulator;
  let app: FinanceTestApp;
  let blue: Issued;
  let converted: Issued;
  let convertedPaper: { pBillBatchCode: string; pBillNo: string };
  let red: { billBatchCode: string; billNo: string; random: string };

  before(async () => {
    const d = suite.dir();
    sim = await startSimulator(d, 0, { finance: { billcheck: { captchaAfter: 3 } } });
    suite.onCleanup(() => sim.close());
    app = await suite.medbill(d, sim.url, { opts: { background: true }, config: { outbox: { pollMs: 60_000 } } });
  });
  after(() => suite.cleanup());

  const atFinance = (b: Issued) => waitFor(`${b.busNo} at finance`, async () => (await sim.uploads()).some((u) => u.bill_no === b.billNo && u.outcome === 'accepted'), 10_000);

  /** fin_event_receipts of one event that finance took (accepted or repeated): "none twice" counts these. */
  async function taken(eventId: string): Promise<string[]> {
    return (await sim.eventReceipts()).filter((r) => r.event_id === eventId && r.outcome !== 'refused').map((r) => r.outcome);
  }

  it('sends blue and red bills and every paper and blank event once, as soon as each is committed', async () => {
    blue = await issueBill(app.baseUrl, 'EVT-BLUE-1');
    // Finance holds the blue bill before its paper events (else they get 425 and wait for the retry poll).
    await atFinance(blue);
    const p1 = await nextPaper(app);
    await his(app, 'turnPaper', { billBatchCode: blue.billBatchCode, billNo: blue.billNo, ...p1, busDateTime: now(), placeCode: PLACE, operator: '张三' });
    const p2 = await nextPaper(app);
    await his(app, 'reTurnPaper', { billBatchCode: blue.billBatchCode, billNo: blue.billNo, ...p2, busDateTime: now(), placeCode: PLACE, operator: '张三' });
    const redReply = await his(app, 'invalidPaper', { ...p2, placeCode: PLACE, author: '李四', reason: '退费', busDateTime: now() });
    red = { billBatchCode: String(redReply.eScarletBillBatchCode), billNo: String(redReply.eScarletBillNo), random: String(redReply.eScarletRandom) };
    const blank = await nextPaper(app);
    await his(app, 'invalidBlankBillNo', { pBillBatchCode: blank.pBillBatchCode, pBillNoStart: blank.pBillNo, pBillNoEnd: blank.pBillNo, placeCode: PLACE, author: '张三', reason: '卡纸', busDateTime: now() });

    const ids = [
      `paper-convert:${blue.billBatchCode}/${blue.billNo}:${p1.pBillBatchCode}/${p1.pBillNo}`,
      `paper-void:${p1.pBillBatchCode}/${p1.pBillNo}`,
      `paper-convert:${blue.billBatchCode}/${blue.billNo}:${p2.pBillBatchCode}/${p2.pBillNo}`,
      `paper-void:${p2.pBillBatchCode}/${p2.pBillNo}`,
      `blank-void:paper:${blank.pBillBatchCode}/${blank.pBillNo}-${blank.pBillNo}`,
    ];
    // Well inside the minute-long poll: only the wake after each commit can have sent them.
    await waitFor('every event and both bills at finance', async () => (await sim.events()).length === ids.length && (await sim.uploads()).filter((u) => u.outcome === 'accepted').length === 2, 10_000);

    const events = await sim.events();
    assert.deepEqual(events.map((e) => e.event_id).sort(), [...ids].sort());
    for (const id of ids) assert.deepEqual(await taken(id), ['accepted'], `${id} reached finance once`);
    const blankRow = events.find((e) => e.type === 'blank-void')!;
    assert.deepEqual([blankRow.place_code, blankRow.medium, blankRow.count, blankRow.reason], [PLACE, 'paper', 1, '空白票作废：卡纸']);
    const voidRow = events.find((e) => e.event_id === ids[3])!;
    assert.deepEqual([voidRow.bill_batch_code, voidRow.bill_no, voidRow.reason], [blue.billBatchCode, blue.billNo, '退费']);

    const rows = await sim.uploads();
    const of = (b: { billBatchCode: string; billNo: string }) => rows.filter((u) => u.bill_batch_code === b.billBatchCode && u.bill_no === b.billNo && u.outcome !== 'refused').map((u) => u.outcome);
    assert.deepEqual(of(blue), ['accepted']);
    assert.deepEqual(of(red), ['accepted']);
    const finRed = await finBill(red);
    assert.deepEqual([finRed.kind, finRed.related_bill_batch_code, finRed.related_bill_no, finRed.place_code, finRed.bill_kind], ['red', blue.billBatchCode, blue.billNo, PLACE, 'outpatient']);
    assert.match(String(finRed.total_amount), /^-/);

    const archived = async () => {
      const states = await app.services.db('bills').whereIn('bill_no', [blue.billNo, red.billNo]).select('finance_state', 'finance_error', 'fiscal_xml');
      return states.map((b: { finance_state: string; finance_error: string | null; fiscal_xml: string }) => [b.finance_state, b.finance_error, b.fiscal_xml.includes('SupervisorPartySignature')]);
    };
    await waitFor('both bills archived', async () => (await archived()).every((s) => s[0] !== null), 5_000);
    assert.deepEqual(await archived(), [['uploaded', null, true], ['uploaded', null, true]], 'both verified and archived with the supervisory signature');
    const jobs = await app.services.db('outbox').where('topic', 'finance-event').select('status');
    assert.equal(jobs.length, ids.length);
    assert.ok(jobs.every((j: { status: string }) => j.status === 'done'));
  });

  it("reconciles the day to no difference after those events: medbill's ledger and finance count red, paper and blank events alike", async () => {
    // The two parts count each kind of event from their own records (ledger tables / fin_events): this
    // is where a disagreement between what is sent and what is counted would show.
    const store = new FinanceReconcileStore(app.services.db, new SqlDb(app.services.db, dialectOf(app.config.db.url)));
    const r = await reconcileDay(app.services.finance!, store, app.services.reports, beijingDayBefore(0), 'schedule');
    assert.equal(r.kind, 'ok');
    assert.ok(r.kind === 'ok');
    assert.deepEqual(r.report.differences, []);
    const totals = (await app.services.finance!.dailyTotals(beijingDayBefore(0))) as { kind: string; totals?: { rows: Record<string, unknown>[] } };
    const rows = totals.totals?.rows ?? [];
    const sum = (k: string) => rows.reduce((n, row) => n + Number(row[k]), 0);
    assert.deepEqual([sum('blueCount'), sum('redCount'), sum('paperConvertCount'), sum('paperVoidCount'), sum('blankVoidCount')], [1, 1, 2, 2, 1], 'the day holds what the test did');
  });

  async function finBill(b: { billBatchCode: string; billNo: string }): Promise<Record<string, unknown>> {
    const { FinanceBillStore, financeDbFile } = await import('../../adapters/finance/simulator/store');
    const store = await FinanceBillStore.open(financeDbFile(app.config.dataDir));
    try {
      return (await store.byNumber(b.billBatchCode, b.billNo)) as unknown as Record<string, unknown>;
    } finally {
      await store.close();
    }
  }

  it('shows a red bill (and its red-flushed blue bill) and a paper-converted bill on the check page, verified', async () => {
    converted = await issueBill(app.baseUrl, 'EVT-PAPER-1');
    await atFinance(converted);
    convertedPaper = await nextPaper(app);
    await his(app, 'turnPaper', { billBatchCode: converted.billBatchCode, billNo: converted.billNo, ...convertedPaper, busDateTime: now(), placeCode: PLACE, operator: '张三' });
    const eventId = `paper-convert:${converted.billBatchCode}/${converted.billNo}:${convertedPaper.pBillBatchCode}/${convertedPaper.pBillNo}`;
    await waitFor('the conversion at finance', async () => (await taken(eventId)).length === 1, 10_000);

    const verified = (b: Record<string, unknown>) => {
      const s = b.signatures as { unit: { verified: boolean }; supervisor: { verified: boolean } };
      return s.unit.verified && s.supervisor.verified;
    };
    const r = await billcheck(sim.url, { billBatchCode: red.billBatchCode, billNo: red.billNo, random: red.random });
    assert.equal(r.body.found, true);
    assert.ok(verified(r.body), 'both signatures of the red bill verify');
    const rb = r.body.bill as Record<string, unknown>;
    assert.equal(rb.kind, 'red');
    assert.deepEqual(rb.relatedBill, { billBatchCode: blue.billBatchCode, billNo: blue.billNo });
    assert.match(String(rb.totalAmount), /^-/);

    const b = await billcheck(sim.url, { billBatchCode: blue.billBatchCode, billNo: blue.billNo, random: blue.random });
    const bb = b.body.bill as Record<string, unknown>;
    assert.deepEqual([bb.kind, bb.redFlushed, bb.redBill, bb.paper], ['blue', true, { billBatchCode: red.billBatchCode, billNo: red.billNo }, null], 'red-flushed; its paper was voided');

    const c = await billcheck(sim.url, { billBatchCode: converted.billBatchCode, billNo: converted.billNo, random: converted.random });
    assert.ok(verified(c.body));
    assert.deepEqual((c.body.bill as Record<string, unknown>).paper, convertedPaper);

    const html = await (await fetch(`${sim.url}/billcheck?${new URLSearchParams({ billBatchCode: converted.billBatchCode, billNo: converted.billNo, random: converted.random })}`)).text();
    assert.ok(html.includes('查验通过'));
    assert.ok(html.includes(`${convertedPaper.pBillBatchCode}-${convertedPaper.pBillNo}`), 'the page names the paper bill');
  });

  it('the simulator takes an event once by eventId: repeated, conflict, bad-event, and 425 before related-bill-unknown', async () => {
    const post = async (url: string, body: unknown) => {
      const r = await fetch(`${url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const blank = { type: 'blank-void', eventId: 'blank-void:paper:44060126/0000009001-0000009003', time: '20261125093015', placeCode: PLACE, medium: 'paper', billBatchCode: '44060126', startNo: '0000009001', endNo: '0000009003', reason: '卡纸' };
    assert.deepEqual(await post(sim.url, blank), { status: 200, body: { ok: true, eventId: blank.eventId, repeated: false } });
    assert.deepEqual(await post(sim.url, { ...blank }), { status: 200, body: { ok: true, eventId: blank.eventId, repeated: true } });
    const other = await post(sim.url, { ...blank, reason: '另一个原因' });
    assert.deepEqual([other.status, other.body.code], [409, 'conflict']);
    const lying = await post(sim.url, { ...blank, endNo: '0000009004' });
    assert.deepEqual([lying.status, lying.body.code], [400, 'bad-event']);
    assert.match(String(lying.body.detail), /eventId must be blank-void:paper:44060126\/0000009001-0000009004/);
    const orphan = { type: 'paper-convert', eventId: 'paper-convert:44060126/0000099999:44060126/0000099999', time: '20261125093015', placeCode: PLACE, billBatchCode: '44060126', billNo: '0000099999', pBillBatchCode: '44060126', pBillNo: '0000099999' };
    const early = await post(sim.url, orphan);
    assert.deepEqual([early.status, early.body.code], [425, 'related-bill-unknown'], 'not yet: the e-bill may still be on its way');
    // A finance whose patience is over at once refuses it.
    const impatient = await startSimulator(suite.dir(), 0, { finance: { relatedBillWait: '0s' } });
    suite.onCleanup(() => impatient.close());
    const late = await post(impatient.url, orphan);
    assert.deepEqual([late.status, late.body.code], [422, 'related-bill-unknown']);
    assert.match(String(late.body.message), /[\u4e00-\u9fff]/);
  });

  it('never archives a bill whose supervisory signature does not chain to the finance CA (a forging finance stand-in signs with the hospital\'s key)', async () => {
    // Finance's answer, forged: valid SM2 over the bill's own signed text, the signer's serial named,
    // but made with the hospital's unit key — a certificate the hospital's CA issued, not finance's.
    const d = suite.dir();
    const pki = loadOrCreateDemoPki(d);
    const sign = createDetachedSigner({ privateKey: sm2PrivateKey(pki.unitSigning.privateKey, pki.unitSigning.publicKey), certDer: certificateDer(pki.unitSigning.certificatePem) });
    const forger = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        const up = JSON.parse(body) as { billBatchCode: string; billNo: string; fiscalXml: string };
        const content = splitFiscalXml(Buffer.from(up.fiscalXml, 'base64').toString('utf8'))!.content;
        const answer = { ok: true, billBatchCode: up.billBatchCode, billNo: up.billNo, supervisorSignature: sign(Buffer.from(content, 'utf8')).toString('base64'), supervisorCertSerial: pki.unitSigning.serialHex, time: now().slice(0, 14), repeated: false };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => forger.listen(0, '127.0.0.1', r));
    suite.onCleanup(() => new Promise<void>((r) => forger.close(() => r())));
    const other = await suite.medbill(d, `http://127.0.0.1:${(forger.address() as AddressInfo).port}`);
    await issueBill(other.baseUrl, 'EVT-FORGED-1');
    await other.outbox.tick();
    const job = await financeJob(other, 'EVT-FORGED-1');
    assert.equal(job.status, 'dead');
    assert.match(job.last_error ?? '', /^permanent: finance's supervisory signature does not verify: /);
    const bill = await other.services.db('bills').where({ bus_no: 'EVT-FORGED-1' }).first();
    assert.equal(bill.finance_state, 'unverified');
    assert.equal(bill.supervisor_signature, null);
    assert.ok(!String(bill.fiscal_xml).includes('SupervisorPartySignature'), 'the stored document is the unit-signed one: nothing archived');
  });

  it('asks a client for a captcha after a few wrong check codes, then throttles the burst', async () => {
    // Its own client address (X-Forwarded-For is not trusted here, so all share 127.0.0.1): this runs last.
    const q = { billBatchCode: converted.billBatchCode, billNo: converted.billNo };
    const wrong = (i: number) => billcheck(sim.url, { ...q, random: (0xa00000 + i).toString(16) });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await wrong(i));
    assert.deepEqual(answers.map((a) => [a.status, a.body.found]), [[200, false], [200, false], [200, false]], 'the first mistakes are answered as an unknown number');

    // Now the right code alone is not enough: the client must answer a captcha first.
    const asked = await billcheck(sim.url, { ...q, random: converted.random });
    assert.equal(asked.status, 403);
    assert.equal(asked.body.captchaRequired, true);
    const captcha = asked.body.captcha as { id: string; url: string; image: string };
    assert.match(captcha.image, /^data:image\/svg\+xml;base64,/);
    const svg = await fetch(`${sim.url}/${captcha.url}`);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.match(await svg.text(), /^<svg /);
    const page = await (await fetch(`${sim.url}/billcheck?${new URLSearchParams({ ...q, random: converted.random })}`)).text();
    assert.ok(page.includes('name="captchaId"') && page.includes('<img src="data:image/svg+xml;base64,'), 'the page shows the image');

    const wrongAnswer = await billcheck(sim.url, { ...q, random: converted.random, captchaId: captcha.id, captcha: 'zzzz' });
    assert.equal(wrongAnswer.status, 403, 'a wrong captcha answer is another captcha');
    const fresh = (wrongAnswer.body.captcha as { id: string }).id;
    const solved = await billcheck(sim.url, { ...q, random: converted.random, captchaId: fresh, captcha: sim.captchaAnswer(fresh)! });
    assert.equal(solved.status, 200);
    assert.equal(solved.body.found, true, 'solved: the right code finds the bill');
    const reused = await billcheck(sim.url, { ...q, random: converted.random, captchaId: fresh, captcha: 'used' });
    assert.equal(reused.status, 403, 'one answer, one lookup');

    // A burst from the same client: the per-client bucket (limits.billAccess.perIp) answers 429 with Retry-After.
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => wrong(100 + i)));
    const limited = burst.filter((x) => x.status === 429);
    assert.ok(limited.length > 0, 'the burst is throttled');
    assert.match(String(limited[0].body.message), /请求过于频繁|查询已暂停/);
  });
});
