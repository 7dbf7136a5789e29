/**
 * DESIGN §5.1 under load, on SQLite: 100 concurrent HIS issuers on one place whose stock is three
 * ranges, while the administrator voids blanks and takes a range back, then the ledger walk: zero
 * duplicate numbers, every number of every range in exactly one state (unused, blue, red, voided with
 * a reason). Also the low-stock watch: one warning as the place crosses its threshold (edge-triggered,
 * not one per bill), again only after a distribution lifted it, and the gauges on /metrics.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { callJson, startTestApp, TestApp } from '../helpers/app';
import { walkLedger } from '../helpers/stock-ledger';
import { sample } from '../his/his-helpers';
import { configureLogging, log } from '../../src/log';

const who = { operator: '票据管理员', source: 'cli' as const };
const ref = (a: string, b: string) => ({ billBatchCode: '44060127', startNo: a, endNo: b });

describe('stock under load: 100 concurrent issuers on SQLite, then the ledger walk', function () {
  this.timeout(180_000);
  let app: TestApp;
  const lines: string[] = [];
  before(async () => {
    app = await startTestApp({ db: 'sqlite', config: { stock: { lowThreshold: { default: 0, places: { 'P-LOAD': { outpatient: 25 } } } } } });
    configureLogging({ level: 'warn', dir: '', stdout: false });
    log().add(new winston.transports.Stream({ stream: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) }));
    const s = app.services.stock;
    await s.addPlace('P-LOAD', '门诊一号窗口', 'window');
    assert.equal((await s.receive({ ...ref('0000000001', '0000000200'), medium: 'ebill', billKind: 'outpatient' }, who)).ok, true);
    for (const [a, b] of [
      ['0000000001', '0000000040'],
      ['0000000041', '0000000060'],
      ['0000000061', '0000000130'],
    ])
      assert.equal((await s.distribute('P-LOAD', ref(a, b), who)).ok, true);
  });
  after(async () => {
    configureLogging({ level: 'error', dir: '', stdout: false });
    await app?.stop();
  });

  it('no number twice, every number accounted for, one low-stock warning per crossing, gauges on /metrics', async () => {
    const s = app.services.stock;
    const issues = Array.from({ length: 100 }, (_, i) => {
      const p = sample(`LOAD-${i}`);
      p.placeCode = 'P-LOAD';
      return callJson(app.baseUrl, 'invoiceEBillOutpatient', p);
    });
    // The administrator works at the same time, on numbers the issuers do not reach.
    const admin = Promise.all([
      s.voidBlank('P-LOAD', ref('0000000111', '0000000112'), '打印机卡纸', who),
      s.giveBack('P-LOAD', ref('0000000121', '0000000130'), { ...who, reason: '调拨' }),
    ]);
    const answers = await Promise.all(issues);
    for (const r of await admin) assert.equal(r.ok, true, JSON.stringify(r));
    assert.deepEqual(answers.filter((r) => r.result !== 'S0000').map((r) => r.text), []);
    const nos = answers.map((r) => String(r.body!.billNo)).sort();
    assert.equal(new Set(nos).size, 100, 'a number was answered twice');
    assert.equal(nos[0], '0000000001');
    assert.equal(nos[99], '0000000100', 'numbers are taken in order, without a gap');

    const walk = await walkLedger(app.services.db);
    assert.deepEqual(walk.problems, []);
    const demoUnused = walk.counts.received - 200 - walk.counts.paperUsed; // the demo stock, untouched by this test
    assert.deepEqual(
      { blue: walk.counts.blue, voided: walk.counts.voided, blankVoided: walk.counts.blankVoided, reserved: walk.counts.reserved },
      { blue: 100, voided: 0, blankVoided: 2, reserved: 0 },
    );
    assert.equal(walk.counts.unusedInStore + walk.counts.unusedAtPlaces - demoUnused, 200 - 100 - 2, 'the rest is unused');

    // 130 - 100 - 2 - 10 = 18 left at the place: at or below 25, warned once, not once per bill.
    const low = () => lines.filter((l) => /"stock low"/.test(l) && /P-LOAD/.test(l));
    assert.equal(low().length, 1, low().join('\n'));
    assert.match(low()[0], /开票点 P-LOAD 的电子票据 门诊（outpatient） 仅剩 \d+ 份（预警线 25）/);
    let metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    assert.match(metrics, /medbill_stock_remaining\{place="P-LOAD",medium="ebill",bill_kind="outpatient"\} 18/);
    assert.match(metrics, /medbill_stock_low\{place="P-LOAD",medium="ebill",bill_kind="outpatient"\} 1/);

    // A distribution lifts it above the threshold (re-armed); using it up again warns once more.
    assert.equal((await s.distribute('P-LOAD', ref('0000000131', '0000000150'), who)).ok, true);
    metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    assert.match(metrics, /medbill_stock_low\{place="P-LOAD",medium="ebill",bill_kind="outpatient"\} 0/);
    for (let i = 0; i < 20; i++) {
      const p = sample(`LOAD-B-${i}`);
      p.placeCode = 'P-LOAD';
      assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', p)).result, 'S0000');
    }
    assert.equal(low().length, 2, low().join('\n'));
    const none = sample('LOAD-NONE');
    none.placeCode = 'P-LOAD';
    for (let i = 0; i < 18; i++) {
      const p = sample(`LOAD-C-${i}`);
      p.placeCode = 'P-LOAD';
      assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', p)).result, 'S0000');
    }
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', none);
    assert.equal(r.result, 'E2003');
    assert.match(r.text, /开票点编码 P-LOAD 没有可用的门诊（outpatient）电子票据号码/);
    assert.deepEqual((await walkLedger(app.services.db)).problems, []);
  });
});
