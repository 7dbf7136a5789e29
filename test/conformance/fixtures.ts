/**
 * The conformance fixtures (bill, paperBill, batch, redBill, inpatientBill, voucher, …) made through the public services, and one
 * call over either channel decoded to {result, message}. Shared by run.test.ts and the zeep suite.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { callJson, decodeReply, Reply, TestApp } from '../helpers/app';
import { envelopeCall, kid, post, sample } from '../his-soap/soap-helpers';
import { uniqueBusNo } from '../his/his-helpers';
import { Answer, FixtureName, stamp17, Values } from './conformance';

/** Services each fixture calls to come about (beyond invoiceEBillOutpatient, which every one uses). */
export const FIXTURE_NEEDS: Record<FixtureName, string[]> = {
  bill: ['invoiceEBillOutpatient'],
  paperBill: ['invoiceEBillOutpatient', 'getPaperBillNo', 'turnPaper'],
  batch: ['batchInvoiceEBillOutpatient'],
  redBill: ['invoiceEBillOutpatient', 'writeOffEBill'],
  heldRange: [],
  storeRange: ['billStockReturn'],
  hisPush: ['receiveCheckTotalData', 'receiveCheckWriteOffData', 'receiveBillByBusDate'],
  accountSheet: ['invoiceEBillOutpatient', 'generateAccount'],
  inpatientBill: ['invEBillHospitalized'],
  arrearsBill: ['invEBillHospitalized'],
  voucher: ['invoicePayMentVoucher'],
  voucherPaper: ['invoicePayMentVoucher', 'getPaperBillNo', 'turnPaper'],
};

/** MZSF01's paper for prepayment vouchers (config/default.yaml demoStock). */
const PREPAY_PAPER = '44060526';

/** An examples/ request (the README tour posts the same files) with a fresh busNo and the time now. */
function example(file: string, tag: string, over: Values = {}): Values {
  const s = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'examples', file), 'utf8')) as Values;
  return { ...s, busNo: uniqueBusNo(tag), busDateTime: stamp17(), ...over };
}

/** A bill issued just now by an examples/ request: its numbers and the request's busNo, time and place. */
async function issued(app: TestApp, serviceId: string, req: Values, what: string): Promise<Values> {
  const r = await ok(app, serviceId, req, what);
  return { billBatchCode: r.billBatchCode, billNo: r.billNo, random: r.random, createTime: r.createTime, busNo: req.busNo, busDateTime: req.busDateTime, placeCode: req.placeCode };
}

/**
 * Ten unused numbers the demo place MZSF01 holds, fresh per call: chunks high in the demo inpatient
 * range (44060226, 0000000001-0009999999), which issuance in these suites never reaches.
 */
let chunk = 0;
function heldRange(): Values {
  const start = 9_000_000 + 10 * chunk++;
  const no = (n: number) => String(n).padStart(10, '0');
  return { placeCode: 'MZSF01', billCode: '0602', billBatchCode: '44060226', copyNum: 10, billBgnNo: no(start), billEndNo: no(start + 9) };
}

export type Channel = 'JSON' | 'SOAP';

function answerOf(r: Reply): Answer {
  return { result: r.result, message: r.body ?? r.text };
}

export async function call(app: TestApp, channel: Channel, serviceId: string, data: Values): Promise<Answer> {
  if (channel === 'JSON') return answerOf(await callJson(app.baseUrl, serviceId, data));
  const a = await post(app.baseUrl, envelopeCall(serviceId, data));
  assert.equal(a.body.local, `${serviceId}Response`, `SOAP answer is not ${serviceId}Response: ${a.text.slice(0, 400)}`);
  assert.equal(a.status, 200);
  return answerOf(decodeReply(a.status, { data: kid(a.body, 'data').text, noise: kid(a.body, 'noise').text, sign: kid(a.body, 'sign').text }));
}

async function ok(app: TestApp, serviceId: string, data: Values, what: string): Promise<Values> {
  const a = await call(app, 'JSON', serviceId, data);
  assert.equal(a.result, 'S0000', `fixture ${what}: ${serviceId} answered ${a.result} ${JSON.stringify(a.message).slice(0, 300)}`);
  return typeof a.message === 'object' && a.message ? (a.message as Values) : { text: a.message };
}

/** An outpatient bill issued just now, by the sample settlement with a fresh busNo. */
export async function billFixture(app: TestApp): Promise<Values> {
  const s = sample(uniqueBusNo('CF')) as Values;
  const r = await ok(app, 'invoiceEBillOutpatient', s, 'bill');
  return { billBatchCode: r.billBatchCode, billNo: r.billNo, random: r.random, createTime: r.createTime, busNo: s.busNo, busDateTime: s.busDateTime, placeCode: s.placeCode };
}

const FIXTURE_MAKERS: Record<FixtureName, (app: TestApp) => Promise<Values>> = {
  bill: billFixture,
  heldRange: async () => heldRange(),
  /** ten numbers back in the unit's store (returned from MZSF01 just now), ready to distribute */
  async storeRange(app) {
    const r = heldRange();
    const { placeCode, ...range } = r;
    await ok(app, 'billStockReturn', { placeCode, returner: '一致性测试', reason: '一致性测试退回', billNoList: [range] }, 'storeRange');
    return r;
  },
  async paperBill(app) {
    const bill = await billFixture(app);
    const next = await ok(app, 'getPaperBillNo', { placeCode: bill.placeCode }, 'paperBill');
    const paper = { pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo };
    await ok(app, 'turnPaper', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, ...paper, busDateTime: stamp17(), placeCode: bill.placeCode, operator: '一致性测试' }, 'paperBill');
    // the place's paper number after the fixture's: what a new conversion (reTurnPaper, a paper red bill) or a blank void must send
    const after = await ok(app, 'getPaperBillNo', { placeCode: bill.placeCode, pBillBatchCode: paper.pBillBatchCode }, 'paperBill');
    return { ...bill, ...paper, nextPBillNo: after.pBillNo };
  },
  async batch(app) {
    const busNos = [uniqueBusNo('CFB'), uniqueBusNo('CFB')];
    const batchNo = uniqueBusNo('CFBATCH');
    await ok(app, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: busNos.map((b) => sample(b)) }, 'batch');
    return { batchNo, busNos };
  },
  // The HIS's own figures of today pushed (totals, MZSF01's write-offs, the bill list of today): what query* compares.
  async hisPush(app) {
    const busDate = stamp17().replace(/^(\d{4})(\d{2})(\d{2}).*/, '$1-$2-$3');
    const day = busDate.replace(/-/g, '');
    await ok(app, 'receiveCheckTotalData', { busDate, allTotalNum: 0, allTotalAmt: '0' }, 'hisPush');
    await ok(app, 'receiveCheckWriteOffData', { busDate, placeCode: 'MZSF01', allTotalNum: 0, allTotalAmt: '0' }, 'hisPush');
    await ok(app, 'receiveBillByBusDate', { busBgnDate: `${day}000000000`, busEndDate: `${day}235959999`, billList: [] }, 'hisPush');
    return { busDate, busBgnDate: `${day}000000000`, busEndDate: `${day}235959999` };
  },
  // An accounting sheet of today at MZSF01 holding (at least) a bill issued just now.
  async accountSheet(app) {
    const bill = await billFixture(app);
    const busDate = stamp17().replace(/^(\d{4})(\d{2})(\d{2}).*/, '$1-$2-$3');
    const sheet = await ok(app, 'generateAccount', { placeCode: bill.placeCode, bgnDate: busDate, endDate: busDate, operator: '一致性测试' }, 'accountSheet');
    return { accountNo: sheet.accountNo };
  },
  /** an inpatient bill issued just now: examples/invEBillHospitalized.json */
  inpatientBill: async (app) => issued(app, 'invEBillHospitalized', example('invEBillHospitalized.json', 'CFZY'), 'inpatientBill'),
  /** the same issued in arrears (isArrears "0"): what receiveArreasFeedBack settles */
  arrearsBill: async (app) => issued(app, 'invEBillHospitalized', example('invEBillHospitalized.json', 'CFQF', { isArrears: '0' }), 'arrearsBill'),
  /** a prepayment voucher issued just now: examples/prepay/voucher-v3.2.json */
  async voucher(app) {
    const req = example('prepay/voucher-v3.2.json', 'CFYJ');
    const r = await ok(app, 'invoicePayMentVoucher', req, 'voucher');
    return { voucherBatchCode: r.voucherBatchCode, voucherNo: r.voucherNo, voucherRandom: r.voucherRandom, busNo: req.busNo, busDateTime: req.busDateTime, placeCode: req.placeCode };
  },
  /** a voucher turned to paper just now, on MZSF01's prepay paper (44060526): the voucher's fields + pBillBatchCode pBillNo */
  async voucherPaper(app) {
    const v = await FIXTURE_MAKERS.voucher(app);
    const next = await ok(app, 'getPaperBillNo', { placeCode: v.placeCode, pBillBatchCode: PREPAY_PAPER }, 'voucherPaper');
    const paper = { pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo };
    await ok(app, 'turnPaper', { billBatchCode: v.voucherBatchCode, billNo: v.voucherNo, ...paper, busDateTime: stamp17(), placeCode: v.placeCode, operator: '一致性测试' }, 'voucherPaper');
    return { ...v, ...paper };
  },
  async redBill(app) {
    const bill = await billFixture(app);
    const red = await ok(app, 'writeOffEBill', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, reason: '一致性测试冲红', operator: '一致性测试', busDateTime: stamp17(), placeCode: bill.placeCode }, 'redBill');
    return { ...bill, ...red };
  },
};

export async function fixtures(app: TestApp, needs: FixtureName[]): Promise<Partial<Record<FixtureName, Values>>> {
  const out: Partial<Record<FixtureName, Values>> = {};
  for (const n of needs) out[n] = await FIXTURE_MAKERS[n](app);
  return out;
}

