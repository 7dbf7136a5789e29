/**
 * Amount rules of an issue request, on the canonical settlement (amounts as decimal text).
 * Flows name them (`rules: {apply: [...]}`); each is written once here. Sums are exact in fen: HIS
 * clients already force them to balance (rounding channels such as HBWC, 货币误差 lines), so a
 * difference of one fen is a real error to report, not noise to absorb.
 */
import { amountError } from '../engine/errors';
import { formatUnits, toUnits } from './money';

interface Charge {
  sortNo?: number;
  chargeCode?: string;
  chargeName?: string;
  amt?: string;
}
interface ListLine {
  chargeCode?: string;
  amt?: string;
}
export interface AmountsDoc {
  totalAmt?: string;
  chargeDetail?: Charge[];
  listDetail?: ListLine[];
  payChannelDetail?: { payChannelCode?: string; payChannelValue?: string }[];
}

const f2 = (u: bigint) => formatUnits(u, 2);
const sum2 = (xs: (string | undefined)[]) => xs.reduce((a, v) => a + toUnits(v ?? '0', 2), 0n);

export type Rule = (doc: AmountsDoc) => void;

export const RULES: Record<string, { doc: string; check: Rule }> = {
  'total-positive': {
    doc: 'totalAmt > 0 (a refund is a red bill through writeOffEBill, never a negative blue bill)',
    check(doc) {
      if (toUnits(doc.totalAmt ?? '0', 2) <= 0n)
        throw amountError('totalAmt', `字段 totalAmt（开票总金额）必须大于 0，收到 ${doc.totalAmt ?? ''}；退费请用 writeOffEBill 冲红`);
    },
  },
  'charge-sum-equals-total': {
    doc: 'Σ chargeDetail.amt = totalAmt',
    check(doc) {
      const total = toUnits(doc.totalAmt ?? '0', 2);
      const s = sum2((doc.chargeDetail ?? []).map((c) => c.amt));
      if (s !== total)
        throw amountError('chargeDetail', `金额不平：收费项目明细 chargeDetail 金额合计 ${f2(s)} 与开票总金额 totalAmt ${f2(total)} 不一致（差额 ${f2(total - s)}）`);
    },
  },
  'pay-sum-equals-total': {
    doc: 'Σ payChannelDetail.payChannelValue = totalAmt',
    check(doc) {
      const total = toUnits(doc.totalAmt ?? '0', 2);
      const s = sum2((doc.payChannelDetail ?? []).map((p) => p.payChannelValue));
      if (s !== total)
        throw amountError('payChannelDetail', `金额不平：交费渠道 payChannelDetail 金额合计 ${f2(s)} 与开票总金额 totalAmt ${f2(total)} 不一致（差额 ${f2(total - s)}）`);
    },
  },
  'charge-lines-valid': {
    doc: 'chargeDetail: no zero amounts, sortNo and chargeCode unique',
    check(doc) {
      const seenSort = new Set<number>();
      const seenCode = new Set<string>();
      (doc.chargeDetail ?? []).forEach((c, i) => {
        if (toUnits(c.amt ?? '0', 2) === 0n) throw amountError(`chargeDetail[${i}].amt`, `字段 chargeDetail[${i}].amt（金额）不能为 0：收费项目 ${c.chargeName ?? c.chargeCode ?? ''} 无金额时请不要传该行`);
        if (c.sortNo !== undefined) {
          if (seenSort.has(c.sortNo)) throw amountError(`chargeDetail[${i}].sortNo`, `字段 chargeDetail[${i}].sortNo（序号）重复：${c.sortNo}`);
          seenSort.add(c.sortNo);
        }
        if (c.chargeCode) {
          if (seenCode.has(c.chargeCode)) throw amountError(`chargeDetail[${i}].chargeCode`, `字段 chargeDetail[${i}].chargeCode（收费项目代码）重复：${c.chargeCode}，同一收费项目请合并为一行`);
          seenCode.add(c.chargeCode);
        }
      });
    },
  },
  'list-sum-per-charge': {
    doc: 'each listDetail.chargeCode exists in chargeDetail, and Σ listDetail.amt per code (to the fen) = that line\'s amt',
    check(doc) {
      const charges = new Map((doc.chargeDetail ?? []).map((c) => [c.chargeCode ?? '', c]));
      const sums = new Map<string, bigint>(); // in 1/10000
      (doc.listDetail ?? []).forEach((l, i) => {
        if (!l.chargeCode) return;
        if (!charges.has(l.chargeCode))
          throw amountError(`listDetail[${i}].chargeCode`, `字段 listDetail[${i}].chargeCode（收费项目代码）${l.chargeCode} 在收费项目明细 chargeDetail 中不存在`);
        sums.set(l.chargeCode, (sums.get(l.chargeCode) ?? 0n) + toUnits(l.amt ?? '0', 4));
      });
      for (const [code, s4] of sums) {
        const charge = toUnits(charges.get(code)!.amt ?? '0', 2);
        const s2 = (s4 >= 0n ? s4 + 50n : s4 - 50n) / 100n; // round half away from zero to the fen
        if (s2 !== charge)
          throw amountError('listDetail', `金额不平：收费项目 ${code}（${charges.get(code)!.chargeName ?? ''}）的清单 listDetail 金额合计 ${formatUnits(s4, 4)} 与 chargeDetail 金额 ${f2(charge)} 不一致`);
      }
    },
  },
};
