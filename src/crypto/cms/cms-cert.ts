/**
 * The handful of certificate facts CMS needs — raw issuer Name, serial, SubjectKeyIdentifier and the
 * public key — sliced from the original DER. IssuerAndSerialNumber must repeat the issuer bytes exactly
 * as the certificate has them, so nothing is re-encoded. Full X.509 handling (chain, CRL, OCSP) lives
 * in pki/; this stays deliberately small.
 */
import { createHash } from 'node:crypto';
import { publicKeyFromSpki, RsaPublicKey, Sm2PublicKey } from '../algorithms/keys';
import { OID } from '../asn1/oids';
import { bytesOf, childrenOf, ctx, decodeOid, DerError, expectTag, readOid, readRoot, TAG, Tlv, toBuffer, valueOf } from '../asn1/der';

export interface CmsCertificate {
  der: Buffer;
  /** the issuer Name TLV exactly as encoded */
  issuerDer: Buffer;
  /** the serialNumber INTEGER contents (two's complement, as encoded) */
  serial: Buffer;
  /** serial as upper-case hex without a sign octet, the way CA consoles print it */
  serialHex: string;
  issuer: string;
  subject: string;
  subjectKeyIdentifier?: Buffer;
  /** undefined when the key algorithm is neither SM2 nor RSA */
  publicKey?: Sm2PublicKey | RsaPublicKey;
  publicKeyAlgorithm: string;
}

/** Throws DerError on a malformed certificate; callers on hostile paths catch it. */
export function readCmsCertificate(input: Uint8Array): CmsCertificate {
  const der = Buffer.from(input);
  const root = readRoot(der);
  const [tbsT] = childrenOf(der, expectTag(root, TAG.SEQUENCE, 'Certificate'));
  const tbs = childrenOf(der, expectTag(tbsT, TAG.SEQUENCE, 'tbsCertificate'));
  let i = tbs[0]?.tag === ctx(0) ? 1 : 0;
  const serialT = expectTag(tbs[i++], TAG.INTEGER, 'serialNumber');
  i++; // signature AlgorithmIdentifier
  const issuerT = expectTag(tbs[i++], TAG.SEQUENCE, 'issuer');
  i++; // validity
  const subjectT = expectTag(tbs[i++], TAG.SEQUENCE, 'subject');
  const spkiT = expectTag(tbs[i++], TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const spki = bytesOf(der, spkiT);
  const algParts = childrenOf(der, expectTag(childrenOf(der, spkiT)[0], TAG.SEQUENCE, 'spki algorithm'));
  const algOid = readOid(der, algParts[0], 'spki algorithm');
  let publicKey: Sm2PublicKey | RsaPublicKey | undefined;
  try {
    const k = publicKeyFromSpki(spki);
    if (k.kind === 'sm2' || k.kind === 'rsa') publicKey = k;
  } catch {
    publicKey = undefined;
  }
  let ski: Buffer | undefined;
  for (const t of tbs.slice(i)) {
    if (t.tag !== ctx(3)) continue;
    const [exts] = childrenOf(der, t);
    for (const ext of childrenOf(der, expectTag(exts, TAG.SEQUENCE, 'extensions'))) {
      const f = childrenOf(der, ext);
      if (decodeOid(valueOf(der, expectTag(f[0], TAG.OID, 'extnID'))) !== OID.subjectKeyIdentifier) continue;
      const octets = valueOf(der, expectTag(f[f.length - 1], TAG.OCTET_STRING, 'extnValue'));
      const inner = readRoot(octets);
      ski = valueOf(octets, expectTag(inner, TAG.OCTET_STRING, 'SubjectKeyIdentifier'));
    }
  }
  const serial = valueOf(der, serialT);
  return {
    der,
    issuerDer: bytesOf(der, issuerT),
    serial,
    serialHex: serialToHex(serial),
    issuer: formatName(der, issuerT),
    subject: formatName(der, subjectT),
    subjectKeyIdentifier: ski,
    publicKey,
    publicKeyAlgorithm: algOid,
  };
}

export function serialToHex(serialContents: Uint8Array): string {
  let i = 0;
  while (i < serialContents.length - 1 && serialContents[i] === 0) i++;
  return toBuffer(serialContents).subarray(i).toString('hex').toUpperCase();
}

const SHORT: Record<string, string> = {
  [OID.countryName]: 'C',
  [OID.stateOrProvinceName]: 'ST',
  [OID.localityName]: 'L',
  [OID.organizationName]: 'O',
  [OID.organizationalUnitName]: 'OU',
  [OID.commonName]: 'CN',
  [OID.serialNumber]: 'serialNumber',
  [OID.emailAddress]: 'E',
  [OID.givenName]: 'GN',
  [OID.surname]: 'SN',
  [OID.title]: 'T',
  [OID.streetAddress]: 'STREET',
  [OID.domainComponent]: 'DC',
  [OID.userId]: 'UID',
  '2.5.4.41': 'name',
};

/** "C=CN, O=BJCA, CN=…" in encoded order — for display and logs, never for matching (match on DER). */
export function formatName(buf: Uint8Array, nameT: Tlv): string {
  const out: string[] = [];
  for (const rdn of childrenOf(buf, nameT)) {
    for (const atv of childrenOf(buf, rdn)) {
      const [typeT, valT] = childrenOf(buf, atv);
      const oid = decodeOid(valueOf(buf, expectTag(typeT, TAG.OID, 'attribute type')));
      out.push(`${SHORT[oid] ?? oid}=${decodeString(buf, valT)}`);
    }
  }
  return out.join(', ');
}

export function formatNameDer(nameDer: Uint8Array): string {
  return formatName(nameDer, readRoot(nameDer));
}

function decodeString(buf: Uint8Array, t: Tlv | undefined): string {
  if (!t) throw new DerError('attribute value missing');
  const v = valueOf(buf, t);
  switch (t.tag) {
    case 0x1e: // BMPString, UCS-2 big-endian
      return v.length % 2 ? v.toString('hex') : Buffer.from(v).swap16().toString('utf16le');
    case 0x14: // TeletexString: treated as Latin-1, as OpenSSL does
      return v.toString('latin1');
    default:
      return v.toString('utf8');
  }
}

/** SHA-1 of the certificate DER: a stable cache key and the thumbprint CA consoles show. */
export const certThumbprint = (der: Uint8Array): string => createHash('sha1').update(der).digest('hex');
