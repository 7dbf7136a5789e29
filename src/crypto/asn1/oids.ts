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
  // RSA with SM3 (GM/T 0006), what some GM CAs put in RSA-signed CMS
  sm3WithRsa: '1.2.156.10197.1.504',
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
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  // X.509 / CRL extensions (RFC 5280)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  issuingDistributionPoint: '2.5.29.28',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  // access methods, OCSP (RFC 6960)
  adOcsp: '1.3.6.1.5.5.7.48.1',
  adCaIssuers: '1.3.6.1.5.5.7.48.2',
  ocspBasic: '1.3.6.1.5.5.7.48.1.1',
  ocspNonce: '1.3.6.1.5.5.7.48.1.2',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
  // extended key usages
  kpServerAuth: '1.3.6.1.5.5.7.3.1',
  kpClientAuth: '1.3.6.1.5.5.7.3.2',
  kpCodeSigning: '1.3.6.1.5.5.7.3.3',
  kpEmailProtection: '1.3.6.1.5.5.7.3.4',
  kpTimeStamping: '1.3.6.1.5.5.7.3.8',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  // distinguished-name attribute types
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  streetAddress: '2.5.4.9',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  emailAddress: '1.2.840.113549.1.9.1',
  domainComponent: '0.9.2342.19200300.100.1.25',
  userId: '0.9.2342.19200300.100.1.1',
} as const;

export type OidName = keyof typeof OID;

const byValue = new Map<string, OidName>(Object.entries(OID).map(([k, v]) => [v, k as OidName]));

export function oidName(oid: string): OidName | undefined {
  return byValue.get(oid);
}
