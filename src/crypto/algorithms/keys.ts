/**
 * Key loading and export. SM2 keys become the hex form sm-crypto-v2 needs (64-hex scalar, 04‖x‖y point);
 * RSA keys stay Node KeyObjects. SM2 PKCS#8/SEC1 are decoded here rather than through Node because Node
 * cannot export an SM2 key as JWK and some GM tools put the SM2 OID where OpenSSL expects ecPublicKey.
 */
import { createPrivateKey, createPublicKey, ECDH, KeyObject } from 'node:crypto';
import { OID } from '../asn1/oids';
import { pemDecode, pemEncode } from '../asn1/pem';
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
} from '../asn1/der';

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

/** An SM2 public key: 130 hex digits, 04‖x‖y. */
export interface Sm2PublicKey {
  readonly kind: 'sm2';
  readonly hex: string;
}

export interface RsaPublicKey {
  readonly kind: 'rsa';
  readonly key: KeyObject;
}

/** Another CA's ECDSA key (P-256 and the like): certificates signed with it can be verified, nothing else. */
export interface EcPublicKey {
  readonly kind: 'ec';
  readonly key: KeyObject;
  readonly curveOid: string;
}

/** A key this code cannot use; kept so a certificate that holds one still parses and can be reported. */
export interface UnsupportedPublicKey {
  readonly kind: 'unsupported';
  readonly algorithmOid: string;
}

/**
 * The one public-key type of src/crypto. Signing, encryption and CMS take SM2 and RSA keys only and
 * narrow on `kind`; certificate chains also verify with `ec`.
 */
export type PublicKey = Sm2PublicKey | RsaPublicKey | EcPublicKey | UnsupportedPublicKey;

const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

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

/**
 * The key in a SubjectPublicKeyInfo DER. Malformed DER throws DerError; a well-formed key of an
 * algorithm or curve this code cannot use comes back as `unsupported` (or `ec` for other curves, which
 * chains can still verify), so a certificate holding one still parses.
 */
export function publicKeyFromSpki(spki: Uint8Array): PublicKey {
  const buf = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength);
  const root = readRoot(buf);
  const [algT, bitsT] = childrenOf(buf, expectTag(root, TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  const alg = childrenOf(buf, expectTag(algT, TAG.SEQUENCE, 'algorithm'));
  const algOid = readOid(buf, alg[0], 'algorithm');
  const bits = valueOf(buf, expectTag(bitsT, TAG.BIT_STRING, 'subjectPublicKey'));
  const unsupported: UnsupportedPublicKey = { kind: 'unsupported', algorithmOid: algOid };
  const nodeKey = (): KeyObject | undefined => {
    try {
      return createPublicKey({ key: buf, format: 'der', type: 'spki' });
    } catch {
      return undefined;
    }
  };
  if (algOid === OID.rsaEncryption) {
    const key = nodeKey();
    return key ? { kind: 'rsa', key } : unsupported;
  }
  if (algOid !== OID.ecPublicKey && algOid !== OID.sm2) return unsupported;
  const curve = alg[1]?.tag === TAG.OID ? readOid(buf, alg[1], 'curve') : undefined;
  if (algOid === OID.sm2 || curve === OID.sm2) {
    if (bits[0] !== 0) return unsupported; // unused bits in a point
    try {
      return { kind: 'sm2', hex: decodePoint(bits.subarray(1).toString('hex')) };
    } catch {
      return unsupported;
    }
  }
  if (!curve) return unsupported; // EC parameters spelt out instead of a named curve: nobody issues those
  const key = nodeKey();
  return key ? { kind: 'ec', key, curveOid: curve } : unsupported;
}

/** SubjectPublicKeyInfo DER of a key (SM2 as OpenSSL writes it: ecPublicKey with the SM2 curve). */
export function publicKeyToSpki(pub: PublicKey): Buffer {
  if (pub.kind === 'sm2') return sm2PublicKeyToSpki(pub.hex);
  if (pub.kind === 'unsupported') throw new Error(`cannot encode a key of algorithm ${pub.algorithmOid}`);
  return pub.key.export({ type: 'spki', format: 'der' });
}

/**
 * Public key from: SM2 point hex (64/65 bytes), PEM "PUBLIC KEY", SPKI DER, or a Node KeyObject (RSA).
 */
export function loadPublicKey(input: string | Uint8Array | KeyObject): PublicKey {
  const k = readPublicKey(input);
  if (k.kind === 'unsupported') throw new DerError(`unsupported public key algorithm ${k.algorithmOid}`);
  return k;
}

function readPublicKey(input: string | Uint8Array | KeyObject): PublicKey {
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
