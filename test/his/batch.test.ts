/**
 * Batch issuance end to end over the JSON channel (real HTTP, real store, real SM2): a batch is answered
 * at once, its items are issued by their outbox jobs through the single-issue flows, and
 * getBatchInvoiceEBill reports each busNo. On SQLite and (with MEDBILL_TEST_MYSQL_URL) MariaDB.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { callJson, dbKinds, DEMO_APPID, Reply, startTestApp, TestApp } from '../helpers/app';
import { EXAMPLES_DIR } from '../helpers/fixtures';
import { batchResult, CHINESE, Json, sample, uniqueBusNo } from './his-helpers';

const example = (service: string, busNo: string): Json => ({ ...(JSON.parse(readFileSync(path.join(EXAMPLES_DIR, `${service}.json`), 'utf8')) as Json), busNo });

for (const kind of dbKinds()) {
  describe(`batch issuance: batchInvoiceEBill* and getBatchInvoiceEBill (${kind})`, function () {
    this.timeout(120_000);
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db: kind, config: { outbox: { pollMs: 50 } } });
    });
    after(async () => app?.stop());

    it('answers at once, then issues each item through the outpatient flow: issued, refused naming the field, and a busNo issued singly is not issued again', async () => {
      const single = sample(uniqueBusNo('BS'));
      const one = await callJson(app.baseUrl, 'invoiceEBillOutpatient', single);
      assert.equal(one.result, 'S0000', one.text);
      const fresh = sample(uniqueBusNo('BF'));
      const bad: Json = { ...sample(uniqueBusNo('BX')), payer: '' };
      const off: Json = { ...sample(uniqueBusNo('BA')), totalAmt: '236.51' };
      const batchNo = uniqueBusNo('BATCH');
      const accepted = await callJson(app.baseUrl, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: [fresh, single, bad, off] });
      assert.equal(accepted.result, 'S0000', accepted.text);
      assert.match(accepted.text, /已受理/);
      assert.equal(accepted.body, undefined, 'a success text, as the spec says');

      const list = await batchResult(app.baseUrl, batchNo);
      assert.deepEqual(list.map((i) => [i.busNo, i.status]), [[fresh.busNo, 1], [single.busNo, 1], [bad.busNo, 2], [off.busNo, 2]]);
      const [f, s, b, o] = list;
      assert.match(String(f.billNo), /^\d{10}$/);
      assert.equal(f.billBatchCode, '44060126');
      assert.match(String(f.random), /^[0-9a-f]{6}$/);
      assert.match(String(f.pictureUrl), /^http:\/\/127\.0\.0\.1:17001\/h5\/ebill\/44060126\//);
      assert.ok(String(f.billQRCode).length > 100, 'the QR PNG, Base64');
      assert.equal(s.billNo, one.body!.billNo, 'the singly issued busNo reports its existing bill');
      assert.equal(s.random, one.body!.random);
      assert.match(String(b.errMsg), /payer（患者姓名）/);
      assert.match(String(o.errMsg), /chargeDetail.*236\.51/);
      for (const i of [b, o]) {
        assert.match(String(i.errMsg), CHINESE);
        assert.equal(i.billNo, undefined);
      }
      const freshRow = await app.services.bills.byBusNo(DEMO_APPID, String(fresh.busNo));
      assert.equal(freshRow!.batch_no, batchNo, 'bills.batch_no names the batch that issued it');
      const singleRow = await app.services.bills.byBusNo(DEMO_APPID, String(single.busNo));
      assert.equal(singleRow!.batch_no, null, 'the singly issued bill stays the single request\'s');
      const q = await callJson(app.baseUrl, 'getEBillByBusNo', { busNo: fresh.busNo, busDateTime: fresh.busDateTime });
      assert.equal(q.body!.billNo, f.billNo, 'a batch bill is a bill like any other');
    });

    it('each kind of batch issues its kind of bill: inpatient, registration, checkup', async () => {
      for (const [batch, service, code, no] of [
        ['batchInvoiceEBillHospitalized', 'invEBillHospitalized', '44060226', /^\d{10}$/],
        ['batchInvoiceEBillRegistration', 'invEBillRegistration', '44060326', /^\d{10}$/],
        ['batchInvoiceEBillCheckUp', 'invEBillCheckUp', '44060426', /^\d{10}$/],
      ] as const) {
        const items = [example(service, uniqueBusNo('BK')), example(service, uniqueBusNo('BK'))];
        const batchNo = uniqueBusNo('BK');
        const r = await callJson(app.baseUrl, batch, { batchNo, eBillList: items });
        assert.equal(r.result, 'S0000', r.text);
        const list = await batchResult(app.baseUrl, batchNo);
        for (const i of list) {
          assert.equal(i.status, 1, `${batch}: ${String(i.errMsg)}`);
          assert.equal(i.billBatchCode, code, batch);
          assert.match(String(i.billNo), no, batch);
        }
        const row = await app.services.bills.byBusNo(DEMO_APPID, String(items[0].busNo));
        assert.equal(row!.bill_kind, service === 'invEBillHospitalized' ? 'inpatient' : service === 'invEBillRegistration' ? 'registration' : 'checkup');
      }
    });

    it('at most 200 per batch: 201 is refused naming eBillList, before anything is stored', async () => {
      const batchNo = uniqueBusNo('B201');
      const r = await callJson(app.baseUrl, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: Array.from({ length: 201 }, (_, i) => ({ busNo: `${batchNo}-${i}` })) });
      assert.equal(r.result, 'E1001', r.text);
      assert.match(r.text, /eBillList/);
      assert.match(r.text, /200/);
      assert.equal(await app.services.batches.byNumber(DEMO_APPID, batchNo), undefined);
      const q = await callJson(app.baseUrl, 'getBatchInvoiceEBill', { batchNo });
      assert.equal(q.result, 'E2302', q.text);
    });

    it('a repeat of an accepted batch issues nothing twice; other content under its batchNo is E2301', async () => {
      const batchNo = uniqueBusNo('BR');
      const items = [sample(uniqueBusNo('BR')), sample(uniqueBusNo('BR'))];
      const first = await callJson(app.baseUrl, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: items });
      assert.equal(first.result, 'S0000', first.text);
      const again: Reply = await callJson(app.baseUrl, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: items });
      assert.equal(again.result, 'S0000', again.text);
      const list = await batchResult(app.baseUrl, batchNo);
      assert.equal(list.length, 2);
      const other = await callJson(app.baseUrl, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: [sample(uniqueBusNo('BR'))] });
      assert.equal(other.result, 'E2301', other.text);
      assert.match(other.text, /batchNo/);
      const rows = await app.services.db('batch_items as i').join('batches as b', 'b.id', 'i.batch_id').where('b.batch_no', batchNo).count({ n: '*' });
      assert.equal(Number((rows[0] as { n: number }).n), 2);
    });

    it('a batch of one appid is not visible to another appid', async () => {
      const batchNo = uniqueBusNo('BV');
      const r = await callJson(app.baseUrl, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: [sample(uniqueBusNo('BV'))] });
      assert.equal(r.result, 'S0000', r.text);
      assert.ok(await app.services.batches.byNumber(DEMO_APPID, batchNo));
      assert.equal(await app.services.batches.byNumber('OTHER-APP', batchNo), undefined);
    });
  });
}
