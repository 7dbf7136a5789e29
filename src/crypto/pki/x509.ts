/**
 * X.509 v3 certificates for SM2 and RSA: build (for the embedded CA and tests) and parse (for
 * everything we receive). Parsing never throws; it returns `{ok:false, reason}` on hostile input.
 *
 * Signatures are verified over the raw tbsCertificate bytes sliced from the original DER (asn1/der.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLDistributionPoints,
  Certificate,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  Name,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { bytesOf, isWellFormed, splitSigned, tryChildren, tryTlv } from '../asn1/der';
import { pemBlocks, pemEncode, toDer } from '../asn1/pem';
import { PublicKey, publicKeyFromSpki } from '../algorithms/keys';
import { buildName, describeName, DistinguishedName, DnInput } from '../asn1/dn';
import { OID } from '../asn1/oids';
import { ab, publicKeyOf, signatureAlgorithm, signBytes, SigningKey, toSpki, verifyBytes } from './signature-alg';

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

export interface ExtensionEntry {
  oid: string;
  critical: boolean;
  value: Buffer;
}

export interface CertificateExtensions {
  basicConstraints?: { ca: boolean; pathLen?: number };
  keyUsage?: KeyUsageName[];
  extKeyUsage?: string[];
  /** Hex. */
  subjectKeyId?: string;
  /** Hex (keyIdentifier only; issuer+serial AKIs are rare and ignored). */
  authorityKeyId?: string;
  /** URIs (http://, ldap://) from every distribution point's fullName. */
  crlUrls: string[];
  /** DirName distribution points (some Chinese CAs publish "CN=crl123,OU=CRL,…" meaning an LDAP entry). */
  crlDirectoryNames: string[];
  ocspUrls: string[];
  caIssuerUrls: string[];
  /** id-pkix-ocsp-nocheck: a delegated OCSP responder certificate is not itself checked for revocation. */
  ocspNoCheck: boolean;
  /** Critical extensions this code does not understand: RFC 5280 says such a certificate must be rejected. */
  unknownCritical: string[];
  all: ExtensionEntry[];
}

export interface ParsedCertificate {
  der: Buffer;
  /** Raw tbsCertificate bytes as signed. */
  tbs: Buffer;
  version: number;
  /** Lower-case hex of the serial's magnitude, no leading zero octets. */
  serialHex: string;
  signatureAlgorithm: string;
  signature: Buffer;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  /** The subjectPublicKey BIT STRING content: what key identifiers and OCSP issuerKeyHash hash. */
  publicKeyBits: Buffer;
  publicKey: PublicKey;
  extensions: CertificateExtensions;
  fingerprintSm3: string;
  fingerprintSha256: string;
  /** Issuer DN equals subject DN (a root, or a self-issued key rollover certificate). */
  selfIssued: boolean;
}

const KNOWN_EXTENSIONS = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.cRLDistributionPoints,
  OID.authorityInfoAccess,
  OID.ocspNoCheck,
  // Policies and SANs are not enforced here, but marking them critical is common and harmless to accept.
  OID.certificatePolicies,
  OID.subjectAltName,
]);

/** Normalises a serial written in hex: lower case, no leading zero octets, even length. */
export function normaliseSerial(hex: string): string {
  let h = hex.replace(/[\s:]/g, '').toLowerCase();
  if (h.length % 2) h = '0' + h;
  while (h.length > 2 && h.startsWith('00')) h = h.slice(2);
  return h;
}

export function keyUsageNames(bits: Uint8Array): KeyUsageName[] {
  return KEY_USAGE_BITS.filter((_, i) => (i >> 3) < bits.length && (bits[i >> 3] >> (7 - (i & 7))) & 1);
}

function keyUsageFlags(names: readonly KeyUsageName[]): number {
  return names.reduce((acc, n) => acc | (1 << KEY_USAGE_BITS.indexOf(n)), 0);
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits (what OpenSSL does, for SM2 too). */
export function keyIdentifier(publicKeyBits: Uint8Array): string {
  return createHash('sha1').update(publicKeyBits).digest('hex');
}

function decodeExtensions(exts: Extensions | undefined): Result<CertificateExtensions> {
  const out: CertificateExtensions = {
    crlUrls: [],
    crlDirectoryNames: [],
    ocspUrls: [],
    caIssuerUrls: [],
    ocspNoCheck: false,
    unknownCritical: [],
    all: [],
  };
  const seen = new Set<string>();
  for (const e of exts ?? []) {
    const value = Buffer.from(e.extnValue.buffer);
    if (seen.has(e.extnID)) return { ok: false, reason: `duplicate extension ${e.extnID}` };
    seen.add(e.extnID);
    out.all.push({ oid: e.extnID, critical: e.critical, value });
    try {
      switch (e.extnID) {
        case OID.basicConstraints: {
          const bc = AsnConvert.parse(value, BasicConstraints);
          out.basicConstraints = { ca: bc.cA, pathLen: bc.pathLenConstraint };
          break;
        }
        case OID.keyUsage:
          out.keyUsage = keyUsageNames(new Uint8Array(AsnConvert.parse(value, KeyUsage).value));
          break;
        case OID.extKeyUsage:
          out.extKeyUsage = [...AsnConvert.parse(value, ExtendedKeyUsage)];
          break;
        case OID.subjectKeyIdentifier:
          out.subjectKeyId = Buffer.from(AsnConvert.parse(value, SubjectKeyIdentifier).buffer).toString('hex');
          break;
        case OID.authorityKeyIdentifier: {
          const aki = AsnConvert.parse(value, AuthorityKeyIdentifier);
          if (aki.keyIdentifier) out.authorityKeyId = Buffer.from(aki.keyIdentifier.buffer).toString('hex');
          break;
        }
        case OID.cRLDistributionPoints:
          for (const dp of AsnConvert.parse(value, CRLDistributionPoints)) {
            for (const gn of dp.distributionPoint?.fullName ?? []) {
              if (gn.uniformResourceIdentifier) out.crlUrls.push(gn.uniformResourceIdentifier);
              if (gn.directoryName) {
                const nd = Buffer.from(AsnConvert.serialize(gn.directoryName));
                out.crlDirectoryNames.push(describeName(gn.directoryName, nd).text);
              }
            }
          }
          break;
        case OID.authorityInfoAccess:
          for (const ad of AsnConvert.parse(value, AuthorityInfoAccessSyntax)) {
            const uri = ad.accessLocation.uniformResourceIdentifier;
            if (!uri) continue;
            if (ad.accessMethod === OID.adOcsp) out.ocspUrls.push(uri);
            else if (ad.accessMethod === OID.adCaIssuers) out.caIssuerUrls.push(uri);
          }
          break;
        case OID.ocspNoCheck:
          out.ocspNoCheck = true;
          break;
        default:
          if (e.critical && !KNOWN_EXTENSIONS.has(e.extnID)) out.unknownCritical.push(e.extnID);
      }
    } catch {
      return { ok: false, reason: `malformed extension ${e.extnID}` };
    }
  }
  return { ok: true, value: out };
}

/** Parses a DER or PEM certificate. Never throws. */
export function parseCertificate(input: Uint8Array | string): Result<ParsedCertificate> {
  const der = toDer(input, 'CERTIFICATE');
  if (!der) return { ok: false, reason: 'not a DER or PEM certificate' };
  const parts = isWellFormed(der) ? splitSigned(der) : null;
  if (!parts) return { ok: false, reason: 'malformed certificate encoding' };
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (e) {
    return { ok: false, reason: `malformed certificate: ${(e as Error).message}` };
  }
  const tbsTlv = tryTlv(parts.tbs, 0);
  const fields = tbsTlv && tryChildren(parts.tbs, tbsTlv);
  if (!fields) return { ok: false, reason: 'malformed tbsCertificate' };
  const off = fields[0]?.tag === 0xa0 ? 1 : 0;
  if (fields.length < off + 6) return { ok: false, reason: 'tbsCertificate is missing fields' };
  const tbs = cert.tbsCertificate;
  const exts = decodeExtensions(tbs.extensions);
  if (!exts.ok) return exts;
  // The outer and inner signature algorithms must agree (RFC 5280 §4.1.1.2), or an attacker could swap one.
  if (tbs.signature.algorithm !== cert.signatureAlgorithm.algorithm) {
    return { ok: false, reason: 'signatureAlgorithm differs from tbsCertificate.signature' };
  }
  const issuer = describeName(tbs.issuer, bytesOf(parts.tbs, fields[off + 2]));
  const subject = describeName(tbs.subject, bytesOf(parts.tbs, fields[off + 4]));
  const spki = bytesOf(parts.tbs, fields[off + 5]);
  const notBefore = tbs.validity.notBefore.getTime();
  const notAfter = tbs.validity.notAfter.getTime();
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) return { ok: false, reason: 'invalid validity dates' };
  const bufCopy = Buffer.from(der);
  return {
    ok: true,
    value: {
      der: bufCopy,
      tbs: Buffer.from(parts.tbs),
      version: tbs.version + 1,
      serialHex: normaliseSerial(Buffer.from(tbs.serialNumber).toString('hex')),
      signatureAlgorithm: cert.signatureAlgorithm.algorithm,
      signature: Buffer.from(parts.signature),
      issuer: { ...issuer, der: Buffer.from(issuer.der) },
      subject: { ...subject, der: Buffer.from(subject.der) },
      notBefore,
      notAfter,
      spki: Buffer.from(spki),
      publicKeyBits: Buffer.from(tbs.subjectPublicKeyInfo.subjectPublicKey),
      publicKey: spkiKey(spki, tbs.subjectPublicKeyInfo.algorithm.algorithm),
      extensions: exts.value,
      fingerprintSm3: createHash('sm3').update(der).digest('hex'),
      fingerprintSha256: createHash('sha256').update(der).digest('hex'),
      selfIssued: issuer.der.equals(subject.der),
    },
  };
}

/** The certificate's key; never throws (the framing was checked, the algorithm may still be unknown). */
function spkiKey(spki: Buffer, algorithmOid: string): PublicKey {
  try {
    return publicKeyFromSpki(spki);
  } catch {
    return { kind: 'unsupported', algorithmOid };
  }
}

/** For configuration (trust roots, our own certificates): throws with the reason. */
export function mustParseCertificate(input: Uint8Array | string): ParsedCertificate {
  const r = parseCertificate(input);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

const cache = new Map<string, ParsedCertificate>();
const CACHE_MAX = 1024;

/**
 * Parses through an LRU keyed by the SHA-256 of the DER, so a certificate that arrives with every
 * signed bill is decoded once. The returned object is shared: treat it as read-only.
 */
export function parseCertificateCached(input: Uint8Array | string): Result<ParsedCertificate> {
  const der = toDer(input, 'CERTIFICATE');
  if (!der) return { ok: false, reason: 'not a DER or PEM certificate' };
  const key = createHash('sha256').update(der).digest('hex');
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return { ok: true, value: hit };
  }
  const r = parseCertificate(der);
  if (r.ok) {
    cache.set(key, r.value);
    if (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value as string);
  }
  return r;
}

/**
 * Does `issuer`'s key verify `cert`'s signature? Issuer SM2 keys use the cached precomputed table:
 * a CA key verifies every certificate it issued, so the 60 ms precompute pays back after a few calls.
 */
export function verifyCertificateSignature(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  // Both fingerprints cover the whole DER, so a verified (cert, issuer) pair can never change outcome.
  const key = cert.fingerprintSha256 + issuer.fingerprintSha256;
  if (verified.has(key)) return true;
  const ok = verifyBytes(cert.tbs, cert.signatureAlgorithm, cert.signature, issuer.publicKey, { cacheKey: true });
  if (ok) {
    verified.add(key);
    if (verified.size > VERIFIED_MAX) verified.delete(verified.values().next().value as string);
  }
  return ok;
}

const verified = new Set<string>();
const VERIFIED_MAX = 4096;

export function isValidAt(cert: ParsedCertificate, at: Date): boolean {
  const t = at.getTime();
  return t >= cert.notBefore.getTime() && t <= cert.notAfter.getTime();
}

export function certificateToPem(der: Uint8Array): string {
  return pemEncode(der, 'CERTIFICATE');
}

/** Every certificate in a PEM bundle (a trust-store file). */
export function certificatesFromPemBundle(text: string): Buffer[] {
  return pemBlocks(text, 'CERTIFICATE');
}

// ---------------------------------------------------------------------------------------------
// Building

export interface CertificateTemplate {
  subject: DnInput;
  /** Subject's key; defaults to the signing key's public half (self-signed). */
  publicKey?: PublicKey;
  /** Key that signs this certificate: the issuer's, or the subject's own when self-signed. */
  signingKey: SigningKey;
  /** Absent → self-signed (issuer = subject). */
  issuer?: ParsedCertificate;
  serialHex?: string;
  notBefore: Date;
  notAfter: Date;
  /** CA certificate; pathLen limits the number of intermediate CAs below it. */
  ca?: boolean | { pathLen: number };
  keyUsage?: readonly KeyUsageName[];
  extKeyUsage?: readonly string[];
  crlUrls?: readonly string[];
  ocspUrls?: readonly string[];
  caIssuerUrls?: readonly string[];
  ocspNoCheck?: boolean;
}

function ext(oid: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** Certificate times carry whole seconds only (RFC 5280 §4.1.2.5). */
export function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** INTEGER content octets for a serial given in hex, or a fresh random positive 128-bit serial. */
export function serialBytes(hex?: string): Buffer {
  if (hex) {
    const b = Buffer.from(normaliseSerial(hex), 'hex');
    // INTEGER is signed: a magnitude with the top bit set needs a leading zero to stay positive.
    return b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b;
  }
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x10;
  return b;
}

/** Builds and signs a certificate; returns its DER. */
export function buildCertificate(t: CertificateTemplate): Buffer {
  const publicKey = t.publicKey ?? publicKeyOf(t.signingKey);
  const spki: SubjectPublicKeyInfo = toSpki(publicKey);
  const subject = buildName(t.subject);
  const issuerName: Name = t.issuer ? AsnConvert.parse(t.issuer.subject.der, Name) : subject;
  const keyId = keyIdentifier(new Uint8Array(spki.subjectPublicKey));
  const authorityKeyId = t.issuer ? (t.issuer.extensions.subjectKeyId ?? keyIdentifier(t.issuer.publicKeyBits)) : keyId;

  const extensions: Extension[] = [];
  const isCa = t.ca !== undefined && t.ca !== false;
  extensions.push(
    ext(
      OID.basicConstraints,
      true,
      new BasicConstraints({ cA: isCa, pathLenConstraint: typeof t.ca === 'object' ? t.ca.pathLen : undefined }),
    ),
  );
  if (t.keyUsage?.length) extensions.push(ext(OID.keyUsage, true, new KeyUsage(keyUsageFlags(t.keyUsage))));
  if (t.extKeyUsage?.length) extensions.push(ext(OID.extKeyUsage, false, new ExtendedKeyUsage([...t.extKeyUsage])));
  extensions.push(ext(OID.subjectKeyIdentifier, false, new SubjectKeyIdentifier(Buffer.from(keyId, 'hex'))));
  extensions.push(
    ext(OID.authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(Buffer.from(authorityKeyId, 'hex')) })),
  );
  if (t.crlUrls?.length) {
    const dps = t.crlUrls.map(
      (u) => new DistributionPoint({ distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: u })] }) }),
    );
    extensions.push(ext(OID.cRLDistributionPoints, false, new CRLDistributionPoints(dps)));
  }
  const aia = [
    ...(t.ocspUrls ?? []).map((u) => new AccessDescription({ accessMethod: OID.adOcsp, accessLocation: new GeneralName({ uniformResourceIdentifier: u }) })),
    ...(t.caIssuerUrls ?? []).map(
      (u) => new AccessDescription({ accessMethod: OID.adCaIssuers, accessLocation: new GeneralName({ uniformResourceIdentifier: u }) }),
    ),
  ];
  if (aia.length) extensions.push(ext(OID.authorityInfoAccess, false, new AuthorityInfoAccessSyntax(aia)));
  if (t.ocspNoCheck) {
    // The extension value is ASN.1 NULL.
    extensions.push(new Extension({ extnID: OID.ocspNoCheck, critical: false, extnValue: new OctetString(Buffer.from([0x05, 0x00])) }));
  }

  const sigAlg = signatureAlgorithm(t.signingKey);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: ab(serialBytes(t.serialHex)),
    signature: sigAlg,
    issuer: issuerName,
    validity: new Validity({ notBefore: wholeSeconds(t.notBefore), notAfter: wholeSeconds(t.notAfter) }),
    subject,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const signature = signBytes(tbsDer, t.signingKey);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: sigAlg, signatureValue: ab(signature) });
  const der = Buffer.from(AsnConvert.serialize(cert));
  // Guard against the serializer changing the tbs bytes between signing and wrapping.
  const parts = splitSigned(der);
  if (!parts || !parts.tbs.equals(tbsDer)) throw new Error('certificate re-encoding changed the signed bytes');
  return der;
}
