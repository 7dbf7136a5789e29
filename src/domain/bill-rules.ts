/**
 * Amount rules of an issue request, on the canonical settlement (amounts as decimal text).
 * Flows name them (`rules: {apply: [...]}`); each is written once here. Sums are exact in fen: HIS
 * clients already force them to balance (rounding channels such as HBWC, 货币误差 lines), so a
 * difference of one fen is a real error to report, not noise to absorb.
 */
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

/**
 * A broken rule, as data: which one, the field it names and the values its message shows. The engine
 * turns it into result E1002 with the Chinese text of src/engine/codes.ts (the domain has no words).
 */
export type RuleViolation =
  | { kind: 'totalPositive'; field: string; params: { total: string } }
  | { kind: 'chargeSum' | 'paySum'; field: string; params: { sum: string; total: string; diff: string } }
  | { kind: 'zeroCharge'; field: string; params: { field: string; name: string } }
  | { kind: 'duplicateSortNo'; field: string; params: { field: string; sortNo: string } }
  | { kind: 'duplicateChargeCode'; field: string; params: { field: string; chargeCode: string } }
  | { kind: 'listUnknownCharge'; field: string; params: { field: string; chargeCode: string } }
  | { kind: 'listSum'; field: string; params: { chargeCode: string; chargeName: string; sum: string; charge: string } };

/** Returns the first violation, or undefined when the document keeps the rule. */
export type Rule = (doc: AmountsDoc) => RuleViolation | undefined;

export const RULES: Record<string, { doc: string; check: Rule }> = {
  'total-positive': {
    doc: 'totalAmt > 0 (a refund is a red bill through writeOffEBill, never a negative blue bill)',
    check(doc) {
      if (toUnits(doc.totalAmt ?? '0', 2) <= 0n) return { kind: 'totalPositive', field: 'totalAmt', params: { total: doc.totalAmt ?? '' } };
      return undefined;
    },
  },
  'charge-sum-equals-total': {
    doc: 'Σ chargeDetail.amt = totalAmt',
    check(doc) {
      const total = toUnits(doc.totalAmt ?? '0', 2);
      const s = sum2((doc.chargeDetail ?? []).map((c) => c.amt));
      if (s !== total) return { kind: 'chargeSum', field: 'chargeDetail', params: { sum: f2(s), total: f2(total), diff: f2(total - s) } };
      return undefined;
    },
  },
  'pay-sum-equals-total': {
    doc: 'Σ payChannelDetail.payChannelValue = totalAmt',
    check(doc) {
      const total = toUnits(doc.totalAmt ?? '0', 2);
      const s = sum2((doc.payChannelDetail ?? []).map((p) => p.payChannelValue));
      if (s !== total) return { kind: 'paySum', field: 'payChannelDetail', params: { sum: f2(s), total: f2(total), diff: f2(total - s) } };
      return undefined;
    },
  },
  'charge-lines-valid': {
    doc: 'chargeDetail: no zero amounts, sortNo and chargeCode unique',
    check(doc) {
      const seenSort = new Set<number>();
      const seenCode = new Set<string>();
      const lines = doc.chargeDetail ?? [];
      for (let i = 0; i < lines.length; i++) {
        const c = lines[i];
        if (toUnits(c.amt ?? '0', 2) === 0n) {
          const field = `chargeDetail[${i}].amt`;
          return { kind: 'zeroCharge', field, params: { field, name: c.chargeName ?? c.chargeCode ?? '' } };
        }
        if (c.sortNo !== undefined) {
          if (seenSort.has(c.sortNo)) {
            const field = `chargeDetail[${i}].sortNo`;
            return { kind: 'duplicateSortNo', field, params: { field, sortNo: String(c.sortNo) } };
          }
          seenSort.add(c.sortNo);
        }
        if (c.chargeCode) {
          if (seenCode.has(c.chargeCode)) {
            const field = `chargeDetail[${i}].chargeCode`;
            return { kind: 'duplicateChargeCode', field, params: { field, chargeCode: c.chargeCode } };
          }
          seenCode.add(c.chargeCode);
        }
      }
      return undefined;
    },
  },
  'list-sum-per-charge': {
    doc: 'each listDetail.chargeCode exists in chargeDetail, and Σ listDetail.amt per code (to the fen) = that line\'s amt',
    check(doc) {
      const charges = new Map((doc.chargeDetail ?? []).map((c) => [c.chargeCode ?? '', c]));
      const sums = new Map<string, bigint>(); // in 1/10000
      const lines = doc.listDetail ?? [];
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i];
        if (!l.chargeCode) continue;
        if (!charges.has(l.chargeCode)) {
          const field = `listDetail[${i}].chargeCode`;
          return { kind: 'listUnknownCharge', field, params: { field, chargeCode: l.chargeCode } };
        }
        sums.set(l.chargeCode, (sums.get(l.chargeCode) ?? 0n) + toUnits(l.amt ?? '0', 4));
      }
      for (const [code, s4] of sums) {
        const charge = toUnits(charges.get(code)!.amt ?? '0', 2);
        const s2 = (s4 >= 0n ? s4 + 50n : s4 - 50n) / 100n; // round half away from zero to the fen
        if (s2 !== charge)
          return { kind: 'listSum', field: 'listDetail', params: { chargeCode: code, chargeName: charges.get(code)!.chargeName ?? '', sum: formatUnits(s4, 4), charge: f2(charge) } };
      }
      return undefined;
    },
  },
};
