/**
 * Public API of the crypto folder. The two TLV helpers (der.ts on the X.509 side, tlv.ts on the CMS
 * side) are plumbing and stay unexported; import them directly where needed.
 */
// algorithms
export * from './oids';
export * from './sm2';
export * from './sm3';
export * from './sm4';
export * from './rsa';
// keys, raw signatures, CMS
export * from './keys';
export * from './pkcs1';
export * from './cms-cert';
export * from './pkcs7-signed';
export * from './pkcs7-enveloped';
// X.509, chains, revocation
export * from './dn';
export * from './pki-alg';
export * from './x509';
export * from './chain';
export * from './crl';
export * from './crl-cache';
export * from './crl-fetch';
export * from './ocsp';
export * from './ocsp-responder';
export * from './revocation';
export * from './validation-codes';
export * from './demo-pki';
// keys.ts and pki-alg.ts both name their public-key union PublicKey; keys.ts's (SM2 | RSA) is a
// structural subset of pki-alg's (which adds ECDSA and "unsupported"), so the CMS one keeps the name.
export type { PublicKey } from './keys';
export type { PublicKey as PkiPublicKey } from './pki-alg';
