/**
 * The one DER reader and writer of the crypto folder.
 *
 * A signature covers the exact bytes the signer produced, and re-serialising a parsed structure can
 * change them (a non-minimal length, another string type, a DEFAULT encoded anyway), after which a
 * valid signature "fails". So verifiers walk and slice the original bytes with this module, and the fast
 * signing path splices precomputed DER; a schema library (@peculiar/asn1-*) gives neither cheaply.
 *
 * Two families of readers over one byte-level parser (readTlv), because their callers differ:
 *  - readTlv, childrenOf, expectTag, readOid…: accept BER's indefinite lengths (some signature servers
 *    stream CMS that way) and throw DerError on malformed input; the CMS modules catch it and report a
 *    reason, so hostile input never escapes as an exception.
 *  - try*: strict DER (no indefinite lengths, which X.509, CRLs and OCSP must not contain) and `null`
 *    instead of an exception, for the certificate side, whose bytes come from the network and the HIS.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** One element: `start` is the first tag byte, `value`..`end` the contents (end excludes a BER end-of-contents). */
export interface Tlv {
  tag: number;
  constructed: boolean;
  start: number;
  valueStart: number;
  valueEnd: number;
  /** first byte after the element, including the 00 00 terminator of an indefinite-length encoding */
  end: number;
  indefinite: boolean;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag byte: [n] constructed (A0|n) or primitive (80|n). */
export const ctx = (n: number, constructed = true): number => (constructed ? 0xa0 : 0x80) | n;

// Nesting deeper than this in a CMS object is hostile: it only exists to exhaust the stack.
const MAX_DEPTH = 48;

export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new DerError('nesting too deep');
  if (offset + 2 > limit) throw new DerError(`truncated element at ${offset}`);
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError(`high tag number at ${offset} not supported`);
  const constructed = (tag & 0x20) !== 0;
  let p = offset + 1;
  const first = buf[p++];
  if (first < 0x80) {
    return finish(first);
  }
  if (first === 0x80) {
    if (!constructed) throw new DerError(`indefinite length on primitive element at ${offset}`);
    const valueStart = p;
    let q = p;
    for (;;) {
      if (q + 2 > limit) throw new DerError(`unterminated indefinite length at ${offset}`);
      if (buf[q] === 0 && buf[q + 1] === 0) break;
      q = readTlv(buf, q, limit, depth + 1).end;
    }
    return { tag, constructed, start: offset, valueStart, valueEnd: q, end: q + 2, indefinite: true };
  }
  const n = first & 0x7f;
  // 4 length bytes already allow 4 GiB; anything longer is hostile or corrupt.
  if (n > 4) throw new DerError(`length of length ${n} at ${offset}`);
  if (p + n > limit) throw new DerError(`truncated length at ${offset}`);
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[p++];
  return finish(len);

  function finish(len: number): Tlv {
    const valueStart = p;
    const valueEnd = valueStart + len;
    if (valueEnd > limit) throw new DerError(`element at ${offset} overruns its container`);
    return { tag, constructed, start: offset, valueStart, valueEnd, end: valueEnd, indefinite: false };
  }
}

/** Reads the single element that must fill `buf` exactly. */
export function readRoot(buf: Uint8Array): Tlv {
  const t = readTlv(buf, 0, buf.length);
  if (t.end !== buf.length) throw new DerError(`${buf.length - t.end} trailing bytes after the outer element`);
  return t;
}

export function childrenOf(buf: Uint8Array, parent: Tlv, depth = 1): Tlv[] {
  if (!parent.constructed) throw new DerError(`element at ${parent.start} is not constructed`);
  const out: Tlv[] = [];
  let p = parent.valueStart;
  while (p < parent.valueEnd) {
    const c = readTlv(buf, p, parent.valueEnd, depth);
    out.push(c);
    p = c.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (!t) throw new DerError(`${what} missing`);
  if (t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${t.tag.toString(16)} at ${t.start}`);
  return t;
}

export const bytesOf = (buf: Uint8Array, t: Tlv): Buffer => toBuffer(buf).subarray(t.start, t.end);
export const valueOf = (buf: Uint8Array, t: Tlv): Buffer => toBuffer(buf).subarray(t.valueStart, t.valueEnd);

export function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** OCTET STRING contents; a BER constructed OCTET STRING is flattened (some SVS output streams that way). */
export function octetStringValue(buf: Uint8Array, t: Tlv, depth = 1): Buffer {
  if ((t.tag & 0x1f) !== TAG.OCTET_STRING && (t.tag & 0xc0) === 0) throw new DerError(`expected OCTET STRING at ${t.start}`);
  if (!t.constructed) return valueOf(buf, t);
  if (depth > 8) throw new DerError('constructed OCTET STRING nested too deep');
  return Buffer.concat(childrenOf(buf, t, depth).map((c) => octetStringValue(buf, c, depth + 1)));
}

export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new DerError('empty OID');
  // Plain numbers while an arc stays below 2^46 (every real OID); BigInt only for absurd arcs.
  // This runs a dozen times per signature check, so it is kept allocation-light.
  let out = '';
  let v = 0;
  let big: bigint | null = null;
  let first = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (big === null && v >= 2 ** 46) big = BigInt(v);
    if (big !== null) big = (big << 7n) | BigInt(b & 0x7f);
    else v = v * 128 + (b & 0x7f);
    if (b & 0x80) {
      if (i === bytes.length - 1) throw new DerError('truncated OID');
      continue;
    }
    if (first) {
      const whole = big ?? BigInt(v);
      const top = whole < 40n ? 0n : whole < 80n ? 1n : 2n;
      out = `${top}.${whole - top * 40n}`;
      first = false;
    } else {
      out += '.' + (big !== null ? big.toString() : String(v));
    }
    v = 0;
    big = null;
  }
  return out;
}

export function readOid(buf: Uint8Array, t: Tlv | undefined, what: string): string {
  return decodeOid(valueOf(buf, expectTag(t, TAG.OID, what)));
}

// ---------- strict DER, null on malformed input (X.509, CRL, OCSP) ----------

/** One element at `offset` within `limit`, or null when it is malformed or uses an indefinite length. */
export function tryTlv(buf: Uint8Array, offset = 0, limit = buf.length): Tlv | null {
  if (offset < 0 || limit > buf.length) return null;
  try {
    const t = readTlv(buf, offset, limit);
    return t.indefinite ? null : t;
  } catch (e) {
    if (e instanceof DerError) return null;
    throw e;
  }
}

/** The elements directly inside a constructed element, or null. */
export function tryChildren(buf: Uint8Array, parent: Tlv): Tlv[] | null {
  const out: Tlv[] = [];
  let p = parent.valueStart;
  while (p < parent.valueEnd) {
    const t = tryTlv(buf, p, parent.valueEnd);
    if (!t) return null;
    out.push(t);
    p = t.end;
  }
  return out;
}

/** Walks a path of child indexes from the root element, e.g. [0, 3] = tbs → 4th field. */
export function tryPath(der: Uint8Array, path: number[]): Tlv | null {
  let cur = tryTlv(der, 0);
  for (const i of path) {
    if (!cur) return null;
    const kids = tryChildren(der, cur);
    if (!kids || i >= kids.length) return null;
    cur = kids[i];
  }
  return cur;
}

/** Dotted form of a whole DER OBJECT IDENTIFIER (tag included), or null. */
export function tryOid(der: Uint8Array): string | null {
  const t = tryTlv(der, 0);
  if (!t || t.tag !== TAG.OID || t.end !== der.length) return null;
  try {
    return decodeOid(der.subarray(t.valueStart, t.valueEnd));
  } catch (e) {
    if (e instanceof DerError) return null;
    throw e;
  }
}

/**
 * For any SIGNED{...} structure — SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING } — the raw tbs bytes
 * and the signature value (BIT STRING content without the unused-bits octet). The outer element must
 * span the whole input: trailing bytes are refused. `allowMore` admits fields after the signature
 * (BasicOCSPResponse's certs [0]).
 */
export function splitSigned(der: Uint8Array, allowMore = false): { tbs: Buffer; algorithm: Buffer; signature: Buffer } | null {
  const outer = tryTlv(der, 0);
  if (!outer || outer.tag !== TAG.SEQUENCE || outer.end !== der.length) return null;
  const parts = tryChildren(der, outer);
  if (!parts || parts.length < 3 || (parts.length > 3 && !allowMore)) return null;
  const [tbs, alg, sig] = parts;
  if (tbs.tag !== TAG.SEQUENCE || alg.tag !== TAG.SEQUENCE || sig.tag !== TAG.BIT_STRING) return null;
  const bits = valueOf(der, sig);
  if (bits.length < 1 || bits[0] !== 0) return null;
  return { tbs: bytesOf(der, tbs), algorithm: bytesOf(der, alg), signature: bits.subarray(1) };
}

/**
 * True when `der` is exactly one element whose every constructed descendant is exactly filled by its
 * children. The ASN.1 library is lenient about lengths that overrun their parent; this check runs
 * first so malformed framing is refused instead of being read some lenient way.
 */
export function isWellFormed(der: Uint8Array, maxDepth = 32): boolean {
  const top = tryTlv(der, 0);
  if (!top || top.end !== der.length) return false;
  const walk = (t: Tlv, depth: number): boolean => {
    if (!t.constructed) return true;
    if (depth > maxDepth) return false;
    const kids = tryChildren(der, t);
    return !!kids && kids.every((k) => walk(k, depth + 1));
  };
  return walk(top, 0);
}

// ---------- writing (always DER) ----------

export function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function headerLength(n: number): number {
  if (n < 0x80) return 2;
  let k = 0;
  for (let v = n; v > 0; v = Math.floor(v / 256)) k++;
  return 2 + k;
}

/** DER element from already-encoded parts; allocates once (this sits on the signing hot path). */
export function der(tag: number, ...parts: Uint8Array[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = Buffer.allocUnsafe(headerLength(len) + len);
  out[0] = tag;
  let o = 1;
  if (len < 0x80) {
    out[o++] = len;
  } else {
    const l = encodeLength(len);
    out.set(l, o);
    o += l.length;
  }
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const oidCache = new Map<string, Buffer>();

export function encodeOid(oid: string): Buffer {
  const hit = oidCache.get(oid);
  if (hit) return hit;
  const arcs = oid.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new Error(`bad OID ${oid}`);
  const body: number[] = [];
  const push = (v: bigint): void => {
    const tmp: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) tmp.unshift(Number(v & 0x7fn) | 0x80);
    body.push(...tmp);
  };
  push(arcs[0] * 40n + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  const out = der(TAG.OID, Buffer.from(body));
  oidCache.set(oid, out);
  return out;
}

export const DER_NULL = Buffer.from([0x05, 0x00]);

/** INTEGER from a non-negative small number. */
export function encodeSmallInt(n: number): Buffer {
  if (n < 0 || n > 127) throw new Error('encodeSmallInt: 0..127 only');
  return Buffer.from([TAG.INTEGER, 1, n]);
}

/** INTEGER from unsigned big-endian magnitude bytes (adds the sign octet when needed). */
export function encodeUnsignedInt(mag: Uint8Array): Buffer {
  let i = 0;
  while (i < mag.length - 1 && mag[i] === 0) i++;
  const m = mag.subarray(i);
  return m.length > 0 && m[0] & 0x80 ? der(TAG.INTEGER, Buffer.from([0]), m) : der(TAG.INTEGER, m.length ? m : Buffer.from([0]));
}

export const octetString = (b: Uint8Array): Buffer => der(TAG.OCTET_STRING, b);

export function algorithmId(oid: string, params?: Uint8Array | null): Buffer {
  return params ? der(TAG.SEQUENCE, encodeOid(oid), params) : der(TAG.SEQUENCE, encodeOid(oid));
}

/** UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5652 §11.3 signingTime rule). */
export function encodeTime(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const rest = p2(d.getUTCMonth() + 1) + p2(d.getUTCDate()) + p2(d.getUTCHours()) + p2(d.getUTCMinutes()) + p2(d.getUTCSeconds()) + 'Z';
  if (y >= 1950 && y < 2050) return der(TAG.UTC_TIME, Buffer.from(p2(y % 100) + rest, 'latin1'));
  return der(TAG.GENERALIZED_TIME, Buffer.from(String(y).padStart(4, '0') + rest, 'latin1'));
}

export function decodeTime(buf: Uint8Array, t: Tlv): Date | undefined {
  const s = valueOf(buf, t).toString('latin1');
  const m =
    t.tag === TAG.UTC_TIME
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s)
      : t.tag === TAG.GENERALIZED_TIME
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(s)
        : null;
  if (!m) return undefined;
  let year = Number(m[1]);
  if (t.tag === TAG.UTC_TIME) year += year < 50 ? 2000 : 1900;
  const d = new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** DER SET OF: members sorted as octet strings (X.690 §11.6), which signed attributes must obey. */
export function derSetOf(members: Uint8Array[], tag: number = TAG.SET): Buffer {
  const sorted = [...members].sort(compareDer);
  return der(tag, ...sorted);
}

function compareDer(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** A small non-negative INTEGER (versions and the like, at most two octets). */
export function readSmallInt(buf: Buffer, t: Tlv | undefined, what: string): number {
  const v = valueOf(buf, expectTag(t, TAG.INTEGER, what));
  if (v.length === 0 || v.length > 2) throw new Error(`${what}: unexpected INTEGER size`);
  return v.readUIntBE(0, v.length);
}
