/**
 * Exact decimal money. HIS send amounts as JSON numbers or strings ("12.00", 236.5, "5.000000");
 * they are parsed from their decimal text into BigInt units of 10^-scale, never through binary floats.
 * A JSON number's shortest round-trip text equals what the HIS wrote for anything of ≤15 significant
 * digits, which covers Number(14,2) and Number(14,4).
 */
export type DecimalInput = string | number;

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d*))?$/;

/** Decimal text of a JSON value, or null if it is not a plain decimal. */
export function decimalText(v: unknown): string | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    const s = String(v);
    if (/e/i.test(s)) return Math.abs(v) < 1e-6 ? '0' : null; // 1e-7 and smaller are noise; huge values are invalid
    return s;
  }
  if (typeof v === 'string') {
    const s = v.trim();
    return DECIMAL_RE.test(s) ? s : null;
  }
  return null;
}

/** Integer and fraction digit counts of a decimal text, ignoring sign and trailing fraction zeros. */
export function decimalShape(text: string): { intDigits: number; fracDigits: number } {
  const m = DECIMAL_RE.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const intPart = m[2].replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return { intDigits: intPart === '0' ? 0 : intPart.length, fracDigits: frac.length };
}

/** Units of 10^-scale as BigInt; extra fraction digits must be zero (callers validate scale first). */
export function toUnits(v: DecimalInput, scale: number): bigint {
  const text = decimalText(v);
  if (text === null) throw new Error(`not a decimal: ${String(v)}`);
  const m = DECIMAL_RE.exec(text)!;
  const frac = (m[3] ?? '').padEnd(scale, '0');
  if (/[1-9]/.test(frac.slice(scale))) throw new Error(`more than ${scale} decimals: ${text}`);
  const units = BigInt(m[2] + frac.slice(0, scale));
  return m[1] === '-' ? -units : units;
}

export function formatUnits(units: bigint, scale: number): string {
  const neg = units < 0n;
  const s = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const out = scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s;
  return neg ? '-' + out : out;
}

/** Normalises to fixed scale text: money(236.5) → "236.50". */
export function fixed(v: DecimalInput, scale: number): string {
  return formatUnits(toUnits(v, scale), scale);
}

export const fen = (v: DecimalInput): bigint => toUnits(v, 2);
export const money = (v: DecimalInput): string => fixed(v, 2);

/** The negated decimal text, scale kept ("236.50" → "-236.50", "0.00" stays "0.00"): red bills. */
export function negateDecimal(v: DecimalInput): string {
  const text = decimalText(v);
  if (text === null) throw new Error(`not a decimal: ${String(v)}`);
  const m = DECIMAL_RE.exec(text)!;
  const digits = m[2] + (m[3] !== undefined ? `.${m[3]}` : '');
  if (!/[1-9]/.test(digits)) return digits;
  return m[1] === '-' ? digits : `-${digits}`;
}
