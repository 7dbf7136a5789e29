/**
 * Key loading and export. SM2 keys become the hex form sm-crypto-v2 needs (64-hex scalar, 04‖x‖y point);
 * RSA keys stay Node KeyObjects. SM2 PKCS#8/SEC1 are decoded here rather than through Node because Node
 * cannot export an SM2 key as JWK and some GM tools put the SM2 OID where OpenSSL expects ecPublicKey.
 */
import { createPrivateKey, createPublicKey, ECDH, KeyObject } from 'node:crypto';
import { OID } from '../asn1/oids';
import { normalisePublicKey, publicKeyFromPrivate } from './sm2';
import {
  childrenOf,
  ctx,
  der,
  DerError,
  encodeOid,
  encodeSmallInt,
  expectTag,
  octetString,
  readOid,
  readRoot,
  TAG,
  valueOf,
} from '../asn1/tlv';

export interface Sm2PrivateKey {
  readonly kind: 'sm2';
  /** 64 hex digits */
  readonly privateKey: string;
  /** 130 hex digits, 04‖x‖y */
  readonly publicKey: string;
}

export interface RsaPrivateKey {
  readonly kind: 'rsa';
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export type PrivateKey = Sm2PrivateKey | RsaPrivateKey;

// Shapes match pki-alg.ts (the X.509 side) so keys pass between the two without conversion.
export interface Sm2PublicKey {
  readonly kind: 'sm2';
  /** 130 hex digits, 04‖x‖y */
  readonly hex: string;
}

export interface RsaPublicKey {
  readonly kind: 'rsa';
  readonly key: KeyObject;
}

export type PublicKey = Sm2PublicKey | RsaPublicKey;

const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

// ---------- PEM ----------

export function pemEncode(derBytes: Uint8Array, label: string): string {
  const b64 = Buffer.from(derBytes).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/** First PEM block in `text`; headers such as Proc-Type are skipped. */
export function pemDecode(text: string): { label: string; der: Buffer; encrypted: boolean } | null {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (!m) return null;
  const body = m[2];
  const encrypted = /Proc-Type:\s*4,ENCRYPTED/.test(body) || m[1] === 'ENCRYPTED PRIVATE KEY';
  const b64 = body
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.includes(':'))
    .join('');
  return { label: m[1], der: Buffer.from(b64, 'base64'), encrypted };
}

/** A certificate given as DER bytes, PEM text, or base64 text → DER. */
export function certificateDer(input: string | Uint8Array): Buffer {
  if (typeof input !== 'string') return Buffer.from(input);
  const pem = pemDecode(input);
  if (pem) return pem.der;
  return Buffer.from(input.replace(/\s+/g, ''), 'base64');
}

// ---------- SM2 private keys ----------

export function sm2PrivateKey(privateKeyHex: string, publicKeyHex?: string): Sm2PrivateKey {
  const d = privateKeyHex.toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{1,64}$/.test(d)) throw new Error('SM2 private key must be up to 64 hex digits');
  const v = BigInt('0x' + d);
  if (v <= 0n || v >= SM2_N - 1n) throw new Error('SM2 private key out of range');
  const privateKey = d.padStart(64, '0');
  const derived = publicKeyFromPrivate(privateKey);
  if (publicKeyHex && normalisePublicKey(publicKeyHex) !== derived) throw new Error('SM2 public key does not match the private key');
  return { kind: 'sm2', privateKey, publicKey: derived };
}

/**
 * SM2 private key from: 64 hex digits; PEM "PRIVATE KEY" (PKCS#8), "EC PRIVATE KEY" (SEC1),
 * "ENCRYPTED PRIVATE KEY" (with passphrase); or the DER of PKCS#8/SEC1.
 */
export function loadSm2PrivateKey(input: string | Uint8Array, passphrase?: string): Sm2PrivateKey {
  const k = loadPrivateKey(input, passphrase);
  if (k.kind !== 'sm2') throw new Error('not an SM2 private key');
  return k;
}

export function loadRsaPrivateKey(input: string | Uint8Array | KeyObject, passphrase?: string): RsaPrivateKey {
  const k = loadPrivateKey(input, passphrase);
  if (k.kind !== 'rsa') throw new Error('not an RSA private key');
  return k;
}

/** Detects the key type; see loadSm2PrivateKey for the accepted SM2 encodings. RSA goes through Node. */
export function loadPrivateKey(input: string | Uint8Array | KeyObject, passphrase?: string): PrivateKey {
  if (input instanceof KeyObject) return fromKeyObject(input);
  if (typeof input === 'string') {
    const trimmed = input.trim();
    if (/^(0x)?[0-9a-fA-F]{64}$/.test(trimmed)) return sm2PrivateKey(trimmed);
    const pem = pemDecode(trimmed);
    if (!pem) throw new Error('private key is neither 64 hex digits nor PEM');
    if (pem.encrypted) return fromKeyObject(createPrivateKey({ key: trimmed, format: 'pem', passphrase }));
    if (pem.label === 'RSA PRIVATE KEY') return fromKeyObject(createPrivateKey({ key: trimmed, format: 'pem' }));
    return fromDer(pem.der);
  }
  return fromDer(Buffer.from(input));
}

function fromKeyObject(key: KeyObject): PrivateKey {
  if (key.type !== 'private') throw new Error('expected a private key');
  if (key.asymmetricKeyType === 'rsa') return { kind: 'rsa', privateKey: key, publicKey: createPublicKey(key) };
  // Node reports SM2 keys with an undefined type; its PKCS#8 export is still standard.
  return fromDer(key.export({ format: 'der', type: 'pkcs8' }));
}

function fromDer(buf: Buffer): PrivateKey {
  let root;
  try {
    root = readRoot(buf);
  } catch (e) {
    throw new Error(`private key is not valid DER: ${(e as Error).message}`);
  }
  const parts = childrenOf(buf, expectTag(root, TAG.SEQUENCE, 'private key'));
  const version = parts[0] ? valueOf(buf, expectTag(parts[0], TAG.INTEGER, 'version')) : Buffer.alloc(0);
  // SEC1 ECPrivateKey has version 1 and an OCTET STRING second; PKCS#1 RSAPrivateKey has 9 INTEGERs.
  if (parts.length >= 2 && parts[1].tag === TAG.OCTET_STRING && version.equals(Buffer.from([1]))) return fromSec1(buf, parts);
  if (parts.length >= 9 && parts.every((p) => p.tag === TAG.INTEGER)) {
    return fromKeyObject(createPrivateKey({ key: buf, format: 'der', type: 'pkcs1' }));
  }
  const alg = childrenOf(buf, expectTag(parts[1], TAG.SEQUENCE, 'privateKeyAlgorithm'));
  const algOid = readOid(buf, alg[0], 'privateKeyAlgorithm');
  if (algOid === OID.rsaEncryption) return fromKeyObject(createPrivateKey({ key: buf, format: 'der', type: 'pkcs8' }));
  if (algOid !== OID.ecPublicKey && algOid !== OID.sm2) throw new Error(`unsupported private key algorithm ${algOid}`);
  if (alg[1] && alg[1].tag === TAG.OID) assertSm2Curve(readOid(buf, alg[1], 'curve'));
  const inner = valueOf(buf, expectTag(parts[2], TAG.OCTET_STRING, 'privateKey'));
  const innerRoot = readRoot(inner);
  return fromSec1(inner, childrenOf(inner, expectTag(innerRoot, TAG.SEQUENCE, 'ECPrivateKey')));
}

function fromSec1(buf: Buffer, parts: ReturnType<typeof childrenOf>): Sm2PrivateKey {
  const d = valueOf(buf, expectTag(parts[1], TAG.OCTET_STRING, 'ECPrivateKey.privateKey'));
  let pub: string | undefined;
  for (const p of parts.slice(2)) {
    if (p.tag === ctx(0)) {
      const [curve] = childrenOf(buf, p);
      assertSm2Curve(readOid(buf, curve, 'ECPrivateKey.parameters'));
    } else if (p.tag === ctx(1)) {
      const [bits] = childrenOf(buf, p);
      const v = valueOf(buf, expectTag(bits, TAG.BIT_STRING, 'ECPrivateKey.publicKey'));
      pub = v.subarray(1).toString('hex');
    }
  }
  return sm2PrivateKey(d.toString('hex'), pub ? decodePoint(pub) : undefined);
}

function assertSm2Curve(oid: string): void {
  if (oid !== OID.sm2) throw new Error(`EC key is on curve ${oid}, not SM2`);
}

/** Uncompressed hex from any SEC1 point encoding (GM tools sometimes store compressed points). */
function decodePoint(hex: string): string {
  if (hex.startsWith('04') && hex.length === 130) return hex;
  if ((hex.startsWith('02') || hex.startsWith('03')) && hex.length === 66) {
    return ECDH.convertKey(hex, 'SM2', 'hex', 'hex', 'uncompressed') as string;
  }
  if (hex.length === 128) return '04' + hex;
  throw new Error('unsupported SM2 point encoding');
}

// ---------- public keys ----------

/** SM2 or RSA public key from a SubjectPublicKeyInfo DER. Throws DerError/Error on anything else. */
export function publicKeyFromSpki(spki: Uint8Array): PublicKey {
  const buf = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength);
  const root = readRoot(buf);
  const [algT, bitsT] = childrenOf(buf, expectTag(root, TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  const alg = childrenOf(buf, expectTag(algT, TAG.SEQUENCE, 'algorithm'));
  const algOid = readOid(buf, alg[0], 'algorithm');
  if (algOid === OID.rsaEncryption) return { kind: 'rsa', key: createPublicKey({ key: buf, format: 'der', type: 'spki' }) };
  if (algOid !== OID.ecPublicKey && algOid !== OID.sm2) throw new DerError(`unsupported public key algorithm ${algOid}`);
  if (alg[1] && alg[1].tag === TAG.OID) {
    const curve = readOid(buf, alg[1], 'curve');
    if (curve !== OID.sm2) throw new DerError(`EC public key on curve ${curve}, not SM2`);
  } else if (algOid === OID.ecPublicKey) {
    throw new DerError('EC public key without a named curve');
  }
  const bits = valueOf(buf, expectTag(bitsT, TAG.BIT_STRING, 'subjectPublicKey'));
  if (bits[0] !== 0) throw new DerError('public key BIT STRING has unused bits');
  return { kind: 'sm2', hex: decodePoint(bits.subarray(1).toString('hex')) };
}

/**
 * Public key from: SM2 point hex (64/65 bytes), PEM "PUBLIC KEY", SPKI DER, or a Node KeyObject (RSA).
 */
export function loadPublicKey(input: string | Uint8Array | KeyObject): PublicKey {
  if (input instanceof KeyObject) {
    if (input.asymmetricKeyType === 'rsa') return { kind: 'rsa', key: input.type === 'private' ? createPublicKey(input) : input };
    return publicKeyFromSpki(createPublicKey(input).export({ format: 'der', type: 'spki' }));
  }
  if (typeof input === 'string') {
    const t = input.trim();
    if (/^[0-9a-fA-F]{128,130}$/.test(t)) return { kind: 'sm2', hex: decodePoint(t.toLowerCase()) };
    const pem = pemDecode(t);
    if (!pem) throw new Error('public key is neither point hex nor PEM');
    if (pem.label === 'RSA PUBLIC KEY') return { kind: 'rsa', key: createPublicKey({ key: t, format: 'pem' }) };
    return publicKeyFromSpki(pem.der);
  }
  return publicKeyFromSpki(input);
}

export function sm2PublicKeyToSpki(publicKeyHex: string): Buffer {
  const point = Buffer.from(normalisePublicKey(publicKeyHex), 'hex');
  return der(
    TAG.SEQUENCE,
    der(TAG.SEQUENCE, encodeOid(OID.ecPublicKey), encodeOid(OID.sm2)),
    der(TAG.BIT_STRING, Buffer.from([0]), point),
  );
}

export const sm2PublicKeyToPem = (publicKeyHex: string): string => pemEncode(sm2PublicKeyToSpki(publicKeyHex), 'PUBLIC KEY');

/** SEC1 ECPrivateKey (RFC 5915) with curve and public key, as `openssl ec` writes it. */
export function sm2PrivateKeyToSec1(key: Sm2PrivateKey): Buffer {
  return der(
    TAG.SEQUENCE,
    encodeSmallInt(1),
    octetString(Buffer.from(key.privateKey, 'hex')),
    der(ctx(0), encodeOid(OID.sm2)),
    der(ctx(1), der(TAG.BIT_STRING, Buffer.from([0]), Buffer.from(key.publicKey, 'hex'))),
  );
}

/** PKCS#8 PrivateKeyInfo with ecPublicKey + SM2 curve, as OpenSSL writes it. */
export function sm2PrivateKeyToPkcs8(key: Sm2PrivateKey): Buffer {
  const ecPrivateKey = der(
    TAG.SEQUENCE,
    encodeSmallInt(1),
    octetString(Buffer.from(key.privateKey, 'hex')),
    der(ctx(1), der(TAG.BIT_STRING, Buffer.from([0]), Buffer.from(key.publicKey, 'hex'))),
  );
  return der(
    TAG.SEQUENCE,
    encodeSmallInt(0),
    der(TAG.SEQUENCE, encodeOid(OID.ecPublicKey), encodeOid(OID.sm2)),
    octetString(ecPrivateKey),
  );
}

export function sm2PrivateKeyToPem(key: Sm2PrivateKey, format: 'pkcs8' | 'sec1' = 'pkcs8'): string {
  return format === 'sec1' ? pemEncode(sm2PrivateKeyToSec1(key), 'EC PRIVATE KEY') : pemEncode(sm2PrivateKeyToPkcs8(key), 'PRIVATE KEY');
}

export function publicOf(key: PrivateKey): PublicKey {
  return key.kind === 'sm2' ? { kind: 'sm2', hex: key.publicKey } : { kind: 'rsa', key: key.publicKey };
}
