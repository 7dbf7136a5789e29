/**
 * The typed function library mappings call as $name(...) (Mirth's "code templates", typed).
 * One registry: lint rejects calls to anything not here, not a `let` binding and not a JSONata built-in.
 * Functions that need the deployment (the URL functions) get it from the MappingContext the mappings
 * were loaded with, never from a module-level global.
 */
import { decimalText, fixed, formatUnits, toUnits } from '../domain/money';
import { isoDate } from '../domain/time';
import { valueAt, type Hl7Segment } from './hl7-tree';

type Fn = (...args: never[]) => unknown;

/**
 * What every mapping evaluation sees of the deployment, as $unit and $urls (docs/reference/mapping-format.md).
 * $unit: the issuing unit of config `unit:` without its secrets (name, creditCode, region, eInvoiceTag,
 * specimenCodes, billNames, orgType, sealName …); $urls: publicBaseUrl and publicNetUrl, no trailing slash.
 */
export interface MappingContext {
  unit: Record<string, unknown>;
  urls: { publicBaseUrl: string; publicNetUrl: string };
}

/** The context golden cases and flow tests assume unless they say otherwise. */
export const TEST_MAPPING_CONTEXT: MappingContext = {
  unit: { name: 'medbill 演示医院', billNames: { outpatient: '广东省医疗门诊收费票据（电子）', inpatient: '广东省医疗住院收费票据（电子）' } },
  urls: { publicBaseUrl: 'http://127.0.0.1:17001', publicNetUrl: '' },
};

const SECRET_UNIT_KEYS = new Set(['checkCodeSecret']);

/** The context of a configuration: its unit (secrets left out) and its public URLs. */
export function mappingContext(cfg: { unit: object; server: { publicBaseUrl: string; publicNetUrl: string } }): MappingContext {
  return {
    unit: Object.fromEntries(Object.entries(cfg.unit).filter(([k]) => !SECRET_UNIT_KEYS.has(k))),
    urls: { publicBaseUrl: cfg.server.publicBaseUrl.replace(/\/$/, ''), publicNetUrl: cfg.server.publicNetUrl.replace(/\/$/, '') },
  };
}

type BillRef = { billBatchCode?: string; billNo?: string; random?: string } | undefined;
const h5Path = (b: BillRef) => `/h5/ebill/${b?.billBatchCode}/${b?.billNo}?random=${b?.random ?? ''}`;

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** Exact decimal rounding (BigInt on the digits, never a binary float): half away from zero. */
function roundHalfAway(text: string, scale: number): string {
  const neg = text.startsWith('-');
  const [int, frac = ''] = text.replace(/^[-+]/, '').split('.');
  if (frac.length <= scale) return fixed(text, scale);
  const keep = BigInt(int + frac.slice(0, scale));
  const up = Number(frac[scale]) >= 5 ? 1n : 0n;
  const units = keep + up;
  return formatUnits(neg ? -units : units, scale);
}

/** Exact 2-decimal units, or undefined for what is not such an amount (the sum is then absent, for validation to name). */
function units2(v: unknown): bigint | undefined {
  if (!present(v)) return 0n;
  const text = decimalText(v);
  if (text === null) return undefined;
  try {
    return toUnits(text, 2);
  } catch {
    return undefined;
  }
}

function sum2(values: unknown[]): string | undefined {
  let total = 0n;
  for (const v of values) {
    const u = units2(v);
    if (u === undefined) return undefined;
    total += u;
  }
  return formatUnits(total, 2);
}

type UrlFn = (urls: MappingContext['urls']) => Fn;

/** Functions whose result depends on the deployment's URLs; bound per context by functionBindings. */
const URL_FUNCTIONS: Record<string, { bind: UrlFn; doc: string }> = {
  h5Url: {
    doc: '$h5Url(bill): intranet H5 page of a bill ($urls.publicBaseUrl); absent bill stays absent',
    bind: (urls) => ((b: BillRef) => (b?.billNo ? urls.publicBaseUrl + h5Path(b) : undefined)) as Fn,
  },
  h5NetUrl: {
    doc: '$h5NetUrl(bill): internet H5 page of a bill ($urls.publicNetUrl); absent when not configured',
    bind: (urls) => ((b: BillRef) => (b?.billNo && urls.publicNetUrl ? urls.publicNetUrl + h5Path(b) : undefined)) as Fn,
  },
};

const PURE_FUNCTIONS: Record<string, { fn: Fn; doc: string }> = {
  money: {
    doc: '$money(x): amount as text with 2 decimals ("236.50"); absent stays absent',
    fn: ((v: unknown) => (present(v) ? fixed(decimalText(v) ?? String(v), 2) : undefined)) as Fn,
  },
  dec: {
    doc: '$dec(x, scale): decimal as text with `scale` decimals',
    fn: ((v: unknown, scale: number) => (present(v) ? fixed(decimalText(v) ?? String(v), scale) : undefined)) as Fn,
  },
  roundDec: {
    doc: '$roundDec(x, scale): a decimal rounded half away from zero to `scale` decimals, as text (older dialects\' 6-decimal list amounts → 4); what is not a decimal is returned as sent, for validation to name',
    fn: ((v: unknown, scale: number) => {
      const text = present(v) ? decimalText(v) : null;
      return text === null ? v : roundHalfAway(text, scale);
    }) as Fn,
  },
  moneyOrZero: {
    doc: '$moneyOrZero(x): like $money but absent/empty becomes "0.00"',
    fn: ((v: unknown) => (present(v) ? fixed(decimalText(v) ?? String(v), 2) : '0.00')) as Fn,
  },
  neg: {
    doc: '$neg(x): the negated 2-decimal amount (red bills)',
    fn: ((v: unknown) => (present(v) ? formatUnits(-toUnits(decimalText(v) ?? String(v), 2), 2) : undefined)) as Fn,
  },
  sumMoney: {
    doc: '$sumMoney(list): exact sum of amounts, 2 decimals',
    fn: ((xs: unknown) => {
      const list = Array.isArray(xs) ? xs : xs === undefined ? [] : [xs];
      return formatUnits(list.reduce((a: bigint, v) => a + toUnits(decimalText(v) ?? '0', 2), 0n), 2);
    }) as Fn,
  },
  str: {
    doc: '$str(x): text of a string or number; absent and empty stay absent',
    fn: ((v: unknown) => (present(v) ? String(v) : undefined)) as Fn,
  },
  date: {
    doc: '$date(x): yyyyMMdd or yyyy-MM-dd → yyyy-MM-dd (ISO); absent stays absent',
    fn: ((v: unknown) => (present(v) ? (isoDate(String(v)) ?? undefined) : undefined)) as Fn,
  },
  compactDate: {
    doc: '$compactDate(x): yyyy-MM-dd or yyyyMMdd → yyyyMMdd',
    fn: ((v: unknown) => (present(v) ? (isoDate(String(v)) ?? '').replace(/-/g, '') || undefined : undefined)) as Fn,
  },
  first: {
    doc: "$first(a, b, ..., fallback): the first argument that is present and non-empty, else the last one ($first(x, '') gives an empty element)",
    fn: ((...vs: unknown[]) => vs.find(present) ?? vs[vs.length - 1]) as Fn,
  },
  hl7: {
    doc: "$hl7(segment, '7.2'): an HL7 v2 value by position — field, component, subcomponent — of a segment of the decoded message (its first repetition); absent and empty stay absent",
    fn: ((seg: Hl7Segment | Hl7Segment[] | undefined, position: string | number) => valueAt(seg, String(position))) as Fn,
  },
  hl7Time: {
    doc: '$hl7Time(x): an HL7 TS/DTM (yyyyMMdd[HHmm[ss[.S…]]][±zzzz]) → yyyyMMddHHmmssSSS, its clock time as written (the sender\'s zone, Beijing for a hospital\'s HIS); what is not one is returned as sent, for validation to name',
    fn: ((v: unknown) => {
      if (!present(v)) return undefined;
      const m = /^(\d{8})(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?(?:[+-]\d{4})?$/.exec(String(v));
      if (!m) return v;
      return m[1] + (m[2] ?? '00') + (m[3] ?? '00') + (m[4] ?? '00') + (m[5] ?? '').padEnd(3, '0').slice(0, 3);
    }) as Fn,
  },
  hl7Where: {
    doc: "$hl7Where(segments, '6', 'CG'): the segments whose value at that position is the text given (always a list): the charge lines of a DFT^P03",
    fn: ((segs: unknown, position: string | number, value: unknown) =>
      (Array.isArray(segs) ? segs : segs === undefined ? [] : [segs]).filter((g) => valueAt(g as Hl7Segment, String(position)) === String(value))) as Fn,
  },
  hl7Sum: {
    doc: "$hl7Sum(segments, '11'): the exact sum of the amounts at that position, 2 decimals (absent counts 0)",
    fn: ((segs: unknown, position: string | number) => {
      const list = Array.isArray(segs) ? segs : segs === undefined ? [] : [segs];
      return sum2(list.map((g) => valueAt(g as Hl7Segment, String(position))));
    }) as Fn,
  },
  where: {
    doc: "$where(list, 'Channel', '05'): the objects of a list (or a single object) whose property is the text given (always a list)",
    fn: ((xs: unknown, key: string, value: unknown) =>
      (Array.isArray(xs) ? xs : xs === undefined || xs === null ? [] : [xs]).filter((o) => o && typeof o === 'object' && String((o as Record<string, unknown>)[key]) === String(value))) as Fn,
  },
  stamp17: {
    doc: '$stamp17(x): a date-time written with any separators ("2026-12-02 09:30:15", an HL7 TS without zone) → yyyyMMddHHmmssSSS; what has not 8 to 17 digits is returned as sent, for validation to name',
    fn: ((v: unknown) => {
      if (!present(v)) return undefined;
      const d = String(v).replace(/[+-]\d{4}$/, '').replace(/\D/g, '');
      return d.length >= 8 && d.length <= 17 ? d.padEnd(17, '0') : v;
    }) as Fn,
  },
  dateOf: {
    doc: '$dateOf(x): the yyyyMMdd of a date or date-time written with any separators (its first 8 digits); absent stays absent',
    fn: ((v: unknown) => {
      const d = present(v) ? String(v).replace(/\D/g, '') : '';
      return d.length >= 8 ? d.slice(0, 8) : undefined;
    }) as Fn,
  },
  ageAt: {
    doc: '$ageAt(birth, at): the age in whole years on date `at` of someone born on `birth` (both yyyyMMdd…, any separators), as "29岁"; absent when either is',
    fn: ((birth: unknown, at: unknown) => {
      const b = present(birth) ? String(birth).replace(/\D/g, '') : '';
      const a = present(at) ? String(at).replace(/\D/g, '') : '';
      if (b.length < 8 || a.length < 8) return undefined;
      const years = Number(a.slice(0, 4)) - Number(b.slice(0, 4)) - (a.slice(4, 8) < b.slice(4, 8) ? 1 : 0);
      return years >= 0 ? `${years}岁` : undefined;
    }) as Fn,
  },
  chargeSummary: {
    doc: '$chargeSummary(listDetail): the chargeDetail of item lines — one line per chargeCode in first-seen order (sortNo 1, 2, …), chargeName of its first item, amt and selfAmt their exact sums, std = amt, number "1"',
    fn: ((xs: unknown) => {
      const items = (Array.isArray(xs) ? xs : xs === undefined ? [] : [xs]) as Record<string, unknown>[];
      const by = new Map<string, Record<string, unknown>[]>();
      for (const it of items) by.set(String(it.chargeCode ?? ''), [...(by.get(String(it.chargeCode ?? '')) ?? []), it]);
      return [...by].map(([code, lines], i) => {
        const amt = sum2(lines.map((l) => l.amt));
        return { sortNo: i + 1, chargeCode: code, chargeName: lines[0].chargeName, std: amt, number: '1', amt, selfAmt: sum2(lines.map((l) => l.selfAmt)) };
      });
    }) as Fn,
  },
  sortNo: {
    doc: '$sortNo(list): each object of the list with sortNo set to its position, 1, 2, …',
    fn: ((xs: unknown) => (Array.isArray(xs) ? xs : xs === undefined ? [] : [xs]).map((o, i) => ({ sortNo: i + 1, ...(o as object) }))) as Fn,
  },
  asList: {
    doc: '$asList(x): x as an array (a single object becomes [x], absent becomes [])',
    fn: ((v: unknown) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v])) as Fn,
  },
};

/** Every function's name and doc line (lint, docs). */
export const FUNCTIONS: Record<string, { doc: string }> = { ...PURE_FUNCTIONS, ...URL_FUNCTIONS };

/** Bindings of one evaluation context: the functions, $unit and $urls. Built once per load. */
export function functionBindings(context: MappingContext): Record<string, unknown> & { unit: unknown; urls: unknown } {
  return {
    ...Object.fromEntries(Object.entries(PURE_FUNCTIONS).map(([k, v]) => [k, v.fn])),
    ...Object.fromEntries(Object.entries(URL_FUNCTIONS).map(([k, v]) => [k, v.bind(context.urls)])),
    unit: context.unit,
    urls: context.urls,
  };
}

/** JSONata 2.x built-ins (docs.jsonata.org), so lint can tell a typo from a real function. */
export const JSONATA_BUILTINS = new Set(
  (
    'sum count max min average string substring substringBefore substringAfter lowercase uppercase length trim pad ' +
    'contains split join match replace now millis formatNumber formatBase formatInteger parseInteger number abs floor ' +
    'ceil round power sqrt random boolean not exists keys lookup spread merge reverse each error assert type sort shuffle ' +
    'distinct zip append map filter single reduce sift base64encode base64decode encodeUrlComponent encodeUrl ' +
    'decodeUrlComponent decodeUrl eval toMillis fromMillis clone'
  ).split(' '),
);
