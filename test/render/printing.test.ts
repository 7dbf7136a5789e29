/**
 * Printing and the bill's documents, end to end over the JSON channel on SQLite: turnPaperPrint makes a
 * print job whose PDF pdftotext (poppler-utils) reads back in Chinese; the served .pdf and the phone page
 * follow the download's check-code rules; the 告知单 is a PNG drawn with the same font; a reprint (补打)
 * needs an application approved by a supervisor who is not the applicant.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { callJson, SAMPLE_FILE, startTestApp, TestApp } from '../helpers/app';
import { cliEnv, runCli } from '../helpers/cli';

function pdfText(app: TestApp, pdf: Buffer, name: string): string {
  const file = path.join(app.dir, name);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}

describe('printing: print jobs, PDF with the embedded CJK font, the 告知单 and the bill page (sqlite)', function () {
  this.timeout(60000);
  let app: TestApp;
  let bill: { billBatchCode: string; billNo: string; random: string };
  const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
  const turn = (p: string, extra: Record<string, unknown> = {}) => ({
    billBatchCode: bill.billBatchCode,
    billNo: bill.billNo,
    pBillBatchCode: '44060126',
    pBillNo: p,
    busDateTime: '20261125100000000',
    placeCode: 'MZSF01',
    operator: '张三',
    ...extra,
  });

  before(async () => {
    app = await startTestApp();
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'PRINT-1', payer: '张喆' });
    assert.equal(r.result, 'S0000', r.text);
    bill = r.body as typeof bill;
  });
  after(async () => app?.stop());

  it('turnPaperPrint links the paper and stores a print job whose PDF reads back in Chinese (pdftotext)', async () => {
    const r = await callJson(app.baseUrl, 'turnPaperPrint', turn('0000000001'));
    assert.equal(r.result, 'S0000', r.text);
    const row = await app.services.bills.byNumber(bill.billBatchCode, bill.billNo);
    assert.equal(row!.paper_no, '0000000001');
    const jobs = await app.services.paper.printJobs(row!.id);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].service_id, 'turnPaperPrint');
    const pdf = (await app.services.paper.printJobPdf(jobs[0].id))!;
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    assert.ok(pdf.length < 200_000, `a subset font keeps the PDF small (${pdf.length} bytes)`);
    const text = pdfText(app, pdf, 'job.pdf');
    for (const want of ['广东省医疗门诊收费票据（电子）', '财政部监制', '票据代码', bill.billBatchCode, bill.billNo, bill.random, '交款人', '张喆', '诊察费', '化验费', '西药费', '贰佰叁拾陆元伍角', '236.50', '收款单位（章）', '王复核', '李收费', '换开纸质票据', '44060126-0000000001'])
      assert.ok(text.includes(want), `pdftotext finds ${want}`);
    const fonts = execFileSync('pdffonts', [path.join(app.dir, 'job.pdf')], { encoding: 'utf8' });
    assert.match(fonts, /\+NotoSansHans-Regular\s+CID Type 0C\s+Identity-H\s+yes\s+yes/, 'the CJK font is a subset (XXXXXX+), embedded');
  });

  it('printPaperBill prints the paper once; a second print (补打) needs an application approved by another supervisor', async () => {
    const print = () => callJson(app.baseUrl, 'printPaperBill', { pBillBatchCode: '44060126', pBillNo: '0000000001' });
    const again = await print();
    assert.equal(again.result, 'E2215', again.text);
    assert.match(again.text, /纸质票据 pBillNo 44060126-0000000001 的补打申请不存在，补打须由另一名主管审批通过/);
    const applied = await app.services.paper.applyReprint('44060126', '0000000001', 'demo-supervisor', '患者遗失');
    assert.ok(applied.ok);
    const id = applied.ok ? applied.value.id : 0;
    assert.equal((await print()).result, 'E2215', 'pending is not approved');
    const self = await app.services.paper.decideReprint(id, 'demo-supervisor', true);
    assert.ok(!self.ok && self.refusal.code === 'E2234' && self.refusal.message === 'selfApproval', 'the applicant cannot approve');
    const ok = await app.services.paper.decideReprint(id, 'demo-supervisor2', true);
    assert.ok(ok.ok);
    const reprint = await print();
    assert.equal(reprint.result, 'S0000', reprint.text);
    const row = await app.services.bills.byNumber(bill.billBatchCode, bill.billNo);
    const jobs = await app.services.paper.printJobs(row!.id);
    assert.equal(jobs.at(-1)!.reprint_application_id, id);
    assert.ok(pdfText(app, (await app.services.paper.printJobPdf(jobs.at(-1)!.id))!, 'reprint.pdf').includes('补打'));
    assert.equal((await print()).result, 'E2215', 'one approval, one reprint');
  });

  it('medbill paper reprint: a cashier applies, the applicant cannot approve, a cashier cannot approve, another supervisor can', async () => {
    const env = cliEnv(app, undefined);
    const cli = (...args: string[]) => runCli(['paper', 'reprint', ...args], env);
    const stranger = await cli('apply', '44060126-0000000001', '--by', 'nobody', '--reason', '遗失');
    assert.equal(stranger.code, 1);
    assert.match(stranger.stderr, /E2234 账号 nobody 不在 paper.staff 中/);
    const applied = await cli('apply', '44060126-0000000001', '--by', 'demo-cashier', '--reason', '患者遗失');
    assert.equal(applied.code, 0, applied.stderr);
    const id = String(JSON.parse(applied.stdout).id);
    const self = await cli('approve', id, '--by', 'demo-cashier');
    assert.equal(self.code, 1);
    assert.match(self.stderr, /账号 demo-cashier 不是主管/);
    const ok = await cli('approve', id, '--by', 'demo-supervisor');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).state, 'approved');
    const list = await cli('list', '--state', 'approved');
    assert.match(list.stdout, /"applicant":"demo-cashier".*"approver":"demo-supervisor"/);
    const r = await callJson(app.baseUrl, 'printPaperBill', { pBillBatchCode: '44060126', pBillNo: '0000000001' });
    assert.equal(r.result, 'S0000', r.text);
    const blank = await cli('apply', '44060126-0000009999', '--by', 'demo-cashier', '--reason', '遗失');
    assert.match(blank.stderr, /E2210 纸质票据 pBillNo 44060126-0000009999 尚未换开电子票据/);
  });

  it('printPaper is the older name of printPaperBill (a catalogue alias)', async () => {
    const r = await callJson(app.baseUrl, 'printPaper', { pBillBatchCode: '44060126', pBillNo: '0000009999' });
    assert.equal(r.result, 'E2210', r.text);
  });

  it('printElectBill checks the check code; getElectBilllListTotal counts list pages; printElectBillList refuses pages past the end', async () => {
    assert.equal((await callJson(app.baseUrl, 'printElectBill', { ...bill, random: '000000' })).result, 'E2002');
    assert.equal((await callJson(app.baseUrl, 'printElectBill', bill)).result, 'S0000');
    const total = await callJson(app.baseUrl, 'getElectBilllListTotal', bill);
    assert.deepEqual(total.body, { total: '1' });
    const bad = await callJson(app.baseUrl, 'printElectBillList', { ...bill, total: 1, pageNoBgn: 0, pageNoEnd: 2 });
    assert.equal(bad.result, 'E2235', bad.text);
    const list = await callJson(app.baseUrl, 'printElectBillList', { ...bill, total: 1, pageNoBgn: 0, pageNoEnd: 1 });
    assert.equal(list.result, 'S0000', list.text);
    const row = await app.services.bills.byNumber(bill.billBatchCode, bill.billNo);
    const job = (await app.services.paper.printJobs(row!.id)).at(-1)!;
    const text = pdfText(app, (await app.services.paper.printJobPdf(job.id))!, 'list.pdf');
    assert.ok(text.includes('阿托伐他汀钙片') && text.includes('清单') && text.includes('第 1 页 / 共 1 页'), text);
  });

  it('GET /medical-web/ebill/{code}/{no}.pdf serves the layout with the right check code only', async () => {
    const url = `${app.baseUrl}/medical-web/ebill/${bill.billBatchCode}/${bill.billNo}.pdf`;
    assert.equal((await fetch(`${url}?random=000000`)).status, 404);
    assert.equal((await fetch(url)).status, 404);
    const res = await fetch(`${url}?random=${bill.random}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    const text = pdfText(app, Buffer.from(await res.arrayBuffer()), 'served.pdf');
    assert.ok(text.includes('广东省医疗门诊收费票据（电子）') && text.includes(bill.billNo));
  });

  it('the bill page behind getEBillPicUrl shows the fields, the QR code and links to the signed XML and the PDF', async () => {
    const url = `${app.baseUrl}/h5/ebill/${bill.billBatchCode}/${bill.billNo}`;
    assert.equal((await fetch(`${url}?random=000000`)).status, 404);
    const res = await fetch(`${url}?random=${bill.random}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<meta name="viewport" content="width=device-width/);
    for (const want of [bill.billBatchCode, bill.billNo, bill.random, '张喆', '236.50', 'data:image/png;base64,'])
      assert.ok(html.includes(want), want);
    const xmlLink = /href="([^"]+\.xml\?random=[^"]+)"/.exec(html)![1].replace(/&amp;/g, '&');
    const xml = await fetch(app.baseUrl + xmlLink);
    assert.equal(xml.status, 200);
    assert.match(await xml.text(), /<EInvoiceNumber>/);
    assert.equal((await fetch(app.baseUrl + /href="([^"]+\.pdf\?random=[^"]+)"/.exec(html)![1])).status, 200);
  });

  it('getEBillNotifyPic returns the 告知单 as a PNG (with the QR code) only when isReturnPic is 1', async () => {
    const r = await callJson(app.baseUrl, 'getEBillNotifyPic', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, isReturnPic: '1' });
    assert.equal(r.result, 'S0000', r.text);
    const png = Buffer.from(String(r.body!.pictureData), 'base64');
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.equal(png.readUInt32BE(16), 600);
    assert.equal(r.body!.random, bill.random);
    assert.ok(String(r.body!.billQRCode).length > 100);
    const without = await callJson(app.baseUrl, 'getEBillNotifyPic', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, isReturnPic: '0' });
    assert.equal(without.body!.pictureData, undefined);
  });
});
