/**
 * Raw ("PKCS#1-style") signatures, what GM/T 0029 SVS_SignData / SOF_SignData return: no CMS wrapper.
 *  - SM2: DER SEQUENCE{r,s} over SM3(Z‖M), Z with the GM/T 0009 default user ID unless told otherwise.
 *  - RSA: PKCS#1 v1.5 with SHA-256 by default (SHA-1/384/512 and SM3 on request).
 * verifyData never throws: a malformed signature or key is simply "false".
 */
import { PrivateKey, PublicKey } from './keys';
import { RsaHash, rsaSign, rsaVerify } from './rsa';
import { DEFAULT_USER_ID, isStrictSm2Signature, publicKeyTable, sm2Sign, sm2Verify } from './sm2';

export type SignatureHash = RsaHash;

export interface RawSignOptions {
  /** RSA only; SM2 always uses SM3 (GM/T 0009). Default sha256 for RSA. */
  hash?: SignatureHash;
  /** SM2 only; default "1234567812345678" */
  userId?: string;
}

export interface RawVerifyOptions extends RawSignOptions {
  /**
   * SM2 only. 'auto' (default) builds the ≈60 ms multiplication table for a key the second time it is
   * seen, so one-off keys stay cheap and the hospital's own or the finance certificate get fast.
   */
  precompute?: Sm2PrecomputePolicy;
}

export type Sm2PrecomputePolicy = 'auto' | 'always' | 'never';

export function signData(data: Uint8Array, key: PrivateKey, opts: RawSignOptions = {}): Buffer {
  if (key.kind === 'sm2') {
    if (opts.hash && opts.hash !== 'sm3') throw new Error(`SM2 signatures use SM3, not ${opts.hash}`);
    return sm2Sign(data, key.privateKey, key.publicKey, opts.userId ?? DEFAULT_USER_ID);
  }
  return rsaSign(data, key.privateKey, opts.hash ?? 'sha256');
}

export function verifyData(data: Uint8Array, signature: Uint8Array, key: PublicKey, opts: RawVerifyOptions = {}): boolean {
  try {
    if (key.kind === 'sm2') {
      if (opts.hash && opts.hash !== 'sm3') return false;
      if (!isStrictSm2Signature(signature)) return false;
      return sm2Verify(data, signature, sm2VerifyingKey(key.hex, opts.precompute), opts.userId ?? DEFAULT_USER_ID);
    }
    return key.kind === 'rsa' && rsaVerify(data, signature, key.key, opts.hash ?? 'sha256');
  } catch {
    return false;
  }
}

type Sm2VerifyingKey = Parameters<typeof sm2Verify>[2];

const seenOnce = new Set<string>();
const SEEN_MAX = 4096;

/** The hex key, or its cached precomputed table when the policy says the key is worth it. */
export function sm2VerifyingKey(publicKeyHex: string, policy: Sm2PrecomputePolicy = 'auto'): Sm2VerifyingKey {
  if (policy === 'never') return publicKeyHex;
  if (policy === 'always' || seenOnce.has(publicKeyHex)) return publicKeyTable(publicKeyHex);
  if (seenOnce.size >= SEEN_MAX) seenOnce.clear();
  seenOnce.add(publicKeyHex);
  return publicKeyHex;
}

export { isStrictSm2Signature };
