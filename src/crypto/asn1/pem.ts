/**
 * PEM armour (RFC 7468) around DER: keys, certificates, CRLs and CA bundles all pass through here.
 * Reading is forgiving where real files are (CRLF, indentation, RFC 1421 headers such as Proc-Type on
 * encrypted keys) and strict where it matters (the body must be Base64, nothing else).
 */

export interface PemBlock {
  label: string;
  der: Buffer;
  /** a legacy encrypted key (Proc-Type: 4,ENCRYPTED) or PKCS#8 ENCRYPTED PRIVATE KEY */
  encrypted: boolean;
}

export function pemEncode(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

const ANY_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const escape = (label: string): string => label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The DER of one block body: header lines ("Name: value") dropped, the rest Base64 or nothing. */
function bodyDer(body: string): Buffer | null {
  const b64 = body
    .split(/\r?\n/)
    .filter((l) => !l.includes(':'))
    .join('')
    .replace(/\s+/g, '');
  if (!b64 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return null;
  return Buffer.from(b64, 'base64');
}

function blocks(text: string, label?: string): PemBlock[] {
  const re = label ? new RegExp(`-----BEGIN (${escape(label)})-----([\\s\\S]*?)-----END ${escape(label)}-----`, 'g') : ANY_BLOCK;
  const out: PemBlock[] = [];
  for (const m of text.matchAll(re)) {
    const der = bodyDer(m[2]);
    if (der) out.push({ label: m[1], der, encrypted: /Proc-Type:\s*4,ENCRYPTED/.test(m[2]) || m[1] === 'ENCRYPTED PRIVATE KEY' });
  }
  return out;
}

/** The first well-formed block (of `label`, when given), or null. */
export function pemDecode(text: string, label?: string): PemBlock | null {
  return blocks(text, label)[0] ?? null;
}

/** Every block of a label in a text, e.g. the certificates of a CA bundle file. */
export function pemBlocks(text: string, label: string): Buffer[] {
  return blocks(text, label).map((b) => b.der);
}

/** DER bytes as they are, or PEM text/bytes of `label` decoded; null when PEM without such a block. */
export function toDer(input: Uint8Array | string, label: string): Buffer | null {
  if (typeof input === 'string') return pemDecode(input, label)?.der ?? null;
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  // DER starts with a SEQUENCE (0x30); PEM with '-' (0x2d).
  if (buf.length && buf[0] === 0x2d) return pemDecode(buf.toString('latin1'), label)?.der ?? null;
  return buf;
}

/** A certificate given as DER bytes, PEM text, or bare Base64 text (how configuration holds them) → DER. */
export function certificateDer(input: string | Uint8Array): Buffer {
  if (typeof input !== 'string') return Buffer.from(input);
  return pemDecode(input)?.der ?? Buffer.from(input.replace(/\s+/g, ''), 'base64');
}
