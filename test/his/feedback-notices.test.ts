/**
 * The query, feedback and notice services over the JSON channel, on SQLite and MariaDB, with the check
 * codes a real issue returned: getEBillPicUrl, getEBillAccountStatus, getBillDetail, the paper-linked
 * lists, receiveArreasFeedBack, receiveListDetail, and sendBillNotice delivered through the outbox to the
 * recording channel (it stands in for the SMS and e-mail gateways outside the hospital).
 */
import assert from 'node:assert/strict';
import { createBillNoticeHandler, BILL_NOTICE_TOPIC } from '../../src/engine/jobs/bill-notice';
import type { JobHandler } from '../../src/engine/outbox';
import { RecordingNoticeChannel } from '../../adapters/notice/recording';
import { callJson, dbKinds, startTestApp } from '../helpers/app';
import { Json, sample, TestApp, uniqueBusNo } from './his-helpers';

async function issue(app: TestApp, s: Json = sample(uniqueBusNo('Q'))): Promise<Json> {
  const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
  assert.equal(r.result, 'S0000', r.text);
  return { ...r.body!, cardNo: s.cardNo, busDateTime: s.busDateTime };
}

const byNumber = (app: TestApp, b: Json) => app.services.db('bills').where({ bill_batch_code: b.billBatchCode, bill_no: b.billNo });

for (const db of dbKinds()) {
  describe(`queries, feedback and notices (${db})`, function () {
    this.timeout(60_000);
    let app: TestApp;
    before(async () => {
      // The notice handler needs the app's services: bound once the app exists.
      let handler: JobHandler | undefined;
      app = await startTestApp({ db, outboxHandlers: new Map<string, JobHandler>([[BILL_NOTICE_TOPIC, (p, j) => handler!(p, j)]]) });
      handler = createBillNoticeHandler(app.services, new RecordingNoticeChannel(app.services.notices));
    });
    after(async () => app?.stop());

    it('getEBillPicUrl answers the bill page under publicBaseUrl with its check code; a wrong check code is E2002', async () => {
      const b = await issue(app);
      const r = await callJson(app.baseUrl, 'getEBillPicUrl', { billBatchCode: b.billBatchCode, billNo: b.billNo, random: b.random, channelMode: '02' });
      assert.equal(r.result, 'S0000', r.text);
      assert.equal(r.body!.pictureUrl, `http://127.0.0.1:17001/h5/ebill/${String(b.billBatchCode)}/${String(b.billNo)}?random=${String(b.random)}`);
      assert.equal(r.body!.pictureUrl, b.pictureUrl, 'the same page the issue answer named');
      const bad = await callJson(app.baseUrl, 'getEBillPicUrl', { billBatchCode: b.billBatchCode, billNo: b.billNo, random: '000000', channelMode: '1' });
      assert.equal(bad.result, 'E2002');
      assert.match(bad.text, /random/);
    });

    it('getEBillAccountStatus follows account_state; getBillDetail returns the issued content', async () => {
      const b = await issue(app);
      const ask = () => callJson(app.baseUrl, 'getEBillAccountStatus', { billBatchCode: b.billBatchCode, billNo: b.billNo, random: b.random, createTime: b.createTime });
      assert.equal((await ask()).body!.state, '0');
      await byNumber(app, b).update({ account_state: '1' });
      assert.equal((await ask()).body!.state, '1');

      const d = await callJson(app.baseUrl, 'getBillDetail', { billBatchCode: b.billBatchCode, billNo: b.billNo, random: b.random });
      assert.equal(d.result, 'S0000', d.text);
      assert.equal(d.body!.busNo, b.busNo);
      assert.equal(d.body!.totalAmt, '236.50');
      assert.equal((d.body!.chargeDetail as Json[]).length, 3);
      assert.equal((d.body!.listDetail as Json[]).length, 5);
      assert.deepEqual(d.body!.payChannelDetail, [
        { payChannelCode: '11', payChannelValue: '170.00' },
        { payChannelCode: '05', payChannelValue: '66.50' },
      ]);
    });

    it('a bill turned to paper leaves the unprinted list and enters the printed list with its paper bill; getEBillStatesByBillInfo names it', async () => {
      const card = `C${uniqueBusNo('')}`.slice(0, 40);
      const b = await issue(app, { ...sample(uniqueBusNo('P')), cardNo: card });
      const list = (service: string) =>
        callJson(app.baseUrl, service, { busBgnDate: '20261125000000000', busEndDate: '20261125235959999', cardType: '1102', cardNo: card, pageNo: 1, pageSize: 20 });
      assert.equal((await list('getEBillUnPrintList')).body!.total, 1);
      assert.equal((await list('getEBillPrintList')).body!.total, 0);
      // what turnPaper (the paper part) writes on the e-bill: the current paper link (migration 009)
      await byNumber(app, b).update({ paper_batch_code: '44060126', paper_no: '0000007001', paper_time: '20261125100000000' });
      assert.equal((await list('getEBillUnPrintList')).body!.total, 0);
      const printed = await list('getEBillPrintList');
      assert.deepEqual((printed.body!.billList as Json[]).map((x) => [x.billNo, x.relatedBillBatchCode, x.relatedBillNo]), [[b.billNo, '44060126', '0000007001']]);
      const st = await callJson(app.baseUrl, 'getEBillStatesByBillInfo', { billBatchCode: b.billBatchCode, billNo: b.billNo });
      assert.equal(st.body!.isPrtPaper, '1');
      assert.equal(st.body!.pBillNo, '0000007001');
      // and it can no longer be written off directly
      const wo = await callJson(app.baseUrl, 'writeOffEBill', { billBatchCode: b.billBatchCode, billNo: b.billNo, reason: '退费', operator: '张三', busDateTime: '20261126101000000', placeCode: 'MZSF01' });
      assert.equal(wo.result, 'E2401');
    });

    it('receiveArreasFeedBack turns a bill issued in arrears (isArrears 0) circulable once, with the date; a second feedback is refused naming that date', async () => {
      const b = await issue(app);
      await byNumber(app, b).update({ is_arrears: '0' }); // as an inpatient bill issued in arrears carries it
      const fb = (date: string) => callJson(app.baseUrl, 'receiveArreasFeedBack', { billBatchCode: b.billBatchCode, billNo: b.billNo, feedBackDate: date });
      const ok = await fb('2026-11-26');
      assert.equal(ok.result, 'S0000', ok.text);
      assert.equal(ok.text, '成功');
      const row = await byNumber(app, b).first();
      assert.equal(row.is_arrears, '1');
      assert.equal(row.arrears_feedback_date, '2026-11-26');
      const again = await fb('2026-11-27');
      assert.equal(again.result, 'E2403');
      assert.match(again.text, /已于 2026-11-26 反馈为可流通/);
    });

    it('receiveListDetail stores each chunk beside the bill; a repeated batchNo is E2404 and stores nothing', async () => {
      const b = await issue(app);
      const push = (batchNo: number, n: number) =>
        callJson(app.baseUrl, 'receiveListDetail', { batchNo, billBatchCode: b.billBatchCode, billNo: b.billNo, listDetail: Array.from({ length: n }, (_, i) => ({ name: `药品${i}`, std: '1.500000', number: 2, amt: 3 })) });
      assert.equal((await push(1, 200)).result, 'S0000');
      assert.equal((await push(2, 3)).result, 'S0000');
      const dup = await push(2, 1);
      assert.equal(dup.result, 'E2404');
      assert.match(dup.text, /batchNo 2/);
      const id = (await byNumber(app, b).first()).id as number;
      const stored = await app.services.feedback.listDetails(id);
      assert.deepEqual(stored.map((s) => [Number(s.batch_no), Number(s.row_count)]), [[1, 200], [2, 3]]);
      assert.equal((await push(3, 201)).result, 'E1001', 'at most 200 rows per chunk');
    });

    it('sendBillNotice: durable jobs delivered to the recording channel (stand-in for SMS/e-mail gateways) with the rendered text; the address is kept masked only', async () => {
      const b = await issue(app);
      const r = await callJson(app.baseUrl, 'sendBillNotice', {
        billBatchCode: b.billBatchCode,
        billNo: b.billNo,
        random: b.random,
        noticeList: [
          { noticeType: '1201', noticeValue: '13800138000' },
          { noticeType: '1202', noticeValue: 'zhang.san@example.com' },
        ],
      });
      assert.equal(r.result, 'S0000', r.text);
      const id = (await byNumber(app, b).first()).id as number;
      const jobs = await app.services.db('outbox').where({ topic: BILL_NOTICE_TOPIC }).where('job_key', 'like', `${String(b.billBatchCode)}-${String(b.billNo)}-%`);
      assert.equal(jobs.length, 2);
      for (const j of jobs) assert.doesNotMatch(String(j.job_key), /13800138000|zhang/, 'the key (logged) holds no address');
      let sent: Awaited<ReturnType<typeof app.services.notices.deliveries>> = [];
      for (let i = 0; i < 200 && sent.length < 2; i++) {
        sent = await app.services.notices.deliveries(id);
        if (sent.length < 2) await new Promise((res) => setTimeout(res, 25));
      }
      // The two jobs are delivered side by side (outbox.concurrency): their order is not a contract.
      sent.sort((x, y) => x.notice_type.localeCompare(y.notice_type));
      assert.deepEqual(sent.map((d) => [d.notice_type, d.channel, d.address_masked]), [
        ['1201', 'recording', '138****8000'],
        ['1202', 'recording', 'z***@example.com'],
      ]);
      assert.match(sent[0].rendered, new RegExp(`票据代码 ${String(b.billBatchCode)}，票据号码 ${String(b.billNo)}，校验码 ${String(b.random)}，金额 236\\.50 元`));
      assert.match(sent[1].rendered, /^主题：/);
      for (const d of sent) assert.doesNotMatch(d.rendered + d.address_masked, /13800138000|zhang\.san/);
    });
  });
}
