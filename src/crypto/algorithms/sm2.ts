/**
 * SM2 (GM/T 0003) over sm-crypto-v2, with a byte-oriented API.
 *
 * Signatures are DER SEQUENCE{r,s} computed over SM3(Z‖M), Z taken with the GM/T 0009 default user ID
 * unless another is given. Public keys are uncompressed hex ("04"‖x‖y); private keys are 64-hex scalars.
 * Verification of a key seen more than once should go through `publicKeyTable`, which caches the
 * precomputed multiplication table (≈60 ms to build, 4–5× faster verify/encrypt afterwards).
 */
import { createECDH, createHash } from 'node:crypto';
import { sm2 } from 'sm-crypto-v2';

export const DEFAULT_USER_ID = '1234567812345678';

export interface Sm2KeyPair {
  privateKey: string;
  publicKey: string;
}

type PublicKeyPoint = ReturnType<typeof sm2.precomputePublicKey>;

export function generateSm2KeyPair(): Sm2KeyPair {
  const kp = sm2.generateKeyPairHex();
  return { privateKey: kp.privateKey, publicKey: normalisePublicKey(kp.publicKey) };
}

export function publicKeyFromPrivate(privateKey: string): string {
  return normalisePublicKey(sm2.getPublicKeyFromPrivateKey(privateKey));
}

/** Accepts 64-byte (x‖y), 65-byte (04‖x‖y) hex; returns the 65-byte form. */
export function normalisePublicKey(pub: string): string {
  const h = pub.toLowerCase();
  if (h.length === 128) return '04' + h;
  if (h.length === 130 && h.startsWith('04')) return h;
  throw new Error('SM2 public key must be 64 or 65 bytes uncompressed');
}

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

const zCache = new Map<string, Buffer>();

/** Z = SM3(ENTL‖ID‖a‖b‖xG‖yG‖xA‖yA), cached per (key, ID): it never changes for a key. */
export function sm2Z(publicKey: string, userId = DEFAULT_USER_ID): Buffer {
  const k = publicKey + '|' + userId;
  let z = zCache.get(k);
  if (!z) {
    z = Buffer.from(sm2.getZ(normalisePublicKey(publicKey), userId));
    if (zCache.size > 1024) zCache.clear();
    zCache.set(k, z);
  }
  return z;
}

/** e = SM3(Z‖M), the value SM2 actually signs (what HSM "SM2 预处理" APIs take). */
export function sm2Digest(message: Uint8Array, publicKey: string, userId = DEFAULT_USER_ID): Buffer {
  return createHash('sm3').update(sm2Z(publicKey, userId)).update(message).digest();
}

/** SM2 signature (DER) over message bytes; Z is computed from publicKey and userId. */
export function sm2Sign(message: Uint8Array, privateKey: string, publicKey?: string, userId = DEFAULT_USER_ID): Buffer {
  const pub = publicKey ?? publicKeyFromPrivate(privateKey);
  return sm2SignDigest(sm2Digest(message, pub, userId), privateKey);
}

const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const ecdh = createECDH('SM2');
const invCache = new Map<string, { d: bigint; inv: bigint }>();

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % m) + m) % m;
}

function derInt(v: bigint): Buffer {
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  if (parseInt(h.slice(0, 2), 16) & 0x80) h = '00' + h;
  const b = Buffer.from(h, 'hex');
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

/**
 * SM2 signature (DER) over a precomputed e = SM3(Z‖M).
 * The random point k·G comes from OpenSSL (Node's ECDH on the SM2 curve, ~1.5× faster than the JS
 * multiplication); the rest is the GM/T 0003 formula s = (1+d)⁻¹·(k − r·d) mod n in BigInt.
 */
export function sm2SignDigest(e: Uint8Array, privateKey: string): Buffer {
  let cached = invCache.get(privateKey);
  if (!cached) {
    const d = BigInt('0x' + privateKey);
    cached = { d, inv: modInverse(d + 1n, N) };
    if (invCache.size > 64) invCache.clear();
    invCache.set(privateKey, cached);
  }
  const { d, inv } = cached;
  const eInt = BigInt('0x' + hex(e));
  for (;;) {
    ecdh.generateKeys();
    const k = BigInt('0x' + ecdh.getPrivateKey('hex'));
    const x1 = BigInt('0x' + ecdh.getPublicKey('hex', 'uncompressed').slice(2, 66));
    const r = (eInt + x1) % N;
    if (r === 0n || r + k === N) continue;
    const s = (inv * (((k - r * d) % N) + N)) % N;
    if (s === 0n) continue;
    const body = Buffer.concat([derInt(r), derInt(s)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  }
}

export function sm2Verify(
  message: Uint8Array,
  signatureDer: Uint8Array,
  publicKey: string | PublicKeyPoint,
  userId = DEFAULT_USER_ID,
): boolean {
  try {
    const pubHex = typeof publicKey === 'string' ? normalisePublicKey(publicKey) : publicKey.toHex(false);
    return sm2VerifyDigest(sm2Digest(message, pubHex, userId), signatureDer, typeof publicKey === 'string' ? pubHex : publicKey);
  } catch {
    return false;
  }
}

/** Verifies a DER signature over a precomputed e = SM3(Z‖M). Non-canonical DER is refused first:
 * sm-crypto-v2's decoder accepts malformed encodings (a wrong outer tag still verified). */
export function sm2VerifyDigest(e: Uint8Array, signatureDer: Uint8Array, publicKey: string | PublicKeyPoint): boolean {
  if (!isStrictSm2Signature(signatureDer)) return false;
  try {
    return sm2.doVerifySignature(e, hex(signatureDer), publicKey, { der: true, hash: false });
  } catch {
    return false;
  }
}

const tableCache = new Map<string, PublicKeyPoint>();
const TABLE_CACHE_MAX = 256;

/** Precomputed table for a public key, kept in a small LRU keyed by the key itself. */
export function publicKeyTable(publicKey: string): PublicKeyPoint {
  const key = normalisePublicKey(publicKey);
  const hit = tableCache.get(key);
  if (hit) {
    tableCache.delete(key);
    tableCache.set(key, hit);
    return hit;
  }
  const table = sm2.precomputePublicKey(key);
  tableCache.set(key, table);
  if (tableCache.size > TABLE_CACHE_MAX) tableCache.delete(tableCache.keys().next().value as string);
  return table;
}

/** SM2 encryption; output is C1‖C3‖C2 raw bytes (with 04 prefix) or the GM/T 0009 ASN.1 SM2Cipher. */
export function sm2Encrypt(plain: Uint8Array, publicKey: string | PublicKeyPoint, asn1 = true): Buffer {
  const pub = typeof publicKey === 'string' ? normalisePublicKey(publicKey) : publicKey;
  const out = sm2.doEncrypt(plain, pub, 1, { asn1 });
  return Buffer.from(asn1 ? out : '04' + out, 'hex');
}

export function sm2Decrypt(cipher: Uint8Array, privateKey: string, asn1 = true): Buffer {
  let h = hex(cipher);
  if (!asn1 && h.startsWith('04')) h = h.slice(2);
  const out = sm2.doDecrypt(h, privateKey, 1, { output: 'array', asn1 });
  if (!out || out.length === 0) throw new Error('SM2 decryption failed');
  return Buffer.from(out);
}

/**
 * True when `sig` is exactly DER SEQUENCE{INTEGER r, INTEGER s} with minimal, positive integers of at
 * most 32 significant bytes. sm-crypto-v2 decodes leniently (it accepts a wrong outer tag, for one), which
 * would let one signature have many encodings; verifiers call this first so only the canonical one passes.
 */
export function isStrictSm2Signature(sig: Uint8Array): boolean {
  if (sig.length < 8 || sig.length > 72 || sig[0] !== 0x30 || sig[1] !== sig.length - 2) return false;
  let p = 2;
  for (let k = 0; k < 2; k++) {
    if (sig[p] !== 0x02) return false;
    const len = sig[p + 1];
    const v = p + 2;
    if (len < 1 || len > 33 || v + len > sig.length) return false;
    if (sig[v] & 0x80) return false; // negative
    if (len > 1 && sig[v] === 0 && !(sig[v + 1] & 0x80)) return false; // non-minimal
    if (len === 33 && sig[v] !== 0) return false;
    p = v + len;
  }
  return p === sig.length;
}
