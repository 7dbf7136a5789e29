/** Public API of the crypto folder. Internal helpers (tlv.ts) stay unexported on purpose. */
export * from './oids';
export * from './sm2';
export * from './sm3';
export * from './sm4';
export * from './rsa';
export * from './keys';
export * from './pkcs1';
export * from './cms-cert';
export * from './pkcs7-signed';
export * from './pkcs7-enveloped';
