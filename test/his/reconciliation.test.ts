/**
 * Reconciliation (对账) and accounting sheets (汇总单) over real HTTP on every database of this
 * environment: a known set of bills — issued, batch-issued, turned to paper, red-flushed (onto paper
 * too), one number voided — and every figure of checkTotalData, checkDataByPlace, checkWriteOffData and
 * getBillByBusDate checked against expectations computed BY HAND below (in comments, fen by fen).
 *
 * Every bill is made by the real services over the JSON channel: invoiceEBillOutpatient,
 * batchInvoiceEBillOutpatient (polled through getBatchInvoiceEBill), getPaperBillNo + turnPaper,
 * writeOffEBill and writeOffEBillToPaper. The one exception is the voided number n5: an issue that never
 * completed (its signing failed) is made through the bill store's reserve/voidReservation, as the
 * issue flow does on such a failure.
 */
import assert from 'node:assert/strict';
import { stamp17 } from '../../src/domain/time';
import type { BillRow } from '../../src/store/bills';
import { callJson, dbKinds, Reply, startTestApp, TestApp } from '../helpers/app';
import { batchResult, Json, sample } from './his-helpers';

/** An outpatient settlement of `amt` (one fee line, one list line, one pay channel, so the sums hold). */
function settlement(busNo: string, amt: string, busType: string, placeCode: string, busDateTime: string): Json {
  const s = sample(busNo);
  Object.assign(s, { totalAmt: amt, busType, placeCode, busDateTime, accountPay: 0, fundPay: 0, otherfundPay: 0, ownPay: 0, selfConceitedAmt: 0, selfPayAmt: 0, selfCashPay: amt, reimbursementAmt: 0 });
  s.chargeDetail = [{ sortNo: 1, chargeCode: '02', chargeName: '诊察费', unit: '次', std: amt, number: 1, amt, selfAmt: 0 }];
  s.listDetail = [{ listDetailNo: '1', chargeCode: '02', chargeName: '诊察费', code: '110200001', name: '诊查费', unit: '次', std: amt, number: 1, amt, selfAmt: 0 }];
  s.payChannelDetail = [{ payChannelCode: '02', payChannelValue: amt }];
  return s;
}

const call = async (app: TestApp, service: string, data: Json): Promise<Reply> => callJson(app.baseUrl, service, data);
async function ok(app: TestApp, service: string, data: Json): Promise<Json> {
  const r = await call(app, service, data);
  assert.equal(r.result, 'S0000', `${service}: ${r.result} ${r.text}`);
  return r.body ?? { text: r.text };
}

async function billOf(app: TestApp, billNo: string, code = '44060126'): Promise<BillRow> {
  const row = await app.services.bills.byNumber(code, billNo);
  assert.ok(row, `bill ${code}-${billNo}`);
  return row;
}

/** writeOffEBill (or, for a bill turned to paper, writeOffEBillToPaper onto `paperNo`): the red bill's number. */
async function writeOff(app: TestApp, blue: BillRow, placeCode: string, busDateTime: string, paperNo?: string): Promise<string> {
  const req: Json = { billBatchCode: blue.bill_batch_code, billNo: blue.bill_no, reason: '退费', operator: '张三', busDateTime, placeCode };
  const red = paperNo ? await ok(app, 'writeOffEBillToPaper', { ...req, pBillBatchCode: '44060126', pBillNo: paperNo }) : await ok(app, 'writeOffEBill', req);
  assert.equal(red.eScarletBillBatchCode, placeCode === 'MZSF02' ? '44060127' : '44060126');
  return String(red.eScarletBillNo);
}

/** getPaperBillNo then turnPaper onto that number: the paper number. */
async function turnPaper(app: TestApp, blue: BillRow, busDateTime: string): Promise<string> {
  const next = await ok(app, 'getPaperBillNo', { placeCode: 'MZSF01', pBillBatchCode: '44060126' });
  await ok(app, 'turnPaper', { billBatchCode: blue.bill_batch_code, billNo: blue.bill_no, pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo, busDateTime, placeCode: 'MZSF01', operator: '张三' });
  return String(next.pBillNo);
}

/** A number taken and voided (an issue that never completed): not a bill, and it breaks a run. */
async function voidedNumber(app: TestApp, busDateTime: string): Promise<string> {
  const r = await app.services.bills.reserve({ appid: 'MEDBILL-DEMO', busNo: 'VOID-1', busDateTime, busType: '02', placeCode: 'MZSF01', billKind: 'outpatient', payer: '某', totalAmt: '9.99', requestHash: 'x', messageId: 'm-void', canonical: '{}' });
  assert.equal(r.kind, 'reserved');
  if (r.kind !== 'reserved') throw new Error('not reserved');
  await app.services.bills.voidReservation(r.row.id, '签名失败');
  return r.row.bill_no;
}

const run = (bgnNo: string, endNo: string, copyNum: number, totalAmt: string, busType = '02', placeCode = 'MZSF01', billBatchCode = '44060126') =>
  ({ busType, placeCode, billName: '广东省医疗门诊收费票据（电子）', billBatchCode, bgnNo, endNo, copyNum, totalAmt });
const no = (n: number) => String(n).padStart(10, '0');

for (const db of dbKinds()) {
  describe(`reconciliation and accounting figures, computed by hand, of bills made by the real issue, batch, paper and red services (${db}; the voided number n5 through the bill store)`, function () {
    this.timeout(120_000);
    let app: TestApp;
    let today: string;

    before(async () => {
      // outbox batch 1: the batch's items are issued one job at a time, in order, so A6 takes n6 and A7 n7
      app = await startTestApp({ db, config: { outbox: { pollMs: 50, batch: 1 } } });
      await app.services.stock.seedDemo([{ placeCode: 'MZSF02', medium: 'ebill', billKind: 'outpatient', billBatchCode: '44060127', startNo: '0000000001', endNo: '0000009999' }]);
      today = stamp17().slice(0, 8);
      // MZSF01, code 44060126, numbers from 1 in this order:
      const issued: [string, string, string, string][] = [
        ['A1', '100.00', '02', '20261125080000000'], // n1
        ['A2', '0.01', '02', '20261125080100000'], //   n2
        ['A3', '55.55', '03', '20261125080200000'], //  n3 (busType 03: its own group)
        ['A4', '20.00', '02', '20261125080300000'], //  n4
      ];
      for (const [busNo, amt, busType, at] of issued) await ok(app, 'invoiceEBillOutpatient', settlement(busNo, amt, busType, 'MZSF01', at));
      assert.equal(await voidedNumber(app, '20261125080400000'), no(5)); // n5 voided
      // A6 and A7 in one batch: n6, n7
      await ok(app, 'batchInvoiceEBillOutpatient', { batchNo: 'BATCH-1', eBillList: [settlement('A6', '33.33', '02', 'MZSF01', '20261125080500000'), settlement('A7', '44.44', '02', 'MZSF01', '20261125080600000')] });
      const items = await batchResult(app.baseUrl, 'BATCH-1');
      assert.deepEqual(items.map((i) => `${String(i.busNo)} ${String(i.status)} ${String(i.billNo)}`), [`A6 1 ${no(6)}`, `A7 1 ${no(7)}`]);
      assert.equal((await billOf(app, no(7))).batch_no, 'BATCH-1');
      await ok(app, 'invoiceEBillOutpatient', settlement('A8', '12.34', '02', 'MZSF01', '20261126080000000')); // n8, next day
      await ok(app, 'invoiceEBillOutpatient', settlement('B1', '7.77', '02', 'MZSF02', '20261125090000000')); // m1 at MZSF02, code 44060127
      assert.equal((await billOf(app, no(8))).bus_no, 'A8');
      assert.equal((await billOf(app, no(1), '44060127')).bus_no, 'B1');
      // paper (44060126 at MZSF01, numbers from 1): A6 turned to paper p1 at 12:00, A2 to p2 at 09:30
      assert.equal(await turnPaper(app, await billOf(app, no(6)), '20261125120000000'), no(1));
      assert.equal(await turnPaper(app, await billOf(app, no(2)), '20261125093000000'), no(2));
      // red bills: A2 (on paper, so writeOffEBillToPaper, its red bill printed on paper p3) at MZSF01 on
      // 11-25 10:00 (n9), A1 at MZSF02 on 11-25 (m2), A4 at MZSF01 on 11-26 (n10)
      assert.equal(await writeOff(app, await billOf(app, no(2)), 'MZSF01', '20261125100000000', no(3)), no(9));
      assert.equal(await writeOff(app, await billOf(app, no(1)), 'MZSF02', '20261125110000000'), no(2));
      assert.equal(await writeOff(app, await billOf(app, no(4)), 'MZSF01', '20261126090000000'), no(10));
    });
    after(async () => app?.stop());

    it('checkTotalData 2026-11-25: 7 blue bills (red-flushed ones too), 261.10, five runs; the voided n5 and the other busType break runs', async () => {
      // blue of 11-25: 100.00 + 0.01 + 55.55 + 20.00 + 33.33 + 44.44 + 7.77 = 261.10
      // runs: (02 MZSF01) 1–2 = 100.01, 4 = 20.00, 6–7 = 77.77; (02 MZSF02) 1 = 7.77; (03 MZSF01) 3 = 55.55
      const r = await ok(app, 'checkTotalData', { busDate: '2026-11-25' });
      assert.deepEqual(r, {
        busDate: '2026-11-25', copyNum: 5, totalNum: 7, totalAmt: '261.10', allTotalNum: 7, allTotalAmt: '261.10', pageNo: 1,
        billNoList: [run(no(1), no(2), 2, '100.01'), run(no(4), no(4), 1, '20.00'), run(no(6), no(7), 2, '77.77'), run(no(1), no(1), 1, '7.77', '02', 'MZSF02', '44060127'), run(no(3), no(3), 1, '55.55', '03')],
      });
    });

    it('checkTotalData pages over the runs: page 2 of size 2 is 6–7 and MZSF02’s 1 (3 bills, 85.54); page 3 is the busType 03 run', async () => {
      const p2 = await ok(app, 'checkTotalData', { busDate: '2026-11-25', pageNo: '2', pageSize: '2' });
      assert.deepEqual([p2.copyNum, p2.totalNum, p2.totalAmt, p2.allTotalNum, p2.allTotalAmt], [5, 3, '85.54', 7, '261.10']); // 77.77 + 7.77
      assert.deepEqual(p2.billNoList, [run(no(6), no(7), 2, '77.77'), run(no(1), no(1), 1, '7.77', '02', 'MZSF02', '44060127')]);
      const p3 = await ok(app, 'checkTotalData', { busDate: '2026-11-25', pageNo: 3, pageSize: 2 });
      assert.deepEqual([p3.totalNum, p3.totalAmt], [1, '55.55']);
      assert.deepEqual(p3.billNoList, [run(no(3), no(3), 1, '55.55', '03')]);
      const p4 = await ok(app, 'checkTotalData', { busDate: '2026-11-25', pageNo: 4, pageSize: 2 });
      assert.deepEqual([p4.totalNum, p4.totalAmt, p4.billNoList], [0, '0.00', []]);
    });

    it('checkTotalData filters by busType: 03 is one bill of 55.55; the next day is A8 alone', async () => {
      const r = await ok(app, 'checkTotalData', { busDate: '2026-11-25', busType: '03' });
      assert.deepEqual([r.allTotalNum, r.allTotalAmt, r.billNoList], [1, '55.55', [run(no(3), no(3), 1, '55.55', '03')]]);
      const next = await ok(app, 'checkTotalData', { busDate: '2026-11-26' });
      assert.deepEqual([next.allTotalNum, next.allTotalAmt, next.billNoList], [1, '12.34', [run(no(8), no(8), 1, '12.34')]]);
    });

    it('checkDataByPlace: MZSF01 has 6 bills, 253.33 (261.10 − 7.77); MZSF02 has B1 alone', async () => {
      const a = await ok(app, 'checkDataByPlace', { busDate: '2026-11-25', placeCode: 'MZSF01' });
      assert.deepEqual([a.copyNum, a.allTotalNum, a.allTotalAmt], [4, 6, '253.33']);
      assert.deepEqual(a.billNoList, [run(no(1), no(2), 2, '100.01'), run(no(4), no(4), 1, '20.00'), run(no(6), no(7), 2, '77.77'), run(no(3), no(3), 1, '55.55', '03')]);
      const b = await ok(app, 'checkDataByPlace', { busDate: '2026-11-25', placeCode: 'MZSF02' });
      assert.deepEqual([b.copyNum, b.allTotalNum, b.allTotalAmt, b.billNoList], [1, 1, '7.77', [run(no(1), no(1), 1, '7.77', '02', 'MZSF02', '44060127')]]);
    });

    it('checkWriteOffData: each red bill on the day and at the place of its write-off, negative', async () => {
      const a = await ok(app, 'checkWriteOffData', { busDate: '2026-11-25', placeCode: 'MZSF01' });
      assert.deepEqual(a, { busDate: '2026-11-25', copyNum: 1, totalNum: 1, totalAmt: '-0.01', allTotalNum: 1, allTotalAmt: '-0.01', pageNo: 1, billNoList: [run(no(9), no(9), 1, '-0.01')] });
      const b = await ok(app, 'checkWriteOffData', { busDate: '2026-11-25', placeCode: 'MZSF02' });
      assert.deepEqual([b.allTotalNum, b.allTotalAmt, b.billNoList], [1, '-100.00', [run(no(2), no(2), 1, '-100.00', '02', 'MZSF02', '44060127')]]);
      const c = await ok(app, 'checkWriteOffData', { busDate: '2026-11-26', placeCode: 'MZSF01' });
      assert.deepEqual([c.allTotalNum, c.allTotalAmt, c.billNoList], [1, '-20.00', [run(no(10), no(10), 1, '-20.00')]]);
      // net of 11-25 over both places: 261.10 − 0.01 − 100.00 = 161.09
    });

    it('getBillByBusDate 2026-11-25: 13 uses of numbers in time order — 8 e-bill numbers (n5 voided, state 2), 2 red, 2 paper, 1 paper red', async () => {
      const r = await ok(app, 'getBillByBusDate', { busBgnDate: '20261125000000000', busEndDate: '20261125235959999' });
      // writeOffEBillToPaper needs the blue bill on paper first (A2 → p2 at 09:30: a second paper row), and
      // its paper red bill p3 carries the write-off's own time (10:00), right after its red e-bill n9
      assert.equal(r.total, 13);
      const rows = (r.billList as Json[]).map((b) => [b.dataType, b.billBatchCode, b.billNo, b.totalAmt, b.state, b.busNo, b.placeCode, b.relateBillBatchCode, b.relateBillNo, b.busDate].join(' '));
      assert.deepEqual(rows, [
        `1 44060126 ${no(1)} 100.00 1 A1 MZSF01   20261125080000000`,
        `1 44060126 ${no(2)} 0.01 1 A2 MZSF01   20261125080100000`,
        `1 44060126 ${no(3)} 55.55 1 A3 MZSF01   20261125080200000`,
        `1 44060126 ${no(4)} 20.00 1 A4 MZSF01   20261125080300000`,
        `1 44060126 ${no(5)} 9.99 2  MZSF01   20261125080400000`,
        `1 44060126 ${no(6)} 33.33 1 A6 MZSF01   20261125080500000`,
        `1 44060126 ${no(7)} 44.44 1 A7 MZSF01   20261125080600000`,
        `1 44060127 ${no(1)} 7.77 1 B1 MZSF02   20261125090000000`,
        `3 44060126 ${no(2)} 0.01 1 A2 MZSF01 44060126 ${no(2)} 20261125093000000`,
        `2 44060126 ${no(9)} -0.01 1 A2 MZSF01 44060126 ${no(2)} 20261125100000000`,
        `4 44060126 ${no(3)} -0.01 1 A2 MZSF01 44060126 ${no(9)} 20261125100000000`,
        `2 44060127 ${no(2)} -100.00 1 A1 MZSF02 44060126 ${no(1)} 20261125110000000`,
        `3 44060126 ${no(1)} 33.33 1 A6 MZSF01 44060126 ${no(6)} 20261125120000000`,
      ]);
      const issued = (r.billList as Json[])[0];
      assert.match(String(issued.random), /^[0-9a-f]{6}$/);
      assert.match(String(issued.ivcDateTime), /^\d{17}$/);
      assert.equal(issued.billName, '广东省医疗门诊收费票据（电子）');
    });

    it('getBillByBusDate filters by dataType and place and pages (at most 200 a page)', async () => {
      const range = { busBgnDate: '20261125000000000', busEndDate: '20261125235959999' };
      const red = await ok(app, 'getBillByBusDate', { ...range, dataType: '2' });
      assert.deepEqual([red.total, (red.billList as Json[]).map((b) => b.billNo)], [2, [no(9), no(2)]]);
      const paper = await ok(app, 'getBillByBusDate', { ...range, dataType: '3' });
      assert.deepEqual([paper.total, (paper.billList as Json[]).map((b) => b.relateBillNo)], [2, [no(2), no(6)]]);
      const paperRed = await ok(app, 'getBillByBusDate', { ...range, dataType: '4' });
      assert.deepEqual([paperRed.total, (paperRed.billList as Json[]).map((b) => `${b.billNo}→${b.relateBillNo} ${b.totalAmt}`)], [1, [`${no(3)}→${no(9)} -0.01`]]);
      const m2 = await ok(app, 'getBillByBusDate', { ...range, placeCode: 'MZSF02' });
      assert.deepEqual([m2.total, (m2.billList as Json[]).map((b) => `${b.dataType}${b.billNo}`)], [2, [`1${no(1)}`, `2${no(2)}`]]);
      const p3 = await ok(app, 'getBillByBusDate', { ...range, pageNo: '3', pageSize: '4' });
      // 13 rows: page 3 of 4 is rows 9–12 (A2's paper, its red e-bill and paper red bill, A1's red bill)
      assert.deepEqual([p3.total, p3.pageNo, (p3.billList as Json[]).map((b) => `${b.dataType}${b.billNo}`)], [13, 3, [`3${no(2)}`, `2${no(9)}`, `4${no(3)}`, `2${no(2)}`]]);
      const big = await call(app, 'getBillByBusDate', { ...range, pageSize: '201' });
      assert.equal(big.result, 'E1001');
      assert.match(big.text, /pageSize/);
    });

    it('checkTotalDataByIvcDate today: all 8 blue bills were made today (A8 too), 273.44', async function () {
      const ivcDate = `${today.slice(0, 4)}-${today.slice(4, 6)}-${today.slice(6, 8)}`;
      const r = await ok(app, 'checkTotalDataByIvcDate', { ivcDate });
      if (stamp17().slice(0, 8) !== today) this.skip(); // Beijing midnight passed during the run
      // 261.10 + 12.34 = 273.44; runs (02 MZSF01) 1–2, 4, 6–8 (A8 joins 6–7: 90.11), (02 MZSF02) 1, (03) 3
      assert.deepEqual([r.ivcDate, r.allTotalNum, r.allTotalAmt], [ivcDate, 8, '273.44']);
      assert.deepEqual(r.billNoList, [run(no(1), no(2), 2, '100.01'), run(no(4), no(4), 1, '20.00'), run(no(6), no(8), 3, '90.11'), run(no(1), no(1), 1, '7.77', '02', 'MZSF02', '44060127'), run(no(3), no(3), 1, '55.55', '03')]);
      const red = await ok(app, 'checkWriteOffDataByIvcDate', { ivcDate, placeCode: 'MZSF01' });
      assert.deepEqual([red.allTotalNum, red.allTotalAmt, red.billNoList], [2, '-20.01', [run(no(9), no(10), 2, '-20.01')]]);
    });

    it('receiveCheckTotalData then queryCheckTotalData: equal figures say 1; a HIS that missed A7 sees the 6–7 range differ', async () => {
      const mine = [run(no(1), no(2), 2, '100.01'), run(no(4), no(4), 1, '20.00'), run(no(6), no(7), 2, '77.77'), run(no(1), no(1), 1, '7.77', '02', 'MZSF02', '44060127'), run(no(3), no(3), 1, '55.55', '03')];
      await ok(app, 'receiveCheckTotalData', { busDate: '2026-11-25', allTotalNum: 7, allTotalAmt: '261.10', billNoList: mine });
      const same = await ok(app, 'queryCheckTotalData', { busDate: '2026-11-25' });
      assert.deepEqual([same.checkResult, same.hisTotalNum, same.platTotalNum, same.diffNum, same.diffAmt, same.diffList], ['1', 7, 7, 0, '0.00', []]);
      const missed = mine.map((x) => (x.bgnNo === no(6) && x.billBatchCode === '44060126' ? run(no(6), no(6), 1, '33.33') : x));
      await ok(app, 'receiveCheckTotalData', { busDate: '2026-11-25', allTotalNum: 6, allTotalAmt: '216.66', billNoList: missed });
      const diff = await ok(app, 'queryCheckTotalData', { busDate: '2026-11-25' });
      assert.deepEqual([diff.checkResult, diff.hisTotalNum, diff.hisTotalAmt, diff.platTotalNum, diff.diffNum, diff.diffAmt, diff.total], ['0', 6, '216.66', 7, 1, '44.44', 2]);
      assert.deepEqual((diff.diffList as Json[]).map((d) => `${d.diffType} ${d.bgnNo}-${d.endNo} ${d.hisCopyNum}/${d.platCopyNum}`), [`1 ${no(6)}-${no(6)} 1/0`, `2 ${no(6)}-${no(7)} 0/2`]);
    });

    it('receiveBillByBusDate then queryBillByBusDate: the HIS list against blue and red bills, bill by bill', async () => {
      const range = { busBgnDate: '20261125000000000', busEndDate: '20261125235959999', placeCode: 'MZSF02' };
      await ok(app, 'receiveBillByBusDate', { ...range, billList: [{ busNo: 'B1', billBatchCode: '44060127', billNo: no(1), totalAmt: '7.77' }, { busNo: 'A1', billBatchCode: '44060127', billNo: no(2), totalAmt: '-100.00' }] });
      const same = await ok(app, 'queryBillByBusDate', range);
      assert.deepEqual([same.checkResult, same.hisTotalNum, same.platTotalNum, same.platTotalAmt, same.diffList], ['1', 2, 2, '-92.23', []]);
      await ok(app, 'receiveBillByBusDate', { ...range, billList: [{ busNo: 'B1', billBatchCode: '44060127', billNo: no(1), totalAmt: '7.70' }] });
      const diff = await ok(app, 'queryBillByBusDate', range);
      assert.deepEqual((diff.diffList as Json[]).map((d) => `${d.diffType} ${d.billNo} ${d.hisTotalAmt} ${d.platTotalAmt}`), [`3 ${no(1)} 7.70 7.77`, `2 ${no(2)} 0.00 -100.00`]);
    });

    it('accounting: generate (9 bills of MZSF01 made today, 265.67 − 20.01), book, refuse a second sheet, cancel, generate again', async () => {
      const day = `${today.slice(0, 4)}-${today.slice(4, 6)}-${today.slice(6, 8)}`;
      const period = { placeCode: 'MZSF01', bgnDate: day, endDate: day, operator: '张三' };
      const sheet = await ok(app, 'generateAccount', period);
      // blue at MZSF01: 100.00 + 0.01 + 55.55 + 20.00 + 33.33 + 44.44 + 12.34 = 265.67; red: −0.01 − 20.00 = −20.01
      assert.deepEqual([sheet.state, sheet.copyNum, sheet.normalNum, sheet.normalAmt, sheet.scarletNum, sheet.scarletAmt, sheet.totalAmt], ['0', 9, 7, '265.67', 2, '-20.01', '245.66']);
      assert.equal(sheet.accountNo, `HZ${today}0001`);
      const again = await call(app, 'generateAccount', period);
      assert.equal(again.result, 'E2503', 'every bill of the period is on the live sheet');

      const page = await ok(app, 'downEBillAccount', { accountNo: sheet.accountNo, pageSize: '5' });
      assert.deepEqual([page.total, (page.billList as Json[]).map((b) => b.billNo)], [9, [no(1), no(2), no(3), no(4), no(6)]]);
      const redRow = (await ok(app, 'downEBillAccount', { accountNo: sheet.accountNo, pageNo: '2', pageSize: '5' })).billList as Json[];
      // the sheet holds n1–n4 and n6–n10 (n5 is voided, no bill): page 2 of 5 is n7, n8 and the two red bills
      assert.deepEqual(redRow.map((b) => `${b.billNo}:${b.dataType}:${b.totalAmt}:${b.relateBillNo}`), [`${no(7)}:1:44.44:`, `${no(8)}:1:12.34:`, `${no(9)}:2:-0.01:${no(2)}`, `${no(10)}:2:-20.00:${no(4)}`]);

      const booked = await ok(app, 'registerEBillAcc', { accountNo: sheet.accountNo, operator: '李四' });
      assert.equal(booked.state, '1');
      const bookedBills = await app.services.db('bills').where({ account_state: '1' }).count({ n: '*' });
      assert.equal(Number(bookedBills[0].n), 9);
      assert.equal((await ok(app, 'registerEBillAcc', { accountNo: sheet.accountNo, operator: '李四' })).state, '1', 'booking twice changes nothing');

      const cancelled = await ok(app, 'cancelEBillAcc', { accountNo: sheet.accountNo, operator: '李四', reason: '金额有误' });
      assert.deepEqual([cancelled.state, cancelled.cancelReason], ['2', '金额有误']);
      const stillBooked = await app.services.db('bills').where({ account_state: '1' }).count({ n: '*' });
      assert.equal(Number(stillBooked[0].n), 0);
      const rebook = await call(app, 'registerEBillAcc', { accountNo: sheet.accountNo, operator: '李四' });
      assert.equal(rebook.result, 'E2502');

      const second = await ok(app, 'generateAccount', period);
      assert.deepEqual([second.accountNo, second.copyNum, second.totalAmt], [`HZ${today}0002`, 9, '245.66']);
      const all = await ok(app, 'generateAccount', { bgnDate: day, endDate: day, operator: '张三' });
      // what is left of the whole unit: MZSF02's B1 (7.77) and its red bill of A1 (−100.00)
      assert.deepEqual([all.placeCode, all.normalNum, all.normalAmt, all.scarletNum, all.scarletAmt, all.totalAmt], ['', 1, '7.77', 1, '-100.00', '-92.23']);
      const list = await ok(app, 'getEBillAcList', { bgnDate: day, endDate: day });
      assert.deepEqual((list.accountList as Json[]).map((s) => `${s.accountNo}:${s.state}`), [`HZ${today}0001:2`, `HZ${today}0002:0`, `HZ${today}0003:0`]);
      const open = await ok(app, 'getEBillAcList', { bgnDate: day, endDate: day, state: '0', placeCode: 'MZSF01' });
      assert.equal(open.total, 1);
    });
  });
}
