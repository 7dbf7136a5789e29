/**
 * Bill stock rules, without I/O: bill kinds and their codes, the structure of an e-bill code
 * (票据代码), paper bill codes, places, and number-range arithmetic. The store (src/store/stock.ts)
 * records movements; everything it reports as a balance is computed from them with these functions.
 */

/** The bill kinds of the project (WAVE2 shared contract) with the 票据种类 code the HIS calls billCode. */
export const BILL_KINDS = {
  outpatient: { billCode: '0601', name: '医疗门诊收费票据', short: '门诊' },
  inpatient: { billCode: '0602', name: '医疗住院收费票据', short: '住院' },
  registration: { billCode: '0603', name: '医疗挂号收费票据', short: '挂号' },
  checkup: { billCode: '0604', name: '医疗体检收费票据', short: '体检' },
  exchange: { billCode: '0101', name: '行政事业单位资金往来结算票据', short: '往来结算' },
  donation: { billCode: '0501', name: '公益事业捐赠统一票据', short: '捐赠' },
  nontax: { billCode: '0201', name: '非税收入统一票据', short: '非税' },
  prepay: { billCode: '0605', name: '预交金凭证', short: '预交金' },
} as const;
export type BillKind = keyof typeof BILL_KINDS;

export const isBillKind = (k: string): k is BillKind => Object.prototype.hasOwnProperty.call(BILL_KINDS, k);

/** A bill kind as the HIS reads it (医疗门诊收费票据, 预交金凭证); an unknown key is shown as it is. */
export const billKindName = (k: string): string => (isBillKind(k) ? BILL_KINDS[k].name : k);

/** billCode (0601) or a bill kind name (outpatient) → the bill kind; undefined when neither. */
export function billKindOf(codeOrKind: string): BillKind | undefined {
  if (isBillKind(codeOrKind)) return codeOrKind;
  return (Object.keys(BILL_KINDS) as BillKind[]).find((k) => BILL_KINDS[k].billCode === codeOrKind);
}

/** "门诊（outpatient）": how a Chinese message names a bill kind, known or not. */
export const billKindLabel = (k: string): string => (isBillKind(k) ? `${BILL_KINDS[k].short}（${k}）` : k);

export type Medium = 'ebill' | 'paper';
/** getBillStockOutList's billType: 1 e-bill, 2 machine-printed paper (3 handwritten is not stocked here). */
export const billTypeOf = (m: Medium): '1' | '2' => (m === 'ebill' ? '1' : '2');

/** First two digits of GB/T 2260: the provinces a supervising finance authority can be. */
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54', '61', '62', '63', '64', '65',
]);

export interface EBillCode {
  province: string;
  category: string;
  kind: string;
  /** four-digit year, 20YY */
  year: number;
}

/**
 * An e-bill code (fiscal-ebill §1.1): 8 digits = province (GB/T 2260) + category + kind + year (YY).
 * Returns the parts or the Chinese reason it is not one. When a bill kind is given, the code's
 * category+kind must be that kind's billCode (0601 门诊, 0602 住院, …).
 */
export function parseEBillCode(code: string, billKind?: string): EBillCode | { error: string } {
  if (!/^\d{8}$/.test(code)) return { error: `电子票据代码 ${code} 应为 8 位数字（省份2位 + 分类2位 + 种类2位 + 年度2位）` };
  const province = code.slice(0, 2);
  if (!PROVINCES.has(province)) return { error: `电子票据代码 ${code} 的前两位 ${province} 不是省级行政区划代码（GB/T 2260）` };
  const parts = { province, category: code.slice(2, 4), kind: code.slice(4, 6), year: 2000 + Number(code.slice(6, 8)) };
  if (billKind !== undefined && isBillKind(billKind)) {
    const want = BILL_KINDS[billKind].billCode;
    if (parts.category + parts.kind !== want)
      return { error: `电子票据代码 ${code} 的分类与种类 ${parts.category}${parts.kind} 与票据种类 ${billKindLabel(billKind)} 的编码 ${want} 不符` };
  }
  return parts;
}

/** The e-bill code a kind gets in a province and year: 44 + 0601 + 26 → 44060126. */
export function eBillCodeFor(province: string, billKind: BillKind, year: number): string {
  return `${province}${BILL_KINDS[billKind].billCode}${String(year % 100).padStart(2, '0')}`;
}

/**
 * A paper bill code: the printed 票据代码 of pre-numbered paper stock. Provinces print either the
 * 8-digit structure of e-bill codes or a longer digit string; letters and signs are refused because
 * HIS clients compare codes as typed.
 */
export function checkPaperBillCode(code: string): string | undefined {
  return /^\d{6,20}$/.test(code) ? undefined : `纸质票据代码 ${code} 应为 6 至 20 位数字`;
}

/** Places (开票点) that issue: a cashier window, a self-service kiosk, or an online channel. */
export const PLACE_TYPES = { window: '收费窗口', kiosk: '自助机', online: '线上' } as const;
export type PlaceType = keyof typeof PLACE_TYPES;
export const isPlaceType = (t: string): t is PlaceType => Object.prototype.hasOwnProperty.call(PLACE_TYPES, t);

/** A place code the HIS sends as placeCode: 1–50 letters, digits, '-' or '_'. */
export const checkPlaceCode = (code: string): string | undefined =>
  /^[0-9A-Za-z_-]{1,50}$/.test(code) ? undefined : `开票点编码 ${code} 应为 1 至 50 位字母、数字、- 或 _`;

/** An inclusive range of numbers of one code (numbers as integers; noLen digits when written). */
export interface Span {
  start: number;
  end: number;
}

export const spanSize = (s: Span): number => s.end - s.start + 1;

/** Numbers are written with leading zeros to the range's length (10 for e-bills). */
export const padNo = (n: number | bigint, len: number): string => String(n).padStart(len, '0');

/**
 * A number as the administrator or HIS types it: digits only, at most 15 (so it is exact as a JS
 * number and fits BIGINT), its written length kept for padding.
 */
export function parseBillNo(s: string): { n: number; len: number } | { error: string } {
  if (!/^\d{1,15}$/.test(s)) return { error: `票据号码 ${s} 应为 1 至 15 位数字` };
  return { n: Number(s), len: s.length };
}

/** Parses a start/end pair (same length, start ≤ end). */
export function parseSpan(startNo: string, endNo: string): (Span & { len: number }) | { error: string } {
  const a = parseBillNo(startNo);
  if ('error' in a) return a;
  const b = parseBillNo(endNo);
  if ('error' in b) return b;
  if (a.len !== b.len) return { error: `起始号码 ${startNo} 与终止号码 ${endNo} 位数不同` };
  if (a.n > b.n) return { error: `起始号码 ${startNo} 大于终止号码 ${endNo}` };
  return { start: a.n, end: b.n, len: a.len };
}

/** Spans sorted and merged (touching or overlapping spans become one). */
export function normalise(spans: Span[]): Span[] {
  const sorted = spans.filter((s) => s.start <= s.end).sort((x, y) => x.start - y.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end + 1) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** a minus b, both sets of spans. */
export function subtract(a: Span[], b: Span[]): Span[] {
  const cut = normalise(b);
  const out: Span[] = [];
  for (const s of normalise(a)) {
    let from = s.start;
    for (const c of cut) {
      if (c.end < from || c.start > s.end) continue;
      if (c.start > from) out.push({ start: from, end: c.start - 1 });
      from = Math.max(from, c.end + 1);
      if (from > s.end) break;
    }
    if (from <= s.end) out.push({ start: from, end: s.end });
  }
  return out;
}

export const intersect = (a: Span[], b: Span[]): Span[] => subtract(a, subtract(a, b));

/** Whether span lies wholly inside the set. */
export const covers = (set: Span[], span: Span): boolean => subtract([span], set).length === 0;

export const total = (spans: Span[]): number => spans.reduce((n, s) => n + spanSize(s), 0);

/** What one stock movement does to the holdings (ledger ops; uses are the bills themselves). */
export type MovementOp = 'received' | 'distributed' | 'returned' | 'voided';
export type LedgerUse = 'usedBlue' | 'usedRed' | 'voidedBill' | 'reserved' | 'usedPaper' | 'voidedPaper';
export const MOVEMENT_ZH: Record<MovementOp | LedgerUse, string> = {
  received: '领入（财政）',
  distributed: '分发至开票点',
  returned: '开票点退回',
  voided: '空白作废',
  usedBlue: '开具蓝票',
  usedRed: '开具红票',
  voidedBill: '作废（已取号）',
  reserved: '已取号待开具',
  usedPaper: '换开纸质票据',
  voidedPaper: '纸质票据作废（已换开）',
};

export interface MovementLike extends Span {
  op: MovementOp;
  /** the place of distributed/returned and of voids at a place; null: the unit's store */
  place: string | null;
}

/**
 * The unit's store (单位库) of one code and medium: received, minus distributed, plus returned,
 * minus voided in store — replayed in ledger order, so a return of a range first distributed and
 * then returned lands back where it came from.
 */
export function unitHoldings(movements: MovementLike[]): Span[] {
  let held: Span[] = [];
  for (const m of movements) {
    const s = [{ start: m.start, end: m.end }];
    if (m.op === 'received' || m.op === 'returned') held = normalise([...held, ...s]);
    else if (m.op === 'distributed' || (m.op === 'voided' && m.place === null)) held = subtract(held, s);
  }
  return held;
}

/** Threshold lookup: place+kind, then place '*', then kind at every place, then the default. */
export interface LowStockConfig {
  default: number;
  places?: Record<string, Record<string, number>>;
}
export function lowStockThreshold(cfg: LowStockConfig, placeCode: string, billKind: string): number {
  const p = cfg.places?.[placeCode];
  return p?.[billKind] ?? p?.['*'] ?? cfg.places?.['*']?.[billKind] ?? cfg.default;
}
