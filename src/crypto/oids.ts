/** Object identifiers used by GM/T 0006, GM/T 0010 (SM2 CMS), PKCS#7 and X.509. One table, one place. */
export const OID = {
  // GM algorithms
  sm2: '1.2.156.10197.1.301',
  sm2Sign: '1.2.156.10197.1.301.1',
  sm2KeyExchange: '1.2.156.10197.1.301.2',
  sm2Encrypt: '1.2.156.10197.1.301.3',
  sm3: '1.2.156.10197.1.401',
  hmacSm3: '1.2.156.10197.1.401.2',
  sm2WithSm3: '1.2.156.10197.1.501',
  sm2WithSha1: '1.2.156.10197.1.502',
  sm2WithSha256: '1.2.156.10197.1.503',
  sm1: '1.2.156.10197.1.102',
  ssf33: '1.2.156.10197.1.103',
  sm4: '1.2.156.10197.1.104',
  sm4Ecb: '1.2.156.10197.1.104.1',
  sm4Cbc: '1.2.156.10197.1.104.2',
  // GM/T 0010 content types
  gmData: '1.2.156.10197.6.1.4.2.1',
  gmSignedData: '1.2.156.10197.6.1.4.2.2',
  gmEnvelopedData: '1.2.156.10197.6.1.4.2.3',
  gmSignedAndEnvelopedData: '1.2.156.10197.6.1.4.2.4',
  gmEncryptedData: '1.2.156.10197.6.1.4.2.5',
  gmKeyAgreementInfo: '1.2.156.10197.6.1.4.2.6',
  // PKCS#7 / CMS content types
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  signedAndEnvelopedData: '1.2.840.113549.1.7.4',
  digestedData: '1.2.840.113549.1.7.5',
  encryptedData: '1.2.840.113549.1.7.6',
  // PKCS#9 attributes
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  // RSA and hashes
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha1WithRSA: '1.2.840.113549.1.1.5',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  sha384WithRSA: '1.2.840.113549.1.1.12',
  sha512WithRSA: '1.2.840.113549.1.1.13',
  rsaesOaep: '1.2.840.113549.1.1.7',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  // EC
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

export type OidName = keyof typeof OID;

const byValue = new Map<string, OidName>(Object.entries(OID).map(([k, v]) => [v, k as OidName]));

export function oidName(oid: string): OidName | undefined {
  return byValue.get(oid);
}
