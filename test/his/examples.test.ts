/**
 * The example settlements under examples/ are what a newcomer posts first (the README tour uses them):
 * each must issue a bill on the embedded defaults, with the amounts it states in the signed XML.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { callJson, startTestApp, TestApp } from '../helpers/app';
import { EXAMPLES_DIR, SAMPLE_FILE } from '../helpers/fixtures';

const settlements = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort();
/** examples/<serviceId>.json is a request of that service; the others (outpatient-*.json) are outpatient settlements. */
const serviceOf = (file: string): string => (/^(inv|invoice)EBill\w+\.json$/.test(file) ? file.replace(/\.json$/, '') : 'invoiceEBillOutpatient');

describe('example settlements (examples/)', function () {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  it('hold the README tour sample and at least two more', () => {
    assert.ok(settlements.includes(path.basename(SAMPLE_FILE)), settlements.join(', '));
    assert.ok(settlements.length >= 3, settlements.join(', '));
  });

  for (const file of settlements) {
    it(`${file} (${serviceOf(file)}) issues a bill whose signed XML carries its total and busNo`, async () => {
      const doc = JSON.parse(readFileSync(path.join(EXAMPLES_DIR, file), 'utf8')) as Record<string, unknown>;
      const service = serviceOf(file);
      const r = await callJson(app.baseUrl, service, doc);
      assert.equal(r.result, 'S0000', r.text);
      const { billBatchCode, billNo, random } = r.body as Record<string, string>;
      const xml = await (await fetch(`${app.baseUrl}/medical-web/ebill/${billBatchCode}/${billNo}.xml?random=${random}`)).text();
      assert.match(xml, new RegExp(`<TotalAmount>${Number(doc.totalAmt).toFixed(2)}</TotalAmount>`));
      assert.match(xml, new RegExp(`<BizCode>${String(doc.busNo)}</BizCode>`));
      const again = await callJson(app.baseUrl, service, doc);
      assert.equal(again.body?.billNo, billNo, 'the same busNo again → the same bill');
    });
  }
});
