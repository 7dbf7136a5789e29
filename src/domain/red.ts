/**
 * Red bills (冲红, docs/reference/fiscal-ebill.md#red-bills): a red bill is a new e-bill that reverses a
 * whole blue bill — its own number and check code, the blue bill's content with every amount negated,
 * and RelatedInvoiceCode/Number naming the blue bill. There is no partial red bill: a partial refund is
 * a red bill for the whole, then a new blue bill (new busNo) for what the patient keeps.
 * Pure rules only; the store keeps the one-red-per-blue invariant.
 */
import { negateDecimal } from './money';
import type { Settlement } from './settlement';

/** What a write-off request says (writeOffEBill, writeOffEBillToPaper, invalidPaper, voucher write-offs). */
export interface RedRequest {
  reason: string;
  operator: string;
  /** yyyyMMddHHmmssSSS: the red bill's business time */
  busDateTime: string;
  /** the issuing place: the red bill's number is taken from its e-bill stock */
  placeCode: string;
  /** writeOffEBillToPaper: the paper red bill it is printed on */
  pBillBatchCode?: string;
  pBillNo?: string;
}

/** The blue bill as the rules need it. */
export interface BlueBill {
  kind: string;
  state: string;
  billBatchCode: string;
  billNo: string;
  scarlet: string;
  paperBatchCode?: string;
  paperNo?: string;
  accountState: string;
}

/** Whether the paper link is required, refused or indifferent, per service. */
export type PaperRule = 'refuse' | 'require' | 'any';

export type RedRefusal =
  | { kind: 'isRed'; params: { billBatchCode: string; billNo: string } }
  | { kind: 'notIssued'; params: { billBatchCode: string; billNo: string } }
  | { kind: 'paperLinked'; params: { billBatchCode: string; billNo: string; paper: string } }
  | { kind: 'notPaper'; params: { billBatchCode: string; billNo: string } }
  | { kind: 'booked'; params: { billBatchCode: string; billNo: string } };

/** Why a blue bill may not be red-flushed now, or undefined when it may. */
export function redRefusal(b: BlueBill, paper: PaperRule): RedRefusal | undefined {
  const id = { billBatchCode: b.billBatchCode, billNo: b.billNo };
  if (b.kind === 'red') return { kind: 'isRed', params: id };
  if (b.state !== 'issued') return { kind: 'notIssued', params: id };
  if (b.accountState === '1') return { kind: 'booked', params: id };
  const linked = !!b.paperNo;
  if (linked && paper === 'refuse') return { kind: 'paperLinked', params: { ...id, paper: `${b.paperBatchCode ?? ''}-${b.paperNo}` } };
  if (!linked && paper === 'require') return { kind: 'notPaper', params: id };
  return undefined;
}

const MONEY_FIELDS = ['totalAmt', 'accountPay', 'fundPay', 'otherfundPay', 'ownPay', 'selfConceitedAmt', 'selfPayAmt', 'selfCashPay', 'cashPay', 'cashRecharge', 'cashRefund', 'reimbursementAmt', 'amt'];
const LINE_FIELDS = ['amt', 'selfAmt', 'number'];

const negated = (v: unknown): unknown => (typeof v === 'string' || typeof v === 'number' ? negateDecimal(v) : v);

function negateLines<T>(lines: T[] | undefined, fields: string[]): T[] | undefined {
  if (!Array.isArray(lines)) return lines;
  return lines.map((l) => {
    const o = { ...(l as Record<string, unknown>) };
    for (const f of fields) if (o[f] !== undefined && o[f] !== null && o[f] !== '') o[f] = negated(o[f]);
    return o as T;
  });
}

/**
 * The red bill's content: the blue settlement with every amount (and quantity) negated, unit prices
 * kept, the write-off's place and business time, and the blue bill it reverses. The balance before
 * (ownAcBalance) is a state, not an amount, and stays as it was.
 */
export function redSettlement(blue: Settlement, blueId: { billBatchCode: string; billNo: string }, req: RedRequest): Settlement {
  const s: Settlement = { ...blue };
  for (const f of MONEY_FIELDS) if (typeof s[f] === 'string' || typeof s[f] === 'number') s[f] = negated(s[f]);
  s.chargeDetail = negateLines(blue.chargeDetail, LINE_FIELDS);
  s.listDetail = negateLines(blue.listDetail, LINE_FIELDS);
  s.payChannelDetail = negateLines(blue.payChannelDetail, ['payChannelValue']);
  s.busDateTime = req.busDateTime;
  s.placeCode = req.placeCode;
  s.relatedBillBatchCode = blueId.billBatchCode;
  s.relatedBillNo = blueId.billNo;
  s.redReason = req.reason;
  s.operator = req.operator;
  // The red bill's remark says what it reverses: a reader of the red bill alone sees why.
  s.remark = `冲红 ${blueId.billBatchCode}-${blueId.billNo}：${req.reason}`.slice(0, 200);
  return s;
}
