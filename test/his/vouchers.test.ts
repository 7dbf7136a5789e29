/**
 * Prepayment vouchers (spec §10) over the JSON channel, on SQLite and MariaDB: a deposit voucher issued
 * from the prepay stock, its whole write-off (a red voucher), and cancelPayMentVoucherBalance red-flushing
 * the inpatient bill a stay was settled with; invalidPayMentVoucherPaper voiding a voucher's paper.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { splitFiscalXml } from '../../src/domain/fiscal-xml';
import { callJson, dbKinds, startTestApp } from '../helpers/app';
import { Json, sample, TestApp, uniqueBusNo } from './his-helpers';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const voucher = (busNo: string): Json => ({ ...(JSON.parse(readFileSync(path.join(ROOT, 'examples', 'prepay', 'voucher-v3.2.json'), 'utf8')) as Json), busNo });

for (const db of dbKinds()) {
  describe(`prepayment vouchers (${db})`, function () {
    this.timeout(60_000);
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(async () => app?.stop());

    it('a voucher is issued, then written off whole: the red voucher has negative amounts and names the voucher', async () => {
      const v = await callJson(app.baseUrl, 'invoicePayMentVoucher', voucher(uniqueBusNo('YJ')));
      assert.equal(v.result, 'S0000', v.text);
      assert.equal(v.body!.voucherBatchCode, '44060526');
      const red = await callJson(app.baseUrl, 'writeOffPayMentVoucher', {
        busType: '07', reason: '退预交金', operator: '张三', busDateTime: '20261126101000000', placeCode: 'MZSF01', voucherBatchCode: v.body!.voucherBatchCode, voucherNo: v.body!.voucherNo, amt: 5000,
      });
      assert.equal(red.result, 'S0000', red.text);
      assert.notEqual(red.body!.voucherNo, v.body!.voucherNo);
      const row = await app.services.bills.byNumber(String(red.body!.voucherBatchCode), String(red.body!.voucherNo));
      assert.equal(row?.kind, 'red');
      assert.equal(row?.bill_kind, 'prepay');
      assert.match(splitFiscalXml(row!.fiscal_xml!)!.content, new RegExp(`<TotalAmount>-5000\\.00</TotalAmount>.*<RelatedInvoiceNumber>${String(v.body!.voucherNo)}</RelatedInvoiceNumber>`));
    });

    it('cancelPayMentVoucherBalance red-flushes the inpatient bill from the inpatient stock; an outpatient bill is refused', async () => {
      const s = sample(uniqueBusNo('ZY'));
      const b = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
      assert.equal(b.result, 'S0000', b.text);
      const req = { billBatchCode: b.body!.billBatchCode, billNo: b.body!.billNo, reason: '取消结算', operator: '张三', busDateTime: '20261126101000000', placeCode: 'MZSF01', hospitalNo: 'ZY000123' };
      assert.equal((await callJson(app.baseUrl, 'cancelPayMentVoucherBalance', req)).result, 'E2401');
      // an inpatient bill settled from deposits (invEBillHospitalized is the issuance part's): the same row with kind inpatient
      await app.services.db('bills').where({ bill_batch_code: b.body!.billBatchCode, bill_no: b.body!.billNo }).update({ bill_kind: 'inpatient' });
      const r = await callJson(app.baseUrl, 'cancelPayMentVoucherBalance', req);
      assert.equal(r.result, 'S0000', r.text);
      assert.equal(r.body!.eScarletBillBatchCode, '44060226', 'the red number comes from the inpatient stock');
      const blue = await app.services.bills.byNumber(String(b.body!.billBatchCode), String(b.body!.billNo));
      assert.equal(blue?.scarlet, '1');
    });

    it("invalidPayMentVoucherPaper voids a voucher's paper and red-flushes it; an outpatient bill's paper is refused and left linked", async () => {
      const turned = async (billBatchCode: unknown, billNo: unknown, pBillBatchCode: string) => {
        const next = await callJson(app.baseUrl, 'getPaperBillNo', { placeCode: 'MZSF01', pBillBatchCode });
        assert.equal(next.result, 'S0000', next.text);
        const paper = { pBillBatchCode: String(next.body!.pBillBatchCode), pBillNo: String(next.body!.pBillNo) };
        const t = await callJson(app.baseUrl, 'turnPaper', { billBatchCode, billNo, ...paper, busDateTime: '20261126100000000', placeCode: 'MZSF01', operator: '张三' });
        assert.equal(t.result, 'S0000', t.text);
        return paper;
      };
      const voidReq = (p: { pBillBatchCode: string; pBillNo: string }) => ({ ...p, placeCode: 'MZSF01', author: '李四', reason: '退预交金', busDateTime: '20261126120000000' });

      const b = await callJson(app.baseUrl, 'invoiceEBillOutpatient', sample(uniqueBusNo('VP')));
      const outPaper = await turned(b.body!.billBatchCode, b.body!.billNo, '44060126');
      const refused = await callJson(app.baseUrl, 'invalidPayMentVoucherPaper', voidReq(outPaper));
      assert.equal(refused.result, 'E2401');
      assert.match(refused.text, /纸质票据号码 pBillNo .*换开自医疗门诊收费票据.*请用 invalidPaper 作废/);
      assert.equal((await app.services.paper.paperByNumber(outPaper.pBillBatchCode, outPaper.pBillNo))?.state, 'linked', 'the refused paper is not voided');
      const stillLinked = await app.services.bills.byNumber(String(b.body!.billBatchCode), String(b.body!.billNo));
      assert.equal(stillLinked?.paper_no, outPaper.pBillNo, 'the e-bill keeps its paper link');

      const v = await callJson(app.baseUrl, 'invoicePayMentVoucher', voucher(uniqueBusNo('VP')));
      const vPaper = await turned(v.body!.voucherBatchCode, v.body!.voucherNo, '44060526');
      const red = await callJson(app.baseUrl, 'invalidPayMentVoucherPaper', voidReq(vPaper));
      assert.equal(red.result, 'S0000', red.text);
      assert.equal(red.body!.voucherBatchCode, '44060526');
      assert.match(String(red.body!.voucherRandom), /^[0-9a-f]{6}$/);
      assert.equal((await app.services.paper.paperByNumber(vPaper.pBillBatchCode, vPaper.pBillNo))?.state, 'voided');
      const row = await app.services.bills.byNumber(String(red.body!.voucherBatchCode), String(red.body!.voucherNo));
      assert.equal(row?.kind, 'red');
      assert.equal(row?.bill_kind, 'prepay');
      const again = await callJson(app.baseUrl, 'invalidPayMentVoucherPaper', voidReq(vPaper));
      assert.equal(again.body?.voucherNo, red.body!.voucherNo, 'a repeat answers the same red voucher');
    });
  });
}
