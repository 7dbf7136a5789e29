/**
 * RSA through Node's OpenSSL: PKCS#1 v1.5 signatures, PKCS#1 v1.5 / OAEP encryption.
 *
 * Two things Node will not do directly, done here by hand on top of raw RSA:
 *  - RSA with SM3 (OpenSSL's provider refuses "sm3" as an RSA digest): EMSA-PKCS1-v1_5 over a DigestInfo
 *    carrying the SM3 OID, via privateEncrypt/publicDecrypt with PKCS#1 type-1 padding.
 *  - PKCS#1 v1.5 decryption: Node 20 refuses it (CVE-2023-46809, Bleichenbacher). Envelopes from other CAs
 *    still use it, so we unpad raw RSA ourselves and, for key transport, hide padding failures behind a
 *    random key (RFC 3218 §2.3.2) so the caller learns nothing more than "content did not decrypt".
 */
import {
  constants,
  createHash,
  generateKeyPairSync,
  KeyObject,
  privateDecrypt,
  privateEncrypt,
  publicDecrypt,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { OID } from '../asn1/oids';
import { algorithmId, der, DER_NULL, octetString, TAG } from '../asn1/der';

export type RsaHash = 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'sm3';

export const RSA_HASH_OID: Record<RsaHash, string> = {
  sha1: OID.sha1,
  sha256: OID.sha256,
  sha384: OID.sha384,
  sha512: OID.sha512,
  sm3: OID.sm3,
};

const digestInfoPrefix = new Map<RsaHash, Buffer>();

/** DER DigestInfo ::= SEQUENCE { AlgorithmIdentifier (with NULL, per RFC 8017 §9.2), OCTET STRING digest } */
export function digestInfo(hash: RsaHash, digest: Uint8Array): Buffer {
  let prefix = digestInfoPrefix.get(hash);
  if (!prefix) {
    const sample = der(TAG.SEQUENCE, algorithmId(RSA_HASH_OID[hash], DER_NULL), octetString(Buffer.alloc(digest.length)));
    prefix = sample.subarray(0, sample.length - digest.length);
    digestInfoPrefix.set(hash, prefix);
  }
  return Buffer.concat([prefix, digest]);
}

export function rsaSign(data: Uint8Array, key: KeyObject, hash: RsaHash = 'sha256'): Buffer {
  if (hash === 'sm3') return rsaSignDigest(createHash('sm3').update(data).digest(), key, hash);
  return nodeSign(hash, data, { key, padding: constants.RSA_PKCS1_PADDING });
}

export function rsaVerify(data: Uint8Array, signature: Uint8Array, key: KeyObject, hash: RsaHash = 'sha256'): boolean {
  try {
    if (hash === 'sm3') return rsaVerifyDigest(createHash('sm3').update(data).digest(), signature, key, hash);
    return nodeVerify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}

/** PKCS#1 v1.5 signature over an already computed digest. */
export function rsaSignDigest(digest: Uint8Array, key: KeyObject, hash: RsaHash): Buffer {
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digestInfo(hash, digest));
}

export function rsaVerifyDigest(digest: Uint8Array, signature: Uint8Array, key: KeyObject, hash: RsaHash): boolean {
  try {
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.equals(digestInfo(hash, digest));
  } catch {
    return false;
  }
}

export type RsaPadding = 'pkcs1' | 'oaep';

export function rsaEncrypt(plain: Uint8Array, key: KeyObject, padding: RsaPadding = 'pkcs1'): Buffer {
  return publicEncrypt(
    { key, padding: padding === 'oaep' ? constants.RSA_PKCS1_OAEP_PADDING : constants.RSA_PKCS1_PADDING, oaepHash: 'sha1' },
    plain,
  );
}

/** Throws when the padding is invalid. For key transport use `rsaDecryptKeyPkcs1`, which does not. */
export function rsaDecrypt(cipher: Uint8Array, key: KeyObject, padding: RsaPadding = 'pkcs1'): Buffer {
  if (padding === 'oaep') return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, cipher);
  let m: Buffer | null;
  try {
    m = unpadPkcs1Type2(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, cipher));
  } catch {
    m = null; // e.g. ciphertext ≥ modulus: one error for every failure, not a hint per cause
  }
  if (!m) throw new Error('RSA PKCS#1 v1.5 decryption failed');
  return m;
}

/**
 * Decrypts a PKCS#1 v1.5 wrapped content key. On any padding or length error it returns random bytes of
 * the expected length instead of failing, so a padding oracle cannot be built from envelope opening.
 */
export function rsaDecryptKeyPkcs1(cipher: Uint8Array, key: KeyObject, expectedLength: number): Buffer {
  const decoy = randomBytes(expectedLength);
  let m: Buffer | null = null;
  try {
    m = unpadPkcs1Type2(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, cipher));
  } catch {
    m = null;
  }
  return m && m.length === expectedLength ? m : decoy;
}

/** EM = 00 ‖ 02 ‖ PS (≥ 8 non-zero) ‖ 00 ‖ M. Scans the whole block so timing does not depend on where the 00 is. */
function unpadPkcs1Type2(em: Buffer): Buffer | null {
  let sep = 0;
  for (let i = 2; i < em.length; i++) {
    const isZero = em[i] === 0 ? 1 : 0;
    if (sep === 0 && isZero) sep = i;
  }
  const ok = em.length >= 11 && em[0] === 0 && em[1] === 2 && sep >= 10;
  return ok ? em.subarray(sep + 1) : null;
}

export function generateRsaKeyPair(bits = 2048): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
}
