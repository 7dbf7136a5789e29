/**
 * What a printed or displayed bill shows (docs/reference/fiscal-ebill.md, layout file content), built once
 * from the stored bill and the unit's configuration, so the PDF, the phone page and the 告知单 show the
 * same facts: title, 票据代码/号码/校验码/开票日期, 交款人 and its credit code, the charge lines,
 * 金额合计 in words and figures, the 其他信息 block, the unit, 复核人 and 收款人, the QR code.
 */
import { qrText } from '../domain/fiscal-xml';
import { money } from '../domain/money';
import { amountInWords } from '../domain/money-words';

export interface BillDocInput {
  bill_batch_code: string;
  bill_no: string;
  random: string | null;
  kind: string;
  bill_kind: string;
  payer: string | null;
  total_amt: string | null;
  create_time: string | null;
  bus_no: string | null;
  bus_date_time: string | null;
  canonical: string | null;
  paper_batch_code?: string | null;
  paper_no?: string | null;
}

export interface UnitFacts {
  name: string;
  eInvoiceTag: string;
  billNames: Record<string, string>;
  sealName: string;
  /** where the public checks a bill (printed in the footer) */
  checkSite?: string;
}

export interface ChargeLine {
  code: string;
  name: string;
  amount: string;
  remark: string;
}

export interface ListLine {
  code: string;
  name: string;
  spec: string;
  unit: string;
  std: string;
  number: string;
  amount: string;
  remark: string;
}

export interface BillDocument {
  title: string;
  red: boolean;
  billBatchCode: string;
  billNo: string;
  random: string;
  /** yyyy-MM-dd */
  issueDate: string;
  /** yyyy-MM-dd HH:mm:ss */
  issueTime: string;
  payer: string;
  payerCreditCode: string;
  totalAmt: string;
  totalInWords: string;
  charges: ChargeLine[];
  list: ListLine[];
  other: { name: string; value: string }[];
  unitName: string;
  sealName: string;
  checker: string;
  payee: string;
  qrText: string;
  paper?: { code: string; no: string };
  related?: { code: string; no: string };
  checkSite: string;
}

const s = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const amt = (v: unknown): string => {
  const t = s(v);
  try {
    return t ? money(t) : '';
  } catch {
    return t;
  }
};

/** 其他信息: what the provincial layout prints under the table, label → settlement field. */
const OTHER_FIELDS: [string, string][] = [
  ['业务流水号', 'busNo'],
  ['门诊号', 'patientNo'],
  ['住院号', 'hospitalNo'],
  ['就诊日期', 'consultationDate'],
  ['医疗机构类型', 'medicalInstitution'],
  ['医保类型', 'medicalCareType'],
  ['医保编号', 'medicalInsuranceID'],
  ['性别', 'sex'],
  ['医保统筹基金支付', 'fundPay'],
  ['其他支付', 'otherfundPay'],
  ['个人账户支付', 'accountPay'],
  ['个人现金支付', 'selfCashPay'],
  ['个人自付', 'selfPayAmt'],
  ['个人自费', 'ownPay'],
];
const AMOUNT_FIELDS = new Set(['fundPay', 'otherfundPay', 'accountPay', 'selfCashPay', 'selfPayAmt', 'ownPay']);

const dashDate = (stamp: string): string => (stamp.length >= 8 ? `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}` : stamp);
const dashTime = (stamp: string): string => (stamp.length >= 14 ? `${dashDate(stamp)} ${stamp.slice(8, 10)}:${stamp.slice(10, 12)}:${stamp.slice(12, 14)}` : dashDate(stamp));

export function billDocument(row: BillDocInput, unit: UnitFacts, related?: { bill_batch_code: string; bill_no: string }): BillDocument {
  const settlement = (row.canonical ? JSON.parse(row.canonical) : {}) as Record<string, unknown>;
  const red = row.kind === 'red';
  const total = amt(row.total_amt ?? settlement.totalAmt);
  const signed = red && !total.startsWith('-') ? `-${total}` : total;
  const charges = ((settlement.chargeDetail as Record<string, unknown>[] | undefined) ?? []).map((c) => ({
    code: s(c.chargeCode),
    name: s(c.chargeName),
    amount: red ? `-${amt(c.amt)}` : amt(c.amt),
    remark: s(c.remark),
  }));
  const list = ((settlement.listDetail as Record<string, unknown>[] | undefined) ?? []).map((l) => ({
    code: s(l.code),
    name: s(l.name),
    spec: s(l.specification),
    unit: s(l.unit),
    std: s(l.std),
    number: s(l.number),
    amount: amt(l.amt),
    remark: s(l.remark),
  }));
  const other = OTHER_FIELDS.flatMap(([name, field]) => {
    const raw = field === 'busNo' ? row.bus_no ?? settlement.busNo : settlement[field];
    const value = AMOUNT_FIELDS.has(field) ? amt(raw) : s(raw);
    return value ? [{ name, value }] : [];
  });
  for (const o of (settlement.otherInfo as { infoName?: string; infoValue?: string }[] | undefined) ?? [])
    if (o.infoName && !other.some((x) => x.name === o.infoName)) other.push({ name: s(o.infoName), value: s(o.infoValue) });
  const created = s(row.create_time);
  const title = unit.billNames[row.bill_kind] ?? '医疗收费票据（电子）';
  return {
    title,
    red,
    billBatchCode: row.bill_batch_code,
    billNo: row.bill_no,
    random: s(row.random),
    issueDate: dashDate(created),
    issueTime: dashTime(created),
    payer: s(row.payer ?? settlement.payer),
    payerCreditCode: s(settlement.payerType) === '2' ? s(settlement.idCardNo) : '',
    totalAmt: signed,
    totalInWords: total ? amountInWords(signed) : '',
    charges,
    list,
    other,
    unitName: unit.name,
    sealName: unit.sealName,
    checker: s(settlement.checker),
    payee: s(settlement.payee),
    qrText: qrText(unit.eInvoiceTag, { billBatchCode: row.bill_batch_code, billNo: row.bill_no, random: s(row.random), issueDate: created.slice(0, 8), totalAmt: signed }),
    paper: row.paper_no ? { code: s(row.paper_batch_code), no: row.paper_no } : undefined,
    related: related ? { code: related.bill_batch_code, no: related.bill_no } : undefined,
    checkSite: unit.checkSite ?? '',
  };
}

/** Rows of the itemised list per printed list page. */
export const LIST_ROWS_PER_PAGE = 20;

/** Pages of the itemised list (getElectBilllListTotal): 0 when the bill has no list. */
export const listPages = (doc: Pick<BillDocument, 'list'>): number => Math.ceil(doc.list.length / LIST_ROWS_PER_PAGE);
