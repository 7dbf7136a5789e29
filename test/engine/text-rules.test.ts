/**
 * Only signable text enters a bill (issue 7 §4): the character rules one by one, the catalogue
 * keywords that declare a field's exceptions, and every string field of every shipped service
 * refusing them. Over HTTP: test/his/validation.test.ts; generated input: test/his/hostile-input.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalogue, JsonSchema, loadCatalogue } from '../../src/engine/catalogue';
import { FlowError } from '../../src/engine/errors';
import { findTextProblem, isBlank, TextRule } from '../../src/engine/text-rules';
import { SAMPLE_FILE } from '../helpers/app';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FREE: TextRule = { allow: new Set(), identifier: false };
const REMARK: TextRule = { allow: new Set([0x09, 0x0a]), identifier: false };
const ID: TextRule = { allow: new Set(), identifier: true };

describe('text rules: what may be signed (src/engine/text-rules.ts)', () => {
  const refused: [string, string, TextRule, string, string, number][] = [
    // name, text, rule, kind, char, position (in characters, 1-based)
    ['NUL', 'ab\u0000c', FREE, 'control', 'U+0000', 3],
    ['tab in a name', '张\t三', FREE, 'control', 'U+0009', 2],
    ['DEL', 'x\u007f', FREE, 'control', 'U+007F', 2],
    ['C1 NEL', '\u0085张三', FREE, 'control', 'U+0085', 1],
    ['C1 U+009F', '张三\u009f', FREE, 'control', 'U+009F', 3],
    ['CR in a remark (only tab and LF are allowed there)', '第一行\r\n第二行', REMARK, 'control', 'U+000D', 4],
    ['lone high surrogate', '张\ud800三', FREE, 'surrogate', 'U+D800', 2],
    ['lone low surrogate at the end', '张三\udc00', FREE, 'surrogate', 'U+DC00', 3],
    ['reversed pair', '\ude00\ud83d', FREE, 'surrogate', 'U+DE00', 1],
    ['U+FFFF', '张三\uffff', FREE, 'nonCharacter', 'U+FFFF', 3],
    ['U+FFFE', '\ufffe', FREE, 'nonCharacter', 'U+FFFE', 1],
    ['U+FDD0', 'a\ufdd0', FREE, 'nonCharacter', 'U+FDD0', 2],
    ['U+10FFFF (a plane-16 noncharacter), counted after an emoji as one character', '😀\u{10ffff}', FREE, 'nonCharacter', 'U+10FFFF', 2],
    ['right-to-left override', '张三\u202e321', FREE, 'bidi', 'U+202E', 3],
    ['left-to-right embedding', '\u202a张三', FREE, 'bidi', 'U+202A', 1],
    ['right-to-left isolate', '张三\u2067', FREE, 'bidi', 'U+2067', 3],
    ['zero-width space in an identifier', 'MZ001\u200b', ID, 'invisible', 'U+200B', 6],
    ['zero-width joiner in an identifier', 'MZ\u200d001', ID, 'invisible', 'U+200D', 3],
    ['BOM inside an identifier', 'MZ\ufeff001', ID, 'invisible', 'U+FEFF', 3],
    ['soft hyphen in an identifier', 'MZ\u00ad001', ID, 'invisible', 'U+00AD', 3],
    ['Hangul filler in an identifier', '\u3164', ID, 'invisible', 'U+3164', 1],
    ['left-to-right mark in an identifier', 'MZ001\u200e', ID, 'invisible', 'U+200E', 6],
    ['no-break space in an identifier', 'MZ\u00a0001', ID, 'space', 'U+00A0', 3],
    ['ideographic space in an identifier', 'MZ001\u3000', ID, 'space', 'U+3000', 6],
    ['line separator in an identifier', 'MZ\u2028001', ID, 'space', 'U+2028', 3],
    ['tab in an identifier (a control first)', 'MZ\t001', ID, 'control', 'U+0009', 3],
  ];
  for (const [name, text, rule, kind, char, position] of refused)
    it(`refuses ${name}: ${kind} ${char} at ${position}`, () => {
      assert.deepEqual(findTextProblem(text, rule), { kind, char, position });
    });

  const accepted: [string, string, TextRule][] = [
    ['Chinese, emoji with a ZWJ sequence, supplementary CJK', '张三👨‍👩‍👧𠀀', FREE],
    ['U+3000 and U+00A0 in free text', '\u3000张\u00a0三', FREE],
    ['a left-to-right mark in free text (a mark, not an embedding)', 'Ali\u200e', FREE],
    ['tab and LF in a remark', '第一行\n\t第二行', REMARK],
    ['U+FFFD (the replacement character is a character)', '\ufffd', FREE],
    ['private use', '\ue000', FREE],
    ['plain spaces in an identifier, also first and last (padded CHAR columns)', ' MZ 001  ', ID],
    ['the empty string', '', ID],
  ];
  for (const [name, text, rule] of accepted) it(`accepts ${name}`, () => assert.equal(findTextProblem(text, rule), undefined));

  it('blank means nothing visible: spaces, U+3000, zero-width characters', () => {
    for (const s of ['   ', '\u3000', '\u200b', '\u200b \ufeff', '\u3164']) assert.ok(isBlank(s), JSON.stringify(s));
    for (const s of ['张', ' a ', '\u200bx']) assert.ok(!isBlank(s), JSON.stringify(s));
  });
});

/** Every string field of a request schema (paths as E1001 names them) with a way to set it. */
type Field = { path: string; set(o: Record<string, unknown>, v: string): void; rule: JsonSchema };

function stringFields(cat: Catalogue, schema: JsonSchema, prefix = ''): Field[] {
  return fieldsOf(cat, schema, ['string'], prefix);
}

/** The request's fields of these types, at every depth (a list's first item). */
function fieldsOf(cat: Catalogue, schema: JsonSchema, types: string[], prefix = ''): Field[] {
  const s = cat.resolve(schema);
  const out: Field[] = [];
  for (const [name, raw] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) {
    const p = cat.resolve(raw);
    if (types.includes(String(p.type))) out.push({ path: prefix + name, set: (o, v) => (o[name] = v), rule: p });
    if (p.type === 'array' && p.items)
      for (const f of fieldsOf(cat, p.items as JsonSchema, types, `${prefix}${name}[0].`))
        out.push({ path: f.path, set: (o, v) => f.set(((o[name] as Record<string, unknown>[] | undefined) ?? (o[name] = [{}]) as Record<string, unknown>[])[0], v), rule: f.rule });
  }
  return out;
}

function refusal(fn: () => void): FlowError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FlowError, String(e));
    return e;
  }
  assert.fail('expected a refusal');
}

describe('the shipped catalogue applies the text rules to every string field of every service', () => {
  const cat = loadCatalogue(path.join(ROOT, 'config', 'catalogue'));
  const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
  const turn = { billBatchCode: '44060126', billNo: '0000000001', pBillBatchCode: '44060126', pBillNo: '0000000001', busDateTime: '20261125093015123', placeCode: 'MZSF01', operator: '张三' };
  // One valid request per service; a new service must add its own here to be covered.
  const valid: Record<string, () => Record<string, unknown>> = {
    invoiceEBillOutpatient: () => ({ ...structuredClone(sample), otherMedicalList: [{ infoNo: 1, infoName: '医保', infoValue: 'v' }] }),
    getEBillByBusNo: () => ({ busNo: 'B1', busDateTime: '20261125093015123' }),
    getEBillStatesByBillInfo: () => ({ billBatchCode: '44060126', billNo: '0000000001' }),
    testServerConnect: () => ({ testValue: 't' }),
    applyBillStock: () => ({ applicationId: 'APP-2026-0001', billCode: '0601', billType: '1', copyNum: 500, operator: '王五', remark: '门诊票据不足' }),
    billStockOut: () => ({ placeCode: 'MZSF01', operator: '李四', remark: '补充', billNoList: [{ billCode: '0601', billBatchCode: '44060126', copyNum: 1, billBgnNo: '0000000001', billEndNo: '0000000001' }] }),
    billStockReturn: () => ({
      placeCode: 'MZSF01',
      returner: '张三',
      reason: '撤并',
      remark: '备注',
      billNoList: [{ billCode: '0601', billBatchCode: '44060126', copyNum: 1, billBgnNo: '0000000001', billEndNo: '0000000001' }],
    }),
    getBillStockOutList: () => ({ placeCode: 'MZSF01', bgnDate: '2026-01-01', endDate: '2026-12-31' }),
    getValidBillBatchCode: () => ({ placeCode: 'MZSF01' }),
    getValidBillNo: () => ({ placeCode: 'MZSF01', billCode: '0601', billBatchCode: '44060126' }),
    // red part (issue 8)
    writeOffEBill: () => ({ billBatchCode: '44060126', billNo: '0000000001', reason: '退费', operator: '张三', busDateTime: '20261125093015123', placeCode: 'MZSF01' }),
    getEBillPicUrl: () => ({ billBatchCode: '44060126', billNo: '0000000001', random: 'abcdef', channelMode: '1' }),
    getEBillAccountStatus: () => ({ billBatchCode: '44060126', billNo: '0000000001', random: 'abcdef', createTime: '20261125093015123' }),
    getBillDetail: () => ({ billBatchCode: '44060126', billNo: '0000000001', random: 'abcdef' }),
    getEBillUnPrintList: () => ({ busBgnDate: '20261125000000000', busEndDate: '20261125235959999', busType: '02', cardType: '1102', cardNo: 'A1', idCardNo: '4401', patientId: 'P1', pageNo: 1, pageSize: 10 }),
    getNotPrintList: () => ({ busBgnDate: '20261125000000000', busEndDate: '20261125235959999', busType: '02', cardType: '1102', cardNo: 'A1', idCardNo: '4401', patientId: 'P1', pageNo: 1, pageSize: 10 }),
    getEBillPrintList: () => ({ busBgnDate: '20261125000000000', busEndDate: '20261125235959999', placeCode: 'MZSF01', busType: '02', cardType: '1102', cardNo: 'A1', idCardNo: '4401', patientId: 'P1', pageNo: 1, pageSize: 10 }),
    receiveArreasFeedBack: () => ({ billBatchCode: '44060126', billNo: '0000000001', feedBackDate: '2026-11-26' }),
    receiveListDetail: () => ({ batchNo: 1, billBatchCode: '44060126', billNo: '0000000001', listDetail: [{ chrgtype: '西药费', prescribeCode: 'P1', listTypeCode: '1', code: 'X1', name: '片', form: '片剂', specification: '20mg', unit: '盒', std: 1, number: 1, amt: 1, selfAmt: 0, medicalCareType: '1', medCareItemType: '甲', medReimburseRate: 1, remark: 'r' }] }),
    sendBillNotice: () => ({ billBatchCode: '44060126', billNo: '0000000001', random: 'abcdef', noticeList: [{ noticeType: '1201', noticeValue: '13800138000' }] }),
    invoicePayMentVoucher: () => ({ ...(JSON.parse(readFileSync(path.join(ROOT, 'examples', 'prepay', 'voucher-v3.2.json'), 'utf8')) as Record<string, unknown>), drawee: 'd', email: 'e', patientNo: 'n', caseNumber: 'c', visitNo: 'v', accountName: 'a', accountNo: '1', accountBank: 'b', remark: 'r', workUnit: 'w' }),
    writeOffPayMentVoucher: () => ({ busType: '07', billBatchCode: '44060226', billNo: '0000000001', reason: '退预交金', operator: '张三', busDateTime: '20261125093015123', placeCode: 'MZSF01', voucherBatchCode: '44060526', voucherNo: '0000000001', amt: 1, ownAcBalance: 1, remark: 'r' }),
    cancelPayMentVoucherBalance: () => ({ billBatchCode: '44060226', billNo: '0000000001', reason: '取消结算', operator: '张三', busDateTime: '20261125093015123', placeCode: 'MZSF01', patientId: 'P1', hospitalNo: 'Z1', remark: 'r' }),
    // paper part (issue 9)
    getPaperBillNo: () => ({ placeCode: 'MZSF01', pBillBatchCode: '44060126' }),
    turnPaper: () => ({ ...turn }),
    reTurnPaper: () => ({ ...turn }),
    turnPaperPrint: () => ({ ...turn }),
    reTurnPaperPrint: () => ({ ...turn }),
    invalidPaper: () => ({ pBillBatchCode: '44060126', pBillNo: '0000000001', placeCode: 'MZSF01', author: '李四', reason: '退费', busDateTime: '20261125093015123' }),
    invalidPayMentVoucherPaper: () => ({ pBillBatchCode: '44060526', pBillNo: '0000000001', placeCode: 'MZSF01', author: '李四', reason: '退预交金', busDateTime: '20261125093015123' }),
    invalidBlankBillNo: () => ({ pBillBatchCode: '44060126', pBillNoStart: '0000000001', pBillNoEnd: '0000000002', placeCode: 'MZSF01', author: '李四', reason: '卡纸', busDateTime: '20261125093015123' }),
    printPaperBill: () => ({ pBillBatchCode: '44060126', pBillNo: '0000000001' }),
    printPaper: () => ({ pBillBatchCode: '44060126', pBillNo: '0000000001' }),
    printElectBill: () => ({ billBatchCode: '44060126', billNo: '0000000001', random: 'abcdef', moduleId: '1' }),
    getElectBilllListTotal: () => ({ billBatchCode: '44060126', billNo: '0000000001', random: 'abcdef' }),
    printElectBillList: () => ({ billBatchCode: '44060126', billNo: '0000000001', random: 'abcdef', total: 1, pageNoBgn: 0, pageNoEnd: 1 }),
    getEBillNotifyPic: () => ({ billBatchCode: '44060126', billNo: '0000000001', isReturnPic: '1' }),
    writeOffEBillToPaper: () => ({ billBatchCode: '44060126', billNo: '0000000001', reason: '退费', operator: '张三', busDateTime: '20261125093015123', placeCode: 'MZSF01', pBillBatchCode: '44060126', pBillNo: '0000000001' }),
    ...Object.fromEntries(
      ['batchInvoiceEBillOutpatient', 'batchInvoiceEBillHospitalized', 'batchInvoiceEBillRegistration', 'batchInvoiceEBillCheckUp'].map((id) => [id, () => ({ batchNo: 'B1', eBillList: [{ busNo: 'X1' }] })]),
    ),
    getBatchInvoiceEBill: () => ({ batchNo: 'B1' }),
    // the other issue services: their examples, with the optional lists filled so those fields are covered too
    ...Object.fromEntries(
      ['invEBillHospitalized', 'invEBillRegistration', 'invEBillCheckUp', 'invoiceEBillCommon'].map((id) => [
        id,
        () => ({
          ...(JSON.parse(readFileSync(path.join(ROOT, 'examples', `${id}.json`), 'utf8')) as Record<string, unknown>),
          otherInfo: [{ infoNo: 1, infoName: '说明', infoValue: 'v' }],
          ...(id === 'invoiceEBillCommon' ? {} : { otherMedicalList: [{ infoNo: 1, infoName: '医保', infoValue: 'v' }] }),
          ...(id === 'invEBillHospitalized' || id === 'invEBillCheckUp' ? { payMentVoucher: [{ voucherBatchCode: '44070726', voucherNo: '1' }] } : {}),
        }),
      ]),
    ),
    // accounting and reconciliation (docs/reference/accounting-and-reconciliation.md)
    ...(() => {
      const day = { busDate: '2026-11-25', busType: '02', placeCode: 'MZSF01', isReturnList: '1', pageNo: '1', pageSize: '200' };
      const ivc = { ivcDate: '2026-11-25', busType: '02', placeCode: 'MZSF01', isReturnList: '1', pageNo: '1', pageSize: '200' };
      const range = { busBgnDate: '20261125000000000', busEndDate: '20261125235959999', placeCode: 'MZSF01', pageNo: '1' };
      const run = { busType: '02', placeCode: 'MZSF01', billName: '门诊', billBatchCode: '44060126', bgnNo: '0000000001', endNo: '0000000001', copyNum: 1, totalAmt: '1.00' };
      const push = { busDate: '2026-11-25', busType: '02', placeCode: 'MZSF01', allTotalNum: 1, allTotalAmt: '1.00', billNoList: [run] };
      const acc = { accountNo: 'HZ202611250001', operator: '张三' };
      const entries: Record<string, Record<string, unknown>> = {
        checkTotalData: day,
        checkDataByPlace: day,
        checkWriteOffData: day,
        checkTotalDataByIvcDate: ivc,
        checkDataPlaceByIvcDate: ivc,
        checkWriteOffDataByIvcDate: ivc,
        getBillByBusDate: { ...range, dataType: '1', pageSize: '20' },
        getBillByIvcDate: { ...range, dataType: '1', pageSize: '20' },
        receiveCheckTotalData: push,
        receiveCheckWriteOffData: push,
        receiveBillByBusDate: { ...range, billList: [{ busNo: 'B1', billBatchCode: '44060126', billNo: '0000000001', totalAmt: '1.00', dataType: '1' }] },
        queryCheckTotalData: { busDate: '2026-11-25', busType: '02', placeCode: 'MZSF01', pageNo: '1', pageSize: '20' },
        queryCheckWriteOffData: { busDate: '2026-11-25', busType: '02', placeCode: 'MZSF01', pageNo: '1', pageSize: '20' },
        queryBillByBusDate: { ...range, pageSize: '20' },
        generateAccount: { placeCode: 'MZSF01', bgnDate: '2026-11-25', endDate: '2026-11-25', operator: '张三', remark: '日结' },
        getEBillAcList: { bgnDate: '2026-11-25', endDate: '2026-11-25', placeCode: 'MZSF01', state: '0', pageNo: '1', pageSize: '20' },
        downEBillAccount: { accountNo: 'HZ202611250001', pageNo: '1', pageSize: '20' },
        registerEBillAcc: acc,
        cancelEBillAcc: { ...acc, reason: '金额有误' },
      };
      return Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, () => structuredClone(v)]));
    })(),
  };
  const base = (service: string): Record<string, unknown> => {
    assert.ok(valid[service], `add a valid ${service} request to this test`);
    return valid[service]();
  };

  for (const [service, entry] of cat.services) {
    const fields = stringFields(cat, entry.request);
    it(`${service}: ${fields.length} string fields, each refuses NUL, a lone surrogate, U+FFFF and an RLO naming the field, the character and its position`, () => {
      assert.ok(fields.length > 0);
      assert.doesNotThrow(() => cat.validate(service, base(service)), 'the base request is valid');
      for (const f of fields)
        for (const [bad, char] of [
          ['\u0000', 'U+0000'],
          ['\ud800', 'U+D800'],
          ['\uffff', 'U+FFFF'],
          ['\u202e', 'U+202E'],
        ]) {
          const data = base(service);
          f.set(data, `a${bad}`);
          const e = refusal(() => cat.validate(service, data));
          assert.equal(e.code, 'E1001', `${f.path}: ${e.message}`);
          assert.equal(e.field, f.path, e.message);
          assert.ok(e.message.includes(`字段 ${f.path}`) && e.message.includes(char) && e.message.includes('第 2 个字符'), `${f.path}: ${e.message}`);
        }
    });
  }

  // Ajv's type coercion would read " ", "\u000b" or " 5" as a number (JavaScript's Number() trims
  // white space): text sent for a number field must be the number itself (the catalogue's numberText).
  for (const [service, entry] of cat.services) {
    const fields = fieldsOf(cat, entry.request, ['integer', 'number']);
    if (!fields.length) continue;
    it(`${service}: its ${fields.length} number fields take text only when it is the number itself (" ", "\\u000b", " 5" refused, naming the field)`, () => {
      for (const f of fields) {
        const ok = base(service);
        f.set(ok, '1');
        assert.doesNotThrow(() => cat.validate(service, ok), `${f.path}: "1" is a number sent as text`);
        for (const bad of [' ', '\u000b', ' 5', '5 ']) {
          const data = base(service);
          f.set(data, bad);
          const e = refusal(() => cat.validate(service, data));
          assert.equal(e.code, 'E1001', `${f.path}: ${e.message}`);
          assert.equal(e.field, f.path, `${f.path} ${JSON.stringify(bad)}: ${e.message}`);
        }
      }
    });
  }

  it('identifiers (busNo, codes, card numbers) also refuse zero-width characters; names and remarks do not', () => {
    const zw = (set: (s: Record<string, unknown>) => void) => {
      const s = structuredClone(sample);
      set(s);
      try {
        cat.validate('invoiceEBillOutpatient', s);
        return undefined;
      } catch (e) {
        return (e as FlowError).message;
      }
    };
    assert.match(zw((s) => (s.busNo = 'MZ1\u200b')) ?? '', /字段 busNo（业务流水号） 是标识符，第 4 个字符是零宽或不可见字符 U\+200B/);
    assert.match(zw((s) => ((s.chargeDetail as Record<string, unknown>[])[1].chargeCode = '0\u200c4')) ?? '', /chargeDetail\[1\]\.chargeCode.*U\+200C/);
    assert.match(zw((s) => (s.cardNo = 'A\u00a012')) ?? '', /cardNo.*空白字符 U\+00A0/);
    assert.equal(zw((s) => (s.payer = '张\u200d三')), undefined, 'a joiner in a name is text');
    assert.equal(zw((s) => (s.remark = '第一行\n\t第二行')), undefined, 'tab and LF in a remark');
    assert.match(zw((s) => (s.remark = '第一行\r\n第二行')) ?? '', /remark（备注） 第 4 个字符是控制字符 U\+000D，本字段只允许制表符 U\+0009、换行符 U\+000A/);
    assert.match(zw((s) => (s.payer = '\u200b')) ?? '', /payer（患者姓名） 为必填项，不能为空/, 'a payer of one zero-width space is blank');
  });
});

describe('catalogue keywords are checked at load, not ignored', () => {
  const load = (request: JsonSchema): string | undefined => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-cat-'));
    try {
      writeFileSync(path.join(dir, 'common.schema.yaml'), '$id: https://medbill.local/catalogue/common\n$defs: {}\n');
      writeFileSync(path.join(dir, 'x.yaml'), JSON.stringify({ service: 'x', title: 'x', category: 'other', request }));
      loadCatalogue(dir);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  it('allowControls with an unknown name', () => assert.match(load({ type: 'object', properties: { r: { type: 'string', allowControls: ['bell'] } } }) ?? '', /allowControls "bell" is unknown/));
  it('identifier on a non-string field', () => assert.match(load({ type: 'object', properties: { n: { type: 'integer', identifier: true } } }) ?? '', /string fields only/));
  it('an identifier that allows controls', () => assert.match(load({ type: 'object', properties: { r: { type: 'string', identifier: true, allowControls: ['tab'] } } }) ?? '', /identifier cannot allow/));
  it('a list without maxItems (its size would bound nothing)', () => assert.match(load({ type: 'object', properties: { l: { type: 'array', items: { type: 'object' } } } }) ?? '', /l: a request list needs maxItems/));
  it('a well-formed entry loads', () => assert.equal(load({ type: 'object', properties: { r: { type: 'string', allowControls: ['tab', 'newline'] }, l: { type: 'array', maxItems: 3, items: { type: 'object' } } } }), undefined));
});
