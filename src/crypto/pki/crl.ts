/**
 * Certificate revocation lists (RFC 5280 §5): build and sign (SM2 or RSA), parse, verify against the
 * issuing CA, look up a serial, and fetch over HTTP or LDAP.
 *
 * Fetching over HTTP/LDAP lives in ./crl-fetch and the nextUpdate-driven cache in ./crl-cache, so
 * this module stays pure and synchronous.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  CertificateList,
  CRLNumber,
  CRLReason,
  Extension,
  KeyIdentifier,
  Name,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
} from '@peculiar/asn1-x509';
import { bytesOf, isWellFormed, splitSigned, tryChildren, tryTlv } from '../asn1/der';
import { pemEncode, toDer } from '../asn1/pem';
import { describeName, DistinguishedName, sameName } from '../asn1/dn';
import { OID } from '../asn1/oids';
import { ab, signatureAlgorithm, signBytes, SigningKey, verifyBytes } from './signature-alg';
import { keyIdentifier, normaliseSerial, ParsedCertificate, Result, serialBytes, wholeSeconds } from './x509';

export const CRL_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'unused7',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
] as const;
export type CrlReason = (typeof CRL_REASONS)[number];

export interface RevokedEntry {
  serialHex: string;
  revokedAt: Date;
  reason?: CrlReason;
}

export interface CrlTemplate {
  issuer: ParsedCertificate;
  signingKey: SigningKey;
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: readonly RevokedEntry[];
  crlNumber?: number;
}

function ext(oid: string, value: unknown): Extension {
  return new Extension({ extnID: oid, critical: false, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** Builds a v2 CRL with AuthorityKeyIdentifier and CRLNumber; returns DER. */
export function buildCrl(t: CrlTemplate): Buffer {
  const sigAlg = signatureAlgorithm(t.signingKey);
  const akid = t.issuer.extensions.subjectKeyId ?? keyIdentifier(t.issuer.publicKeyBits);
  const revoked = t.revoked.map(
    (r) =>
      new RevokedCertificate({
        userCertificate: ab(serialBytes(r.serialHex)),
        revocationDate: new Time(wholeSeconds(r.revokedAt)),
        crlEntryExtensions:
          r.reason && r.reason !== 'unspecified' ? [ext(OID.cRLReason, new CRLReason(CRL_REASONS.indexOf(r.reason)))] : undefined,
      }),
  );
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: sigAlg,
    issuer: AsnConvert.parse(t.issuer.subject.der, Name),
    thisUpdate: new Time(wholeSeconds(t.thisUpdate)),
    nextUpdate: new Time(wholeSeconds(t.nextUpdate)),
    revokedCertificates: revoked.length ? revoked : undefined,
    crlExtensions: [
      ext(OID.authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(Buffer.from(akid, 'hex')) })),
      ext(OID.cRLNumber, new CRLNumber(t.crlNumber ?? Math.floor(t.thisUpdate.getTime() / 1000))),
    ],
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  const sig = signBytes(tbsDer, t.signingKey);
  const der = Buffer.from(AsnConvert.serialize(new CertificateList({ tbsCertList: tbs, signatureAlgorithm: sigAlg, signature: ab(sig) })));
  const parts = splitSigned(der);
  if (!parts || !parts.tbs.equals(tbsDer)) throw new Error('CRL re-encoding changed the signed bytes');
  return der;
}

export function crlToPem(der: Uint8Array): string {
  return pemEncode(der, 'X509 CRL');
}

export interface ParsedCrl {
  der: Buffer;
  tbs: Buffer;
  signatureAlgorithm: string;
  signature: Buffer;
  issuer: DistinguishedName;
  thisUpdate: Date;
  nextUpdate?: Date;
  crlNumber?: number;
  authorityKeyId?: string;
  /** Keyed by normalised serial hex. */
  revoked: Map<string, RevokedEntry>;
  /** Critical CRL extensions not understood (e.g. a delta-CRL indicator): such a CRL must not be used. */
  unknownCritical: string[];
}

const KNOWN_CRL_EXTENSIONS = new Set<string>([OID.authorityKeyIdentifier, OID.cRLNumber]);

/** Parses a DER or PEM CRL. Never throws. */
export function parseCrl(input: Uint8Array | string): Result<ParsedCrl> {
  const der = toDer(input, 'X509 CRL');
  if (!der) return { ok: false, reason: 'not a DER or PEM CRL' };
  const parts = isWellFormed(der) ? splitSigned(der) : null;
  if (!parts) return { ok: false, reason: 'malformed CRL encoding' };
  let list: CertificateList;
  try {
    list = AsnConvert.parse(der, CertificateList);
  } catch (e) {
    return { ok: false, reason: `malformed CRL: ${(e as Error).message}` };
  }
  const tbs = list.tbsCertList;
  if (tbs.signature.algorithm !== list.signatureAlgorithm.algorithm) return { ok: false, reason: 'CRL signature algorithms differ' };
  const tbsTlv = tryTlv(parts.tbs, 0);
  const fields = tbsTlv && tryChildren(parts.tbs, tbsTlv);
  if (!fields) return { ok: false, reason: 'malformed tbsCertList' };
  const off = fields[0]?.tag === 0x02 ? 1 : 0;
  if (fields.length < off + 3) return { ok: false, reason: 'tbsCertList is missing fields' };
  const issuerDer = bytesOf(parts.tbs, fields[off + 1]);

  const revoked = new Map<string, RevokedEntry>();
  try {
    for (const rc of tbs.revokedCertificates ?? []) {
      const serialHex = normaliseSerial(Buffer.from(rc.userCertificate).toString('hex'));
      let reason: CrlReason | undefined;
      for (const e of rc.crlEntryExtensions ?? []) {
        if (e.extnID === OID.cRLReason) reason = CRL_REASONS[AsnConvert.parse(e.extnValue.buffer, CRLReason).reason];
        else if (e.critical && e.extnID !== OID.invalidityDate) {
          // An entry extension we cannot interpret (e.g. certificateIssuer of an indirect CRL) could
          // change which certificate the entry means: refuse the whole CRL rather than guess.
          return { ok: false, reason: `unsupported critical CRL entry extension ${e.extnID}` };
        }
      }
      revoked.set(serialHex, { serialHex, revokedAt: rc.revocationDate.getTime(), reason });
    }
  } catch {
    return { ok: false, reason: 'malformed revokedCertificates' };
  }

  let crlNumber: number | undefined;
  let authorityKeyId: string | undefined;
  const unknownCritical: string[] = [];
  try {
    for (const e of tbs.crlExtensions ?? []) {
      if (e.extnID === OID.cRLNumber) crlNumber = AsnConvert.parse(e.extnValue.buffer, CRLNumber).value;
      else if (e.extnID === OID.authorityKeyIdentifier) {
        const k = AsnConvert.parse(e.extnValue.buffer, AuthorityKeyIdentifier).keyIdentifier;
        if (k) authorityKeyId = Buffer.from(k.buffer).toString('hex');
      } else if (e.critical && !KNOWN_CRL_EXTENSIONS.has(e.extnID)) unknownCritical.push(e.extnID);
    }
  } catch {
    return { ok: false, reason: 'malformed CRL extensions' };
  }
  const thisUpdate = tbs.thisUpdate.getTime();
  const nextUpdate = tbs.nextUpdate?.getTime();
  if (Number.isNaN(thisUpdate.getTime()) || (nextUpdate && Number.isNaN(nextUpdate.getTime()))) {
    return { ok: false, reason: 'invalid CRL dates' };
  }
  return {
    ok: true,
    value: {
      der: Buffer.from(der),
      tbs: Buffer.from(parts.tbs),
      signatureAlgorithm: list.signatureAlgorithm.algorithm,
      signature: Buffer.from(parts.signature),
      issuer: describeName(tbs.issuer, Buffer.from(issuerDer)),
      thisUpdate,
      nextUpdate,
      crlNumber,
      authorityKeyId,
      revoked,
      unknownCritical,
    },
  };
}

/**
 * Checks that `issuer` issued this CRL: names match, key identifiers agree when both are present,
 * the issuer may sign CRLs (keyUsage cRLSign when keyUsage is present), and the signature verifies.
 */
export function verifyCrl(crl: ParsedCrl, issuer: ParsedCertificate): Result<true> {
  if (!sameName(crl.issuer, issuer.subject)) return { ok: false, reason: `CRL issuer ${crl.issuer.text} is not ${issuer.subject.text}` };
  const ski = issuer.extensions.subjectKeyId;
  if (crl.authorityKeyId && ski && crl.authorityKeyId !== ski) return { ok: false, reason: 'CRL authority key identifier does not match the CA' };
  const ku = issuer.extensions.keyUsage;
  if (ku && !ku.includes('cRLSign')) return { ok: false, reason: 'CA certificate lacks keyUsage cRLSign' };
  if (crl.unknownCritical.length) return { ok: false, reason: `unsupported critical CRL extension ${crl.unknownCritical.join(',')}` };
  if (!verifyBytes(crl.tbs, crl.signatureAlgorithm, crl.signature, issuer.publicKey, { cacheKey: true })) {
    return { ok: false, reason: 'CRL signature does not verify' };
  }
  return { ok: true, value: true };
}

export function lookupSerial(crl: ParsedCrl, serialHex: string): RevokedEntry | undefined {
  return crl.revoked.get(normaliseSerial(serialHex));
}
