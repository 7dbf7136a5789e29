/**
 * Minimal DER TLV reader.
 *
 * Why it exists: a signature covers the exact bytes the signer produced. Re-serialising a parsed
 * structure can change them (a non-minimal length, a different string type, a DEFAULT that was
 * encoded anyway) and then a perfectly valid signature "fails". So every verifier in this folder
 * slices the signed part (tbsCertificate, tbsCertList, tbsResponseData) out of the original bytes.
 *
 * Every function returns `null` on malformed input instead of throwing: these bytes come from the
 * network and from the HIS.
 */

import { decodeOid as decodeOidContent, DerError, readTlv as readAnyTlv } from './tlv';

export { encodeOid } from './tlv';

export interface Tlv {
  /** First identifier octet (single-byte tags only; X.509 never needs more). */
  tag: number;
  /** Offset of the identifier octet within the buffer. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet. */
  end: number;
}

/**
 * Reads one TLV at `offset`, bounded by `limit` (defaults to the buffer's end). The byte-level reading
 * is tlv.ts's; this adds the strict-DER rule (no BER indefinite lengths, which X.509, CRLs and OCSP
 * must not contain) and the null-on-malformed contract.
 */
export function readTlv(buf: Uint8Array, offset = 0, limit = buf.length): Tlv | null {
  if (offset < 0 || limit > buf.length) return null;
  try {
    const t = readAnyTlv(buf, offset, limit);
    return t.indefinite ? null : { tag: t.tag, start: t.start, contentStart: t.valueStart, end: t.end };
  } catch (e) {
    if (e instanceof DerError) return null;
    throw e;
  }
}

/** The TLVs directly inside a constructed element. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] | null {
  const out: Tlv[] = [];
  let p = parent.contentStart;
  while (p < parent.end) {
    const t = readTlv(buf, p, parent.end);
    if (!t) return null;
    out.push(t);
    p = t.end;
  }
  return out;
}

export function tlvBytes(buf: Uint8Array, t: Tlv): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + t.start, t.end - t.start);
}

export function tlvContent(buf: Uint8Array, t: Tlv): Buffer {
  return Buffer.from(buf.buffer, buf.byteOffset + t.contentStart, t.end - t.contentStart);
}

/**
 * For any SIGNED{...} structure — SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING } — returns the
 * raw tbs bytes and the signature value (BIT STRING content without the unused-bits octet).
 * The outer element must span the whole input: trailing bytes are refused. `allowMore` admits
 * fields after the signature (BasicOCSPResponse's certs [0]).
 */
export function splitSigned(der: Uint8Array, allowMore = false): { tbs: Buffer; algorithm: Buffer; signature: Buffer } | null {
  const outer = readTlv(der, 0);
  if (!outer || outer.tag !== 0x30 || outer.end !== der.length) return null;
  const parts = children(der, outer);
  if (!parts || parts.length < 3 || (parts.length > 3 && !allowMore)) return null;
  const [tbs, alg, sig] = parts;
  if (tbs.tag !== 0x30 || alg.tag !== 0x30 || sig.tag !== 0x03) return null;
  const bits = tlvContent(der, sig);
  if (bits.length < 1 || bits[0] !== 0) return null;
  return { tbs: tlvBytes(der, tbs), algorithm: tlvBytes(der, alg), signature: bits.subarray(1) };
}

/** Walks a path of child indexes from the root element, e.g. [0, 3] = tbs → 4th field. */
export function tlvAt(der: Uint8Array, path: number[]): Tlv | null {
  let cur = readTlv(der, 0);
  for (const i of path) {
    if (!cur) return null;
    const kids = children(der, cur);
    if (!kids || i >= kids.length) return null;
    cur = kids[i];
  }
  return cur;
}

/** Strips a PEM armour of the given label (or any label) and returns the DER, or null. */
export function pemToDer(text: string, label?: string): Buffer | null {
  const re = label
    ? new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`)
    : /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;
  const m = re.exec(text);
  if (!m) return null;
  const body = (label ? m[1] : m[2]).replace(/[\r\n\t ]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return null;
  const der = Buffer.from(body, 'base64');
  return der.length ? der : null;
}

/** All PEM blocks of a label in a text (a CA bundle file). */
export function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  const out: Buffer[] = [];
  for (const m of text.matchAll(re)) {
    const body = m[1].replace(/[\r\n\t ]/g, '');
    if (/^[A-Za-z0-9+/]*={0,2}$/.test(body) && body.length) out.push(Buffer.from(body, 'base64'));
  }
  return out;
}

export { pemEncode as derToPem } from '../algorithms/keys';

/** Accepts DER bytes, or PEM text/bytes of `label`. */
export function toDer(input: Uint8Array | string, label: string): Buffer | null {
  if (typeof input === 'string') return pemToDer(input, label);
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // A DER certificate starts with SEQUENCE (0x30); PEM starts with '-' (0x2d).
  if (buf.length && buf[0] === 0x2d) return pemToDer(buf.toString('latin1'), label);
  return buf;
}

/** Dotted form of a DER OBJECT IDENTIFIER (tag included), or null. */
export function decodeOid(der: Uint8Array): string | null {
  const t = readTlv(der, 0);
  if (!t || t.tag !== 0x06 || t.end !== der.length) return null;
  try {
    return decodeOidContent(der.subarray(t.contentStart, t.end));
  } catch (e) {
    if (e instanceof DerError) return null;
    throw e;
  }
}

/**
 * True when `der` is exactly one element whose every constructed descendant is exactly filled by
 * its children. The ASN.1 library is lenient about lengths that overrun their parent; this check
 * runs first so malformed framing is refused instead of being read some lenient way.
 */
export function isWellFormed(der: Uint8Array, maxDepth = 32): boolean {
  const top = readTlv(der, 0);
  if (!top || top.end !== der.length) return false;
  const walk = (t: Tlv, depth: number): boolean => {
    if (!(t.tag & 0x20)) return true;
    if (depth > maxDepth) return false;
    const kids = children(der, t);
    return !!kids && kids.every((k) => walk(k, depth + 1));
  };
  return walk(top, 0);
}
