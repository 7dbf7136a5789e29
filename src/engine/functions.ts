/**
 * The typed function library mappings call as $name(...) (Mirth's "code templates", typed).
 * One registry: lint rejects calls to anything not here, not a `let` binding and not a JSONata built-in.
 */
import { decimalText, fixed, formatUnits, toUnits } from '../domain/money';
import { isoDate } from '../domain/time';

type Fn = (...args: never[]) => unknown;

/** Deployment facts some functions need (set once at boot from config). */
const context = { publicBaseUrl: 'http://127.0.0.1:17001', publicNetUrl: '' };
export function setFunctionContext(c: { publicBaseUrl: string; publicNetUrl: string }): void {
  context.publicBaseUrl = c.publicBaseUrl.replace(/\/$/, '');
  context.publicNetUrl = c.publicNetUrl.replace(/\/$/, '');
}

type BillRef = { billBatchCode?: string; billNo?: string; random?: string } | undefined;
const h5Path = (b: BillRef) => `/h5/ebill/${b?.billBatchCode}/${b?.billNo}?random=${b?.random ?? ''}`;

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

export const FUNCTIONS: Record<string, { fn: Fn; doc: string }> = {
  money: {
    doc: '$money(x): amount as text with 2 decimals ("236.50"); absent stays absent',
    fn: ((v: unknown) => (present(v) ? fixed(decimalText(v) ?? String(v), 2) : undefined)) as Fn,
  },
  dec: {
    doc: '$dec(x, scale): decimal as text with `scale` decimals',
    fn: ((v: unknown, scale: number) => (present(v) ? fixed(decimalText(v) ?? String(v), scale) : undefined)) as Fn,
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
  h5Url: {
    doc: '$h5Url(bill): intranet H5 page of a bill (server.publicBaseUrl); absent bill stays absent',
    fn: ((b: BillRef) => (b?.billNo ? context.publicBaseUrl + h5Path(b) : undefined)) as Fn,
  },
  h5NetUrl: {
    doc: '$h5NetUrl(bill): internet H5 page of a bill (server.publicNetUrl); absent when not configured',
    fn: ((b: BillRef) => (b?.billNo && context.publicNetUrl ? context.publicNetUrl + h5Path(b) : undefined)) as Fn,
  },
  asList: {
    doc: '$asList(x): x as an array (a single object becomes [x], absent becomes [])',
    fn: ((v: unknown) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v])) as Fn,
  },
};

/** Bindings passed to every evaluation; built once. */
export const FUNCTION_BINDINGS: Record<string, unknown> = Object.fromEntries(Object.entries(FUNCTIONS).map(([k, v]) => [k, v.fn]));

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
