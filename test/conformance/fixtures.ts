/**
 * The conformance fixtures (bill, paperBill, batch, redBill) made through the public services, and one
 * call over either channel decoded to {result, message}. Shared by run.test.ts and the zeep suite.
 */
import { strict as assert } from 'node:assert';
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
  placeNumber: [],
  unitNumber: ['billStockReturn'],
};

/**
 * Unused inpatient e-bill numbers of the demo place, from the top of its range down (issuance takes
 * from the bottom): each fixture gets its own, so cases and channels never share a number.
 */
let topNumber = 9_999_999;
const freshNumber = (): Values => {
  const billNo = String(topNumber--).padStart(10, '0');
  return { placeCode: 'MZSF01', billCode: '0602', billBatchCode: '44060226', billNo };
};

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
  // A number distributed to MZSF01 and still unused there.
  placeNumber: async () => freshNumber(),
  // A number returned from MZSF01 to the unit's store just now (what billStockOut can distribute).
  async unitNumber(app) {
    const n = freshNumber();
    const range = { billCode: n.billCode, billBatchCode: n.billBatchCode, copyNum: 1, billBgnNo: n.billNo, billEndNo: n.billNo };
    await ok(app, 'billStockReturn', { placeCode: n.placeCode, returner: '一致性测试', reason: '一致性测试退回', billNoList: [range] }, 'unitNumber');
    return n;
  },
  async paperBill(app) {
    const bill = await billFixture(app);
    const next = await ok(app, 'getPaperBillNo', { placeCode: bill.placeCode }, 'paperBill');
    const paper = { pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo };
    await ok(app, 'turnPaper', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, ...paper, busDateTime: stamp17(), placeCode: bill.placeCode, operator: '一致性测试' }, 'paperBill');
    return { ...bill, ...paper };
  },
  async batch(app) {
    const busNos = [uniqueBusNo('CFB'), uniqueBusNo('CFB')];
    const batchNo = uniqueBusNo('CFBATCH');
    await ok(app, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: busNos.map((b) => sample(b)) }, 'batch');
    return { batchNo, busNos };
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

