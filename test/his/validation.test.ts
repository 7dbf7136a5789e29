/**
 * Request validation of invoiceEBillOutpatient (config/catalogue/invoiceEBillOutpatient.yaml +
 * common.schema.yaml) and the amount rules (src/domain/bill-rules.ts), over real HTTP.
 * Every rule kind is broken once: E1001 (schema) or E1002 (amounts), a Chinese message naming the field
 * path and the rule — and no bill, no consumed number. Then the older spellings and number forms that
 * must be accepted.
 */
import assert from 'node:assert/strict';
import { callJson, DEMO_APPID, startTestApp } from '../helpers/app';
import { allBills, CHINESE, Json, nextOutpatientNo, sample, TestApp, uniqueBusNo } from './his-helpers';

type Mutate = (s: Json) => void;
interface Case {
  name: string;
  mutate: Mutate;
  code: 'E1001' | 'E1002';
  /** the field path the message must name */
  field: string;
  /** the rule the message must state */
  rule: RegExp;
}

const charge = (s: Json, i: number) => (s.chargeDetail as Json[])[i];
const list = (s: Json, i: number) => (s.listDetail as Json[])[i];
const pay = (s: Json, i: number) => (s.payChannelDetail as Json[])[i];
const del = (o: Json, k: string) => {
  delete o[k];
};

const REQUIRED = /为必填项，不能缺失/;
const EMPTY = /为必填项，不能为空/;
const TOO_LONG = (n: number) => new RegExp(`长度不能超过 ${n} 个字符`);
const DECIMAL = (int: number, frac: number) => new RegExp(`必须是数字，最多 ${int} 位整数、${frac} 位小数`);
const DATETIME17 = /格式错误，应为 yyyyMMddHHmmssSSS/;
const TYPE = (t: string) => new RegExp(`类型错误，应为${t}`);

const schemaCases: Case[] = [
  // required, absent
  ...['busNo', 'busType', 'payer', 'busDateTime', 'placeCode', 'payee', 'author', 'totalAmt', 'payerType', 'cardType', 'cardNo', 'patientNo', 'sex', 'age', 'accountPay', 'fundPay', 'otherfundPay', 'ownPay', 'selfConceitedAmt', 'selfPayAmt', 'selfCashPay', 'payChannelDetail', 'chargeDetail', 'listDetail'].map(
    (f): Case => ({ name: `missing required ${f}`, mutate: (s) => del(s, f), code: 'E1001', field: f, rule: REQUIRED }),
  ),
  { name: 'missing required chargeDetail[0].amt', mutate: (s) => del(charge(s, 0), 'amt'), code: 'E1001', field: 'chargeDetail[0].amt', rule: REQUIRED },
  { name: 'missing required chargeDetail[2].sortNo', mutate: (s) => del(charge(s, 2), 'sortNo'), code: 'E1001', field: 'chargeDetail[2].sortNo', rule: REQUIRED },
  { name: 'missing required listDetail[3].name', mutate: (s) => del(list(s, 3), 'name'), code: 'E1001', field: 'listDetail[3].name', rule: REQUIRED },
  { name: 'missing required payChannelDetail[1].payChannelCode', mutate: (s) => del(pay(s, 1), 'payChannelCode'), code: 'E1001', field: 'payChannelDetail[1].payChannelCode', rule: REQUIRED },
  { name: 'missing required otherInfo[0].infoValue', mutate: (s) => del((s.otherInfo as Json[])[0], 'infoValue'), code: 'E1001', field: 'otherInfo[0].infoValue', rule: REQUIRED },
  { name: 'null for a required field (payer: null)', mutate: (s) => (s.payer = null), code: 'E1001', field: 'payer', rule: /payer/ },
  // required, empty
  ...['busNo', 'payer', 'placeCode', 'payee', 'cardNo', 'patientNo'].map((f): Case => ({ name: `empty required string ${f}`, mutate: (s) => (s[f] = ''), code: 'E1001', field: f, rule: EMPTY })),
  { name: 'empty required string chargeDetail[1].chargeCode', mutate: (s) => (charge(s, 1).chargeCode = ''), code: 'E1001', field: 'chargeDetail[1].chargeCode', rule: EMPTY },
  { name: 'blank required string payer "   " (only spaces)', mutate: (s) => (s.payer = '   '), code: 'E1001', field: 'payer', rule: EMPTY },
  { name: 'blank required string busNo "\\t \\u3000" (tab, space, ideographic space)', mutate: (s) => (s.busNo = '\t \u3000'), code: 'E1001', field: 'busNo', rule: EMPTY },
  // over-long
  { name: 'busNo 51 chars', mutate: (s) => (s.busNo = 'B'.repeat(51)), code: 'E1001', field: 'busNo', rule: TOO_LONG(50) },
  { name: 'payer 101 chars (Chinese counts per character)', mutate: (s) => (s.payer = '张'.repeat(101)), code: 'E1001', field: 'payer', rule: TOO_LONG(100) },
  { name: 'tel 14 chars', mutate: (s) => (s.tel = '13800138000123'), code: 'E1001', field: 'tel', rule: TOO_LONG(13) },
  { name: 'remark 201 chars', mutate: (s) => (s.remark = 'r'.repeat(201)), code: 'E1001', field: 'remark', rule: TOO_LONG(200) },
  { name: 'chargeDetail[0].chargeName 101 chars', mutate: (s) => (charge(s, 0).chargeName = '费'.repeat(101)), code: 'E1001', field: 'chargeDetail[0].chargeName', rule: TOO_LONG(100) },
  { name: 'listDetail[4].name 51 chars', mutate: (s) => (list(s, 4).name = 'n'.repeat(51)), code: 'E1001', field: 'listDetail[4].name', rule: TOO_LONG(50) },
  { name: 'payChannelDetail[0].payChannelCode 11 chars', mutate: (s) => (pay(s, 0).payChannelCode = 'C'.repeat(11)), code: 'E1001', field: 'payChannelDetail[0].payChannelCode', rule: TOO_LONG(10) },
  { name: 'listDetail[0].medicalCareType 2 chars', mutate: (s) => (list(s, 0).medicalCareType = '12'), code: 'E1001', field: 'listDetail[0].medicalCareType', rule: TOO_LONG(1) },
  // decimals
  { name: 'totalAmt with 3 decimals (236.505)', mutate: (s) => (s.totalAmt = 236.505), code: 'E1001', field: 'totalAmt', rule: DECIMAL(12, 2) },
  { name: 'totalAmt "236.501" as a string', mutate: (s) => (s.totalAmt = '236.501'), code: 'E1001', field: 'totalAmt', rule: DECIMAL(12, 2) },
  { name: 'totalAmt letters ("abc")', mutate: (s) => (s.totalAmt = 'abc'), code: 'E1001', field: 'totalAmt', rule: DECIMAL(12, 2) },
  { name: 'totalAmt "12,50" (decimal comma)', mutate: (s) => (s.totalAmt = '12,50'), code: 'E1001', field: 'totalAmt', rule: DECIMAL(12, 2) },
  { name: 'totalAmt with 13 integer digits', mutate: (s) => (s.totalAmt = '1234567890123.00'), code: 'E1001', field: 'totalAmt', rule: DECIMAL(12, 2) },
  { name: 'totalAmt 1e21 (a JSON number in exponent form)', mutate: (s) => (s.totalAmt = 1e21), code: 'E1001', field: 'totalAmt', rule: DECIMAL(12, 2) },
  { name: 'totalAmt true (a boolean)', mutate: (s) => (s.totalAmt = true), code: 'E1001', field: 'totalAmt', rule: DECIMAL(12, 2) },
  { name: 'fundPay empty string', mutate: (s) => (s.fundPay = ''), code: 'E1001', field: 'fundPay', rule: DECIMAL(12, 2) },
  { name: 'chargeDetail[1].amt "95.001"', mutate: (s) => (charge(s, 1).amt = '95.001'), code: 'E1001', field: 'chargeDetail[1].amt', rule: DECIMAL(12, 2) },
  { name: 'chargeDetail[1].amt letters', mutate: (s) => (charge(s, 1).amt = 'x95'), code: 'E1001', field: 'chargeDetail[1].amt', rule: DECIMAL(12, 2) },
  { name: 'listDetail[0].std with 5 decimals', mutate: (s) => (list(s, 0).std = '25.00001'), code: 'E1001', field: 'listDetail[0].std', rule: DECIMAL(10, 4) },
  { name: 'listDetail[1].medReimburseRate 12.5 (Number 3,2)', mutate: (s) => (list(s, 1).medReimburseRate = 12.5), code: 'E1001', field: 'listDetail[1].medReimburseRate', rule: DECIMAL(1, 2) },
  { name: 'payChannelDetail[1].payChannelValue "66.5元"', mutate: (s) => (pay(s, 1).payChannelValue = '66.5元'), code: 'E1001', field: 'payChannelDetail[1].payChannelValue', rule: DECIMAL(12, 2) },
  // datetime17 / date8
  { name: 'busDateTime 16 chars', mutate: (s) => (s.busDateTime = '2026112509301512'), code: 'E1001', field: 'busDateTime', rule: DATETIME17 },
  { name: 'busDateTime 14 chars (no milliseconds)', mutate: (s) => (s.busDateTime = '20261125093015'), code: 'E1001', field: 'busDateTime', rule: DATETIME17 },
  { name: 'busDateTime month 13 (20261345…)', mutate: (s) => (s.busDateTime = '20261345093015123'), code: 'E1001', field: 'busDateTime', rule: DATETIME17 },
  { name: 'busDateTime February 30', mutate: (s) => (s.busDateTime = '20260230093015123'), code: 'E1001', field: 'busDateTime', rule: DATETIME17 },
  { name: 'busDateTime hour 24', mutate: (s) => (s.busDateTime = '20261125243015123'), code: 'E1001', field: 'busDateTime', rule: DATETIME17 },
  { name: 'busDateTime as yyyy-MM-dd HH:mm:ss', mutate: (s) => (s.busDateTime = '2026-11-25 09:30:15'), code: 'E1001', field: 'busDateTime', rule: DATETIME17 },
  { name: 'consultationDate November 31', mutate: (s) => (s.consultationDate = '20261131'), code: 'E1001', field: 'consultationDate', rule: /格式错误，应为 yyyyMMdd/ },
  // enums
  { name: 'payerType "3"', mutate: (s) => (s.payerType = '3'), code: 'E1001', field: 'payerType', rule: /取值无效，允许的值：1、2/ },
  { name: 'payerType 3 as a number', mutate: (s) => (s.payerType = 3), code: 'E1001', field: 'payerType', rule: /取值无效，允许的值：1、2/ },
  { name: 'sex "M"', mutate: (s) => (s.sex = 'M'), code: 'E1001', field: 'sex', rule: /取值无效，允许的值：男、女/ },
  // types
  { name: 'chargeDetail an object, not an array', mutate: (s) => (s.chargeDetail = charge(s, 0)), code: 'E1001', field: 'chargeDetail', rule: TYPE('列表') },
  { name: 'chargeDetail a string', mutate: (s) => (s.chargeDetail = '[]'), code: 'E1001', field: 'chargeDetail', rule: TYPE('列表') },
  { name: 'listDetail null', mutate: (s) => (s.listDetail = null), code: 'E1001', field: 'listDetail', rule: /listDetail/ },
  { name: 'chargeDetail[1] a number, not an object', mutate: (s) => ((s.chargeDetail as unknown[])[1] = 95), code: 'E1001', field: 'chargeDetail[1]', rule: TYPE('对象') },
  { name: 'chargeDetail[0].sortNo "x"', mutate: (s) => (charge(s, 0).sortNo = 'x'), code: 'E1001', field: 'chargeDetail[0].sortNo', rule: TYPE('整数') },
  { name: 'chargeDetail[0].sortNo 1.5', mutate: (s) => (charge(s, 0).sortNo = 1.5), code: 'E1001', field: 'chargeDetail[0].sortNo', rule: TYPE('整数') },
  { name: 'chargeDetail[0].sortNo 0 (below minimum 1)', mutate: (s) => (charge(s, 0).sortNo = 0), code: 'E1001', field: 'chargeDetail[0].sortNo', rule: /不能小于 1/ },
  { name: 'busNo an object', mutate: (s) => (s.busNo = { id: 1 }), code: 'E1001', field: 'busNo', rule: TYPE('字符串') },
  { name: 'payer an array', mutate: (s) => (s.payer = ['张三']), code: 'E1001', field: 'payer', rule: TYPE('字符串') },
  // characters that cannot be signed as they are (issue 7 §4): the field, the character (U+XXXX) and its position
  { name: 'payer with NUL', mutate: (s) => (s.payer = '张\u0000三'), code: 'E1001', field: 'payer', rule: /第 2 个字符是控制字符 U\+0000/ },
  { name: 'payer with a lone surrogate (JSON "\\ud800")', mutate: (s) => (s.payer = '张三\ud800'), code: 'E1001', field: 'payer', rule: /第 3 个字符 U\+D800 是不成对的 UTF-16 代理项/ },
  { name: 'payer with U+FFFF', mutate: (s) => (s.payer = '张三\uffff'), code: 'E1001', field: 'payer', rule: /第 3 个字符 U\+FFFF 是 Unicode 非字符/ },
  { name: 'payer with a right-to-left override', mutate: (s) => (s.payer = '张三\u202e'), code: 'E1001', field: 'payer', rule: /第 3 个字符是双向文本控制符 U\+202E/ },
  { name: 'payer of zero-width characters only (blank to the eye)', mutate: (s) => (s.payer = '\u200b\u200d'), code: 'E1001', field: 'payer', rule: EMPTY },
  { name: 'busNo with a trailing zero-width space', mutate: (s) => (s.busNo = `${String(s.busNo)}\u200b`), code: 'E1001', field: 'busNo', rule: /是标识符，第 \d+ 个字符是零宽或不可见字符 U\+200B/ },
  { name: 'busNo with a no-break space', mutate: (s) => (s.busNo = `MZ\u00a0${String(s.busNo)}`), code: 'E1001', field: 'busNo', rule: /是标识符，第 3 个字符是空白字符 U\+00A0/ },
  { name: 'chargeDetail[1].chargeName with a C1 control (U+0085)', mutate: (s) => (charge(s, 1).chargeName = '化验\u0085费'), code: 'E1001', field: 'chargeDetail[1].chargeName', rule: /第 3 个字符是控制字符 U\+0085，本字段不允许控制字符/ },
  { name: 'listDetail[2].remark with CR (remarks take tab and LF only)', mutate: (s) => (list(s, 2).remark = '一\r\n二'), code: 'E1001', field: 'listDetail[2].remark', rule: /U\+000D，本字段只允许制表符 U\+0009、换行符 U\+000A/ },
  // empty arrays
  { name: 'chargeDetail []', mutate: (s) => (s.chargeDetail = []), code: 'E1001', field: 'chargeDetail', rule: /至少需要 1 条/ },
  { name: 'payChannelDetail []', mutate: (s) => (s.payChannelDetail = []), code: 'E1001', field: 'payChannelDetail', rule: /至少需要 1 条/ },
  { name: 'listDetail []', mutate: (s) => (s.listDetail = []), code: 'E1001', field: 'listDetail', rule: /至少需要 1 条/ },
];

const amountCases: Case[] = [
  {
    name: 'Σ chargeDetail ≠ totalAmt (shows both sums and the difference)',
    mutate: (s) => {
      s.totalAmt = 236.6;
      pay(s, 1).payChannelValue = 66.6;
    },
    code: 'E1002',
    field: 'chargeDetail',
    rule: /合计 236\.50.*totalAmt 236\.60.*差额 0\.10/,
  },
  {
    name: 'Σ chargeDetail ≠ totalAmt by one fen is not tolerated',
    mutate: (s) => {
      s.totalAmt = '236.49';
      pay(s, 1).payChannelValue = '66.49';
    },
    code: 'E1002',
    field: 'chargeDetail',
    rule: /合计 236\.50.*236\.49.*差额 -0\.01/,
  },
  { name: 'Σ payChannelDetail ≠ totalAmt', mutate: (s) => (pay(s, 1).payChannelValue = 66.4), code: 'E1002', field: 'payChannelDetail', rule: /合计 236\.40.*totalAmt 236\.50.*差额 0\.10/ },
  { name: 'listDetail sum per chargeCode ≠ chargeDetail amt', mutate: (s) => (list(s, 2).amt = 60.01), code: 'E1002', field: 'listDetail', rule: /04.*合计 95\.0100.*95\.00/ },
  { name: 'listDetail.chargeCode not in chargeDetail', mutate: (s) => (list(s, 4).chargeCode = '99'), code: 'E1002', field: 'listDetail[4].chargeCode', rule: /99.*不存在/ },
  {
    name: 'zero-amount charge line',
    mutate: (s) => (s.chargeDetail as Json[]).push({ sortNo: 4, chargeCode: '12', chargeName: '材料费', std: 0, number: 1, amt: 0, selfAmt: 0 }),
    code: 'E1002',
    field: 'chargeDetail[3].amt',
    rule: /不能为 0/,
  },
  {
    name: 'zero-amount charge line written "0.000000"',
    mutate: (s) => (s.chargeDetail as Json[]).push({ sortNo: 4, chargeCode: '12', chargeName: '材料费', std: '0.000000', number: 1, amt: '0.000000', selfAmt: 0 }),
    code: 'E1002',
    field: 'chargeDetail[3].amt',
    rule: /不能为 0/,
  },
  { name: 'duplicate sortNo', mutate: (s) => (charge(s, 2).sortNo = 1), code: 'E1002', field: 'chargeDetail[2].sortNo', rule: /序号）重复：1/ },
  { name: 'duplicate sortNo ("1" and 1)', mutate: (s) => (charge(s, 2).sortNo = '1'), code: 'E1002', field: 'chargeDetail[2].sortNo', rule: /重复/ },
  {
    name: 'duplicate chargeCode',
    mutate: (s) => {
      charge(s, 2).chargeCode = '04';
      for (const l of s.listDetail as Json[]) if (l.chargeCode === '09') l.chargeCode = '04';
    },
    code: 'E1002',
    field: 'chargeDetail[2].chargeCode',
    rule: /收费项目代码）重复：04/,
  },
];

describe('invoiceEBillOutpatient validation (catalogue rules E1001, amount rules E1002)', function () {
  let app: TestApp;
  let nextBefore: number;
  before(async () => {
    app = await startTestApp();
    nextBefore = await nextOutpatientNo(app);
  });
  after(async () => app?.stop());

  it('the unmodified sample is valid (every case below breaks exactly one rule of it)', async () => {
    // checked without issuing: the same catalogue the flow uses
    assert.doesNotThrow(() => app.services.catalogue.validate('invoiceEBillOutpatient', sample('CHECK-ONLY')));
  });

  for (const c of [...schemaCases, ...amountCases]) {
    it(`${c.code} ${c.name}`, async () => {
      const s = sample(uniqueBusNo('V'));
      c.mutate(s);
      const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
      assert.equal(r.http, 200);
      assert.equal(r.result, c.code, r.text);
      assert.ok(r.signOk);
      assert.match(r.text, CHINESE);
      // the field path, exactly, as a HIS programmer would search for it
      const esc = c.field.replace(/[[\].]/g, (ch) => `\\${ch}`);
      assert.match(r.text, new RegExp(`(^|[^\\w\\].])${esc}($|[^\\w\\[.])`), `message must name ${c.field}: ${r.text}`);
      assert.match(r.text, c.rule);
    });
  }

  it('a request data that is not a JSON object (an array) is E1001, not a crash', async () => {
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', [sample('ARR')]);
    assert.equal(r.result, 'E1001', r.text);
    assert.match(r.text, /JSON 对象/);
  });

  it('several errors at once: the first is named, the others are listed', async () => {
    const s = sample(uniqueBusNo('MULTI'));
    s.busNo = 'B'.repeat(51);
    s.sex = 'M';
    delete s.cardNo;
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
    assert.equal(r.result, 'E1001');
    assert.match(r.text, /另有 2 处错误/);
    for (const f of ['busNo', 'sex', 'cardNo']) assert.match(r.text, new RegExp(f));
  });

  it('100,000 chargeDetail items: refused by the list size alone, before any item is looked at', async () => {
    const s = sample(uniqueBusNo('HUGE'));
    s.chargeDetail = Array.from({ length: 100_000 }, () => ({}));
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
    assert.equal(r.result, 'E1001', r.text);
    assert.equal(r.text, '字段 chargeDetail（收费项目明细） 不能超过 200 条，收到 100000 条（超出条数时不逐条校验）');
  });

  it('5,000 empty listDetail items (within maxItems): the first errors are named, the rest counted, validation stops', async () => {
    const s = sample(uniqueBusNo('EMPTY5K'));
    s.listDetail = Array.from({ length: 5000 }, () => ({}));
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
    assert.equal(r.result, 'E1001', r.text);
    assert.match(r.text, /^字段 listDetail\[0\]\.name（药品名称） 为必填项，不能缺失；另有至少 \d+ 处错误（错误较多，已停止校验），其中：/);
    assert.ok((r.text.match(/字段 /g) ?? []).length <= 6, `the first error and at most five more: ${r.text}`);
    assert.doesNotMatch(r.text, /listDetail\[(\d{2,})\]/, 'validation stopped within the first items');
  });

  it('a placeCode without e-bill stock → E2003 naming placeCode (checked before any number is taken)', async () => {
    const s = sample(uniqueBusNo('NOSTOCK'));
    s.placeCode = 'mzsf01'; // the demo place is MZSF01: codes are exact, as on every database
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
    assert.equal(r.result, 'E2003', r.text);
    assert.match(r.text, /mzsf01/);
    assert.match(r.text, CHINESE);
  });

  it('nothing invalid created a bill or consumed a number', async () => {
    assert.deepEqual(await allBills(app), []);
    assert.equal(await nextOutpatientNo(app), nextBefore);
    // ...and every refusal is in the message store with its code
    const rows = await app.services.messages.find({ serviceId: 'invoiceEBillOutpatient', limit: 100_000 });
    assert.ok(rows.length >= schemaCases.length + amountCases.length);
    assert.ok(rows.every((m) => m.status === 'failed' && /^E(100[12]|2003)$/.test(m.error_code ?? '')), 'every invalid request stored as failed with its code');
  });

  describe('accepted forms', () => {
    async function issue(s: Json) {
      const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
      assert.equal(r.result, 'S0000', r.text);
      const row = await app.services.bills.byBusNo(DEMO_APPID, String(s.busNo));
      assert.ok(row && row.state === 'issued');
      return { reply: r, row, canonical: JSON.parse(row.canonical!) as Json, xml: row.fiscal_xml! };
    }

    it('v3.2.0 spelling: patientCategory = department name, patientCategoryCode = its code', async () => {
      const { canonical, xml } = await issue(sample(uniqueBusNo('V32')));
      assert.equal(canonical.patientCategory, '心血管内科门诊');
      assert.equal(canonical.patientCategoryCode, '0301');
      assert.match(xml, /<DepartmentName>心血管内科门诊<\/DepartmentName>/);
    });

    it('v3.1.0 spelling: category = department name, patientCategory = department code', async () => {
      const s = sample(uniqueBusNo('V31'));
      delete s.patientCategoryCode;
      s.category = '心血管内科门诊';
      s.patientCategory = '0301';
      const { canonical, xml } = await issue(s);
      assert.equal(canonical.patientCategory, '心血管内科门诊');
      assert.equal(canonical.patientCategoryCode, '0301');
      assert.match(xml, /<DepartmentName>心血管内科门诊<\/DepartmentName>/);
      assert.doesNotMatch(xml, /<DepartmentName>0301</);
    });

    it('v3.1.0 consultationDate as yyyy-MM-dd is accepted and normalised', async () => {
      const s = sample(uniqueBusNo('DATE'));
      s.consultationDate = '2026-11-25';
      const { canonical } = await issue(s);
      assert.equal(canonical.consultationDate, '2026-11-25');
    });

    it('amounts as strings with 6 decimals of zeros ("236.500000") are exact', async () => {
      const s = sample(uniqueBusNo('SIX'));
      const six = (v: unknown) => Number(v).toFixed(6);
      s.totalAmt = six(s.totalAmt);
      for (const k of ['accountPay', 'fundPay', 'otherfundPay', 'ownPay', 'selfConceitedAmt', 'selfPayAmt', 'selfCashPay']) s[k] = six(s[k]);
      for (const c of s.chargeDetail as Json[]) for (const k of ['std', 'number', 'amt', 'selfAmt']) c[k] = six(c[k]);
      for (const p of s.payChannelDetail as Json[]) p.payChannelValue = six(p.payChannelValue);
      for (const l of s.listDetail as Json[]) for (const k of ['std', 'amt', 'selfAmt']) l[k] = six(l[k]);
      assert.equal(s.totalAmt, '236.500000');
      const { canonical, row, xml } = await issue(s);
      assert.equal(canonical.totalAmt, '236.50');
      assert.equal(row.total_amt, '236.50');
      assert.deepEqual((canonical.chargeDetail as Json[]).map((c) => c.amt), ['25.00', '95.00', '116.50']);
      assert.match(xml, /<TotalAmount>236\.50<\/TotalAmount>/);
    });

    it('4-decimal list prices and amounts; their per-charge sum rounds to the fen of the charge line', async () => {
      const s = sample(uniqueBusNo('FOUR'));
      s.totalAmt = '24.69';
      s.accountPay = 0;
      s.fundPay = 0;
      s.selfCashPay = '24.69';
      s.payChannelDetail = [{ payChannelCode: '02', payChannelValue: '24.69' }];
      s.chargeDetail = [{ sortNo: 1, chargeCode: '09', chargeName: '西药费', std: 24.69, number: 1, amt: 24.69, selfAmt: 0 }];
      s.listDetail = [
        { chargeCode: '09', name: '阿莫西林胶囊', std: '12.3456', number: 2, amt: '24.6912', selfAmt: '0.0000' },
        { chargeCode: '09', name: '货币误差', std: -0.0012, number: 1, amt: -0.0012, selfAmt: 0 },
      ];
      const { canonical, xml } = await issue(s);
      const lines = canonical.listDetail as Json[];
      assert.equal(lines[0].std, '12.3456');
      assert.equal(lines[0].amt, '24.6912');
      assert.match(xml, /<AuxItemStd>12\.3456<\/AuxItemStd>/);
      assert.match(xml, /<AuxItemAmount>24\.6912<\/AuxItemAmount>/);
    });

    it('a remark with tab and LF (multi-line) is signed as sent; Unicode spaces in a name too', async () => {
      const s = sample(uniqueBusNo('REMARK'));
      s.remark = '第一行\n\t第二行';
      s.payer = '\u3000张三';
      const { canonical, xml } = await issue(s);
      assert.equal(canonical.remark, '第一行\n\t第二行');
      assert.equal(canonical.payer, '\u3000张三', '$trim keeps U+3000 (issue 6 §7)');
      assert.ok(xml.includes('<Remark>第一行\n\t第二行</Remark>'));
      assert.ok(xml.includes('<PayerPartyName>\u3000张三</PayerPartyName>'));
    });

    it('issued bills took consecutive numbers from where the refusals left the stock', async () => {
      const bills = await allBills(app);
      assert.equal(bills.length, 6);
      assert.deepEqual(
        bills.map((b) => Number(b.bill_no)),
        [0, 1, 2, 3, 4, 5].map((i) => nextBefore + i),
      );
      assert.equal(await nextOutpatientNo(app), nextBefore + 6);
    });
  });
});

describe('a blue bill must have a positive total', () => {
  it('a negative totalAmt (sums balanced) is refused with E1002 naming totalAmt, and takes no number', async () => {
    const app = await startTestApp();
    try {
      const s = sample() as Record<string, unknown>;
      const negate = (v: unknown) => `-${String(v)}`;
      const neg = {
        ...s,
        busNo: 'NEG-1',
        totalAmt: '-236.50',
        chargeDetail: (s.chargeDetail as Record<string, unknown>[]).map((c) => ({ ...c, amt: negate(c.amt), std: negate(c.std) })),
        payChannelDetail: (s.payChannelDetail as Record<string, unknown>[]).map((p) => ({ ...p, payChannelValue: negate(p.payChannelValue) })),
        listDetail: (s.listDetail as Record<string, unknown>[]).map((l) => ({ ...l, amt: negate(l.amt) })),
      };
      const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', neg);
      assert.equal(r.result, 'E1002');
      assert.match(r.text, /totalAmt（开票总金额）必须大于 0/);
      assert.equal((await app.services.db('bills').count({ n: '*' }))[0].n, 0);
    } finally {
      await app.stop();
    }
  });
});
