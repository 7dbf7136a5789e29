/**
 * Signature-algorithm glue shared by certificates, CRLs and OCSP responses: which AlgorithmIdentifier
 * a key signs with, how to sign the tbs bytes, and how to verify them with an issuer's public key.
 *
 * SM2 goes through algorithms/sm2 (GM/T 0009 default user ID). Node's own SM2 is not used for X.509 because it
 * computes Z with an empty ID (docs/reference/gm-crypto.md#which-library-does-what).
 * RSA and ECDSA (other CAs' roots) go through Node's crypto.
 */
import { createPublicKey, sign as nodeSign, verify as nodeVerify, KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { OID } from '../asn1/oids';
import { PublicKey, publicKeyToSpki } from '../algorithms/keys';
import { isStrictSm2Signature } from '../algorithms/pkcs1';
import { normalisePublicKey, publicKeyFromPrivate, publicKeyTable, sm2Sign, sm2Verify } from '../algorithms/sm2';

export type SigningKey =
  | { kind: 'sm2'; privateKey: string; publicKey?: string }
  | { kind: 'rsa'; privateKey: KeyObject; hash?: 'sha256' | 'sha384' | 'sha512' };

const RSA_SIG_HASH: Record<string, string> = {
  [OID.sha1WithRSA]: 'sha1',
  [OID.sha256WithRSA]: 'sha256',
  [OID.sha384WithRSA]: 'sha384',
  [OID.sha512WithRSA]: 'sha512',
};
const RSA_HASH_SIG: Record<string, string> = { sha256: OID.sha256WithRSA, sha384: OID.sha384WithRSA, sha512: OID.sha512WithRSA };
const ECDSA_SIG_HASH: Record<string, string> = { [OID.ecdsaWithSha256]: 'sha256', [OID.ecdsaWithSha384]: 'sha384' };

/** SM2-with-SM3 carries no parameters (absent, not NULL), as real GM certificates do; RSA carries NULL. */
export function signatureAlgorithm(key: SigningKey): AlgorithmIdentifier {
  if (key.kind === 'sm2') return new AlgorithmIdentifier({ algorithm: OID.sm2WithSm3 });
  return new AlgorithmIdentifier({ algorithm: RSA_HASH_SIG[key.hash ?? 'sha256'], parameters: null });
}

export function signBytes(data: Uint8Array, key: SigningKey): Buffer {
  if (key.kind === 'sm2') return sm2Sign(data, key.privateKey, key.publicKey ?? publicKeyFromPrivate(key.privateKey));
  return nodeSign(key.hash ?? 'sha256', data, key.privateKey);
}

export function publicKeyOf(key: SigningKey): PublicKey {
  if (key.kind === 'sm2') return { kind: 'sm2', hex: normalisePublicKey(key.publicKey ?? publicKeyFromPrivate(key.privateKey)) };
  return { kind: 'rsa', key: createPublicKey(key.privateKey) };
}

/** The key as the schema object certificates and OCSP requests are built from. */
export function toSpki(pub: PublicKey): SubjectPublicKeyInfo {
  return AsnConvert.parse(publicKeyToSpki(pub), SubjectPublicKeyInfo);
}

export interface VerifyOptions {
  /** Use the cached precomputed SM2 table: worth it for keys that verify many signatures (CA, OCSP responder). */
  cacheKey?: boolean;
}

/** True only when `signature` over `data` verifies with `pub` under `sigAlgOid`; never throws. */
export function verifyBytes(data: Uint8Array, sigAlgOid: string, signature: Uint8Array, pub: PublicKey, opts: VerifyOptions = {}): boolean {
  try {
    if (pub.kind === 'sm2') {
      // Some CAs label the signature with the bare SM2-1 OID instead of SM2-with-SM3; the math is the same.
      if (sigAlgOid !== OID.sm2WithSm3 && sigAlgOid !== OID.sm2Sign) return false;
      // sm-crypto-v2 decodes the DER leniently; only the canonical encoding may verify.
      if (!isStrictSm2Signature(signature)) return false;
      return sm2Verify(data, signature, opts.cacheKey ? publicKeyTable(pub.hex) : pub.hex);
    }
    if (pub.kind === 'rsa') {
      const hash = RSA_SIG_HASH[sigAlgOid];
      return hash !== undefined && nodeVerify(hash, data, pub.key, signature);
    }
    if (pub.kind === 'ec') {
      const hash = ECDSA_SIG_HASH[sigAlgOid];
      return hash !== undefined && nodeVerify(hash, data, pub.key, signature);
    }
    return false;
  } catch {
    return false;
  }
}

export function samePublicKey(a: PublicKey, b: PublicKey): boolean {
  if (a.kind === 'sm2' && b.kind === 'sm2') return a.hex === b.hex;
  if ((a.kind === 'rsa' || a.kind === 'ec') && (b.kind === 'rsa' || b.kind === 'ec')) return a.key.equals(b.key);
  return false;
}

/** A fresh ArrayBuffer holding exactly these bytes (asn1-schema wants ArrayBuffer, not a Buffer view). */
export function ab(b: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(b.byteLength);
  new Uint8Array(out).set(b);
  return out;
}
