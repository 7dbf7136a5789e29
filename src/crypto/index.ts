/**
 * Public API of the crypto folder. The two TLV helpers (der.ts on the X.509 side, tlv.ts on the CMS
 * side) are plumbing and stay unexported; import them directly where needed.
 */
// algorithms
export * from './asn1/oids';
export * from './algorithms/sm2';
export * from './algorithms/sm3';
export * from './algorithms/sm4';
export * from './algorithms/rsa';
// keys, raw signatures, CMS
export * from './algorithms/keys';
export * from './algorithms/pkcs1';
export * from './cms/cms-cert';
export * from './cms/pkcs7-signed';
export * from './cms/pkcs7-enveloped';
// X.509, chains, revocation
export * from './asn1/dn';
export * from './pki/signature-alg';
export * from './pki/x509';
export * from './pki/chain';
export * from './pki/crl';
export * from './pki/crl-cache';
export * from './pki/crl-fetch';
export * from './pki/ocsp';
export * from './pki/ocsp-responder';
export * from './pki/revocation';
export * from './pki/validation-codes';
export * from './pki/demo-pki';
// keys.ts and pki-alg.ts both name their public-key union PublicKey; keys.ts's (SM2 | RSA) is a
// structural subset of pki-alg's (which adds ECDSA and "unsupported"), so the CMS one keeps the name.
export type { PublicKey } from './algorithms/keys';
export type { PublicKey as PkiPublicKey } from './pki/signature-alg';
