/**
 * Bill events are enqueued in the transaction that makes them (SQLite, and MariaDB when
 * MEDBILL_TEST_MYSQL_URL is set): a paper conversion and a blank void each leave exactly one
 * `finance-event` outbox row carrying its FinanceEvent, and a refused one leaves none. Delivery is
 * off here (test/finance/events.test.ts delivers them to the real simulator).
 */
import assert from 'node:assert/strict';
import { callJson, dbKinds, SAMPLE_FILE, startTestApp, TestApp } from '../helpers/app';
import { readFileSync } from 'node:fs';

const who = { operator: '票据管理员', source: 'cli' as const };

for (const kind of dbKinds()) {
  describe(`finance events in the outbox (${kind})`, function () {
    this.timeout(60_000);
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db: kind });
    });
    after(() => app?.stop());

    const events = async (): Promise<Array<{ job_key: string; payload: Record<string, unknown>; message_id: string | null }>> =>
      ((await app.services.db('outbox').where('topic', 'finance-event').orderBy('id')) as Array<{ job_key: string; payload: string; message_id: string | null }>).map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));

    it('a paper conversion enqueues its paper-convert event with it; a refused one enqueues nothing', async () => {
      const settlement = { ...(JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>), busNo: `FE-${kind}-1` };
      const bill = await callJson(app.baseUrl, 'invoiceEBillOutpatient', settlement);
      assert.equal(bill.result, 'S0000', bill.text);
      const next = (await callJson(app.baseUrl, 'getPaperBillNo', { placeCode: 'MZSF01', pBillBatchCode: '' })).body!;
      const req = { billBatchCode: bill.body!.billBatchCode, billNo: bill.body!.billNo, busDateTime: '20261125093015123', placeCode: 'MZSF01', operator: '张三' };
      const wrong = await callJson(app.baseUrl, 'turnPaper', { ...req, pBillBatchCode: next.pBillBatchCode, pBillNo: '0009999999' });
      assert.equal(wrong.result, 'E2230', wrong.text);
      assert.deepEqual(await events(), [], 'a refused conversion leaves no event');
      const ok = await callJson(app.baseUrl, 'turnPaper', { ...req, pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo });
      assert.equal(ok.result, 'S0000', ok.text);
      const again = await callJson(app.baseUrl, 'turnPaper', { ...req, pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo });
      assert.equal(again.result, 'S0000', 'the repeat is answered as done');
      const [e, ...rest] = await events();
      assert.deepEqual(rest, [], 'the repeat enqueues nothing');
      const id = `paper-convert:${String(req.billBatchCode)}/${String(req.billNo)}:${String(next.pBillBatchCode)}/${String(next.pBillNo)}`;
      assert.equal(e.job_key, id);
      assert.deepEqual({ ...e.payload, time: undefined }, { type: 'paper-convert', eventId: id, time: undefined, placeCode: 'MZSF01', billBatchCode: req.billBatchCode, billNo: req.billNo, pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo, operator: '张三' });
      assert.match(String(e.payload.time), /^\d{14}$/);
      assert.ok(e.message_id, 'the event names the message that caused it');
      await app.services.db('outbox').where('topic', 'finance-event').del();
    });

    it('a blank void (medbill stock void) enqueues its blank-void event; a refused void enqueues nothing', async () => {
      const s = app.services.stock;
      const range = { billBatchCode: '44060125', startNo: '0000000001', endNo: '0000000010', medium: 'ebill' as const, billKind: 'outpatient' };
      assert.equal((await s.receive(range, who)).ok, true);
      const refused = await s.voidBlank(undefined, { billBatchCode: '44060125', startNo: '0000000009', endNo: '0000000012' }, '卡纸', who);
      assert.equal(refused.ok, false);
      assert.deepEqual(await events(), []);
      assert.deepEqual(await s.voidBlank(undefined, { billBatchCode: '44060125', startNo: '0000000003', endNo: '0000000004' }, '卡纸', who), { ok: true, count: 2 });
      const [e, ...rest] = await events();
      assert.deepEqual(rest, []);
      assert.equal(e.job_key, 'blank-void:ebill:44060125/0000000003-0000000004');
      assert.deepEqual([e.payload.type, e.payload.medium, e.payload.startNo, e.payload.endNo, e.payload.reason, e.payload.placeCode, e.payload.operator], ['blank-void', 'ebill', '0000000003', '0000000004', '卡纸', '', '票据管理员']);
    });
  });
}
