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

/** yyyy-MM-ddTHH:mm:ss+08:00: how the CLI and /readyz show a moment to people in the hospital. */
export function isoBeijing(ms: number): string {
  const t = parts(ms);
  return `${t.y}-${t.mo}-${t.d}T${t.h}:${t.mi}:${t.s}+08:00`;
}

/**
 * A moment typed by a person: ISO 8601 (without an offset it is Beijing time, not the server's zone)
 * or yyyyMMddHHmmssSSS. null if it is neither.
 */
export function parseBeijingTime(s: string): number | null {
  const v = s.trim();
  if (/^\d{17}$/.test(v)) return parseStamp17(v);
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(v)) return null;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(v) && v.length > 10;
  const withTime = v.length === 10 ? `${v}T00:00:00` : v.replace(' ', 'T');
  const t = Date.parse(hasZone ? withTime : `${withTime}+08:00`);
  return Number.isNaN(t) ? null : t;
}
