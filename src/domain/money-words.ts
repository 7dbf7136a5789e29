/**
 * 金额大写 (the amount in capital Chinese numerals a bill prints beside the figures), from decimal
 * text to the fen: 236.50 → 贰佰叁拾陆元伍角; 100.00 → 壹佰元整; a red bill's
 * negative amount is prefixed 负. Exact: works on the fen integer, never on a float.
 */
import { fen } from './money';

const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const SMALL = ['', '拾', '佰', '仟'];
const BIG = ['', '万', '亿', '万亿'];

function integerWords(n: bigint): string {
  if (n === 0n) return '零';
  const groups: number[] = [];
  for (let v = n; v > 0n; v /= 10000n) groups.push(Number(v % 10000n));
  let out = '';
  let zero = false;
  for (let g = groups.length - 1; g >= 0; g--) {
    const group = groups[g];
    if (group === 0) {
      zero = out !== '';
      continue;
    }
    if (out && (zero || group < 1000)) out += '零';
    zero = false;
    let text = '';
    let gap = false;
    for (let i = 3; i >= 0; i--) {
      const d = Math.floor(group / 10 ** i) % 10;
      if (d === 0) {
        gap = text !== '';
        continue;
      }
      if (gap) text += '零';
      gap = false;
      text += DIGITS[d] + SMALL[i];
    }
    out += text + BIG[g];
  }
  return out;
}

export function amountInWords(amount: string): string {
  let f = fen(amount);
  const negative = f < 0n;
  if (negative) f = -f;
  const yuan = f / 100n;
  const jiao = Number((f / 10n) % 10n);
  const fenDigit = Number(f % 10n);
  let out = yuan > 0n ? integerWords(yuan) + '元' : '';
  if (jiao === 0 && fenDigit === 0) out = (out || '零元') + '整';
  else {
    if (jiao > 0) out += DIGITS[jiao] + '角';
    else if (yuan > 0n) out += '零';
    if (fenDigit > 0) out += DIGITS[fenDigit] + '分';
  }
  return (negative ? '负' : '') + out;
}
