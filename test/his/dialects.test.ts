/**
 * Older interface versions (v2.0.3, v3.1.0) over the JSON channel: the caller's configured dialect
 * (callers[].dialect) picks the mapping that brings its request to v3.2.0 (the flows' dialect step);
 * a v3.2.0 caller sending the same 6-decimal amounts is refused, as v3.2.0 says.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { callJson, DEMO_APPID, DEMO_KEY, startTestApp, TestApp } from '../helpers/app';
import { EXAMPLES_DIR } from '../helpers/fixtures';
import { Json, sample, uniqueBusNo } from './his-helpers';

const V31 = { appid: 'HIS-V310', key: 'v310-key-0123456789abcdef' };
const V203 = { appid: 'HIS-V203', key: 'v203-key-0123456789abcdef' };

/** The outpatient sample as a v3.1.0 HIS sends it: old department names, 6-decimal list amounts. */
function v31Outpatient(busNo: string): Json {
  const s = sample(busNo);
  s.category = s.patientCategory; // name
  s.patientCategory = s.patientCategoryCode; // code
  delete s.patientCategoryCode;
  s.consultationDate = '2026-11-25';
  const lines = s.listDetail as Json[];
  // 38.5 × 3 = 115.5 as a 6-decimal HIS writes it: 38.500000 × 3 = 115.500000, and one line 0.999949
  lines[3].std = '38.500000';
  lines[3].amt = '115.500000';
  lines[4].std = '0.999949';
  lines[4].amt = '0.999949';
  return s;
}

describe('older interface versions (callers[].dialect)', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({
      config: { callers: [{ appid: DEMO_APPID, key: DEMO_KEY, demo: true }, { ...V31, dialect: 'v3.1.0' }, { ...V203, dialect: 'v2.0.3' }] },
    });
  });
  after(async () => app?.stop());

  it('a v3.1.0 caller: category/patientCategory and 6-decimal list amounts issue a bill with the v3.2.0 department and 4-decimal lines', async () => {
    const s = v31Outpatient(uniqueBusNo('V31'));
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s, V31);
    assert.equal(r.result, 'S0000', r.text);
    const row = await app.services.bills.byBusNo(V31.appid, String(s.busNo));
    assert.match(row!.fiscal_xml!, /<DepartmentName>心血管内科门诊<\/DepartmentName>/);
    assert.match(row!.fiscal_xml!, /<AuxItemStd>0\.9999<\/AuxItemStd>/, '0.999949 → 0.9999 (4 decimals)');
    assert.match(row!.fiscal_xml!, /<MedicalDate>2026-11-25<\/MedicalDate>/);
    const settlement = JSON.parse(row!.canonical!) as Json;
    assert.equal(settlement.patientCategoryCode, '0301');
  });

  it('the same request from a v3.2.0 caller is refused: v3.2.0 list amounts have at most 4 decimals (E1001 naming the field)', async () => {
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', v31Outpatient(uniqueBusNo('V32')));
    assert.equal(r.result, 'E1001', r.text);
    assert.match(r.text, /listDetail\[4\]\.std/);
  });

  it('a v2.0.3 caller: sex as a code and yyyy-MM-dd dates issue an inpatient bill', async () => {
    const s = JSON.parse(readFileSync(path.join(EXAMPLES_DIR, 'invEBillHospitalized.json'), 'utf8')) as Json;
    s.busNo = uniqueBusNo('V203');
    s.sex = '1';
    s.inHospitalDate = '2026-11-18';
    s.outHospitalDate = '2026-11-25';
    (s.listDetail as Json[])[4].std = '24.133300';
    const r = await callJson(app.baseUrl, 'invEBillHospitalized', s, V203);
    assert.equal(r.result, 'S0000', r.text);
    const row = await app.services.bills.byBusNo(V203.appid, String(s.busNo));
    assert.match(row!.fiscal_xml!, /<Gender>男<\/Gender>/);
    assert.match(row!.fiscal_xml!, /<InHospitalDate>2026-11-18<\/InHospitalDate>/);
    const refused = await callJson(app.baseUrl, 'invEBillHospitalized', { ...s, busNo: uniqueBusNo('V32') });
    assert.equal(refused.result, 'E1001', 'sex "1" is not a v3.2.0 value');
    assert.match(refused.text, /sex（性别）/);
  });

  it('a batch of a v3.1.0 caller issues its items in its dialect too', async () => {
    const batchNo = uniqueBusNo('V31B');
    const item = v31Outpatient(uniqueBusNo('V31I'));
    const r = await callJson(app.baseUrl, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: [item] }, V31);
    assert.equal(r.result, 'S0000', r.text);
    const until = Date.now() + 30_000;
    for (;;) {
      const q = await callJson(app.baseUrl, 'getBatchInvoiceEBill', { batchNo }, V31);
      const [it] = q.body!.eBillList as Json[];
      if (it.status !== 0) {
        assert.equal(it.status, 1, String(it.errMsg));
        break;
      }
      assert.ok(Date.now() < until);
      await new Promise((res) => setTimeout(res, 100));
    }
  });
});
