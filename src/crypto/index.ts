/**
 * The crypto core's API: what the signature server, the finance side, issuance, the benches and the
 * tests use. Code outside src/crypto imports from here, never from the files behind it.
 *
 *   algorithms/  SM2, SM3, SM4, RSA, raw (PKCS#1-style) signatures; keys: load, export, the PublicKey type;
 *                comparing secrets in constant time
 *   asn1/        the DER reader/writer (exported as the `asn1` namespace: plumbing), PEM, OIDs, names
 *   cms/         SignedData and EnvelopedData, GM/T 0010 and RFC 5652
 *   pki/         X.509, chains, CRLs, OCSP (client and responder), revocation, the demo PKI
 *
 * Inside, imports run one way: asn1 ← algorithms ← cms, pki.
 */
export * from './algorithms/sm2';
export * from './algorithms/sm3';
export * from './algorithms/sm4';
export * from './algorithms/rsa';
export * from './algorithms/pkcs1';
export * from './algorithms/keys';
export * from './algorithms/constant-time';
export * as asn1 from './asn1/der';
export * from './asn1/pem';
export * from './asn1/oids';
export * from './asn1/dn';
export * from './cms/cms-cert';
export * from './cms/pkcs7-signed';
export * from './cms/pkcs7-enveloped';
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
