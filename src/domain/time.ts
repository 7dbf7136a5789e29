/**
 * Bill times are Beijing time (UTC+8, no daylight saving) whatever the server's TZ, because the
 * fiscal XML and the HIS both speak local Chinese time.
 */
const OFFSET_MS = 8 * 3600 * 1000;

function parts(ms: number) {
  const d = new Date(ms + OFFSET_MS);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return {
    y: p(d.getUTCFullYear(), 4),
    mo: p(d.getUTCMonth() + 1),
    d: p(d.getUTCDate()),
    h: p(d.getUTCHours()),
    mi: p(d.getUTCMinutes()),
    s: p(d.getUTCSeconds()),
    ms: p(d.getUTCMilliseconds(), 3),
  };
}

/** yyyyMMddHHmmssSSS */
export function stamp17(ms = Date.now()): string {
  const t = parts(ms);
  return t.y + t.mo + t.d + t.h + t.mi + t.s + t.ms;
}

export function issueDate(ms: number): string {
  const t = parts(ms);
  return t.y + t.mo + t.d;
}

export function issueTime(ms: number): string {
  const t = parts(ms);
  return `${t.h}:${t.mi}:${t.s}`;
}

/** 2026-11-25 09:30:15.123 +08:00 — what people read (trace, replay): Beijing time, the offset spelled out. */
export function beijingDisplay(ms: number): string {
  const t = parts(ms);
  return `${t.y}-${t.mo}-${t.d} ${t.h}:${t.mi}:${t.s}.${t.ms} +08:00`;
}

/** Parses yyyyMMddHHmmssSSS (Beijing time) to epoch ms; null if not a real date-time. */
export function parseStamp17(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se, ms] = m.slice(1).map(Number);
  const t = Date.UTC(y, mo - 1, d, h, mi, se, ms);
  const back = new Date(t);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) return null;
  return t - OFFSET_MS;
}

/** Parses yyyyMMdd or yyyy-MM-dd; returns yyyy-MM-dd or null. */
export function isoDate(s: string): string | null {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = m.slice(1).map(Number);
  const back = new Date(Date.UTC(y, mo - 1, d));
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/**
 * yyyy-MM-ddTHH:mm:ss+08:00: how the CLI and /readyz show a moment to people in the hospital; with
 * 'ms' (trace --json, where messages a few milliseconds apart must keep their order) .SSS too.
 * ISO 8601 either way: Date.parse reads it back.
 */
export function isoBeijing(ms: number, precision: 's' | 'ms' = 's'): string {
  const t = parts(ms);
  return `${t.y}-${t.mo}-${t.d}T${t.h}:${t.mi}:${t.s}${precision === 'ms' ? '.' + t.ms : ''}+08:00`;
}

/**
 * A moment typed by a person: yyyyMMddHHmmssSSS, or yyyy-MM-dd[( |T)HH:mm[:ss[.SSS]]] with an optional
 * offset (Z, +08:00, +0800). Without an offset it is Beijing time, not the server's zone — on-call staff
 * copy times from trace output and HIS logs. null unless it is a real time (no 30 February, no 24:00).
 */
export function parseBeijingTime(s: string): number | null {
  const v = s.trim();
  if (/^\d{17}$/.test(v)) return parseStamp17(v);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(v);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, se = 0] = m.slice(1, 7).map((x) => (x === undefined ? undefined : Number(x))) as number[];
  const frac = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const local = Date.UTC(y, mo - 1, d, h, mi, se, frac);
  const back = new Date(local);
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) return null;
  const zone = m[8];
  if (!zone) return local - OFFSET_MS;
  if (/^z$/i.test(zone)) return local;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  if (Number(z[2]) > 14 || Number(z[3]) > 59) return null;
  const off = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  return z[1] === '+' ? local - off : local + off;
}
