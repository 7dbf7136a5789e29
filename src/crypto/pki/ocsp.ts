/**
 * OCSP (RFC 6960) messages and the client side: CertID (SM3, SHA-1 or SHA-256 — ask the CA which one
 * its responder matches), request building with a nonce, response parsing, and verification of a
 * BasicOCSPResponse: signature over the raw tbsResponseData bytes, responder authorised (the CA
 * itself, a CA-issued id-kp-OCSPSigning delegate, or a locally trusted responder), thisUpdate /
 * nextUpdate window, nonce echo. The responder is in ./ocsp-responder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extension } from '@peculiar/asn1-x509';
import {
  BasicOCSPResponse,
  CertID,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  ResponseData,
  TBSRequest,
} from '@peculiar/asn1-ocsp';
import { bytesOf, isWellFormed, splitSigned, tryChildren, tryTlv } from '../asn1/der';
import { describeName, DistinguishedName, sameName } from '../asn1/dn';
import { CRL_REASONS, CrlReason } from './crl';
import { OID } from '../asn1/oids';
import { ab, verifyBytes } from './signature-alg';
import { isValidAt, normaliseSerial, ParsedCertificate, parseCertificateCached, Result, serialBytes, verifyCertificateSignature } from './x509';
import { RevocationFailureCode } from './validation-codes';

export type OcspHash = 'sm3' | 'sha1' | 'sha256';
const HASH_OID: Record<OcspHash, string> = { sm3: OID.sm3, sha1: OID.sha1, sha256: OID.sha256 };
const OID_HASH = new Map<string, OcspHash>(Object.entries(HASH_OID).map(([k, v]) => [v, k as OcspHash]));

export interface CertIdInfo {
  hash: OcspHash;
  issuerNameHash: Buffer;
  issuerKeyHash: Buffer;
  serialHex: string;
}

/** CertID of `serial` under `issuer`: hashes of the issuer's subject DER and of its public key bits. */
export function certIdFor(serial: string | ParsedCertificate, issuer: ParsedCertificate, hash: OcspHash = 'sha1'): CertIdInfo {
  return {
    hash,
    issuerNameHash: createHash(hash).update(issuer.subject.der).digest(),
    issuerKeyHash: createHash(hash).update(issuer.publicKeyBits).digest(),
    serialHex: normaliseSerial(typeof serial === 'string' ? serial : serial.serialHex),
  };
}

export function sameCertId(a: CertIdInfo, b: CertIdInfo): boolean {
  return a.hash === b.hash && a.serialHex === b.serialHex && a.issuerNameHash.equals(b.issuerNameHash) && a.issuerKeyHash.equals(b.issuerKeyHash);
}

/** Does this CertID name a certificate of `issuer` (whatever hash it used)? */
export function certIdMatchesIssuer(id: CertIdInfo, issuer: ParsedCertificate): boolean {
  const mine = certIdFor(id.serialHex, issuer, id.hash);
  return mine.issuerNameHash.equals(id.issuerNameHash) && mine.issuerKeyHash.equals(id.issuerKeyHash);
}

export function toAsnCertId(id: CertIdInfo): CertID {
  return new CertID({
    // SHA-1 conventionally carries NULL parameters; SM3 as GM CAs send it, without.
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID[id.hash], parameters: id.hash === 'sm3' ? undefined : null }),
    issuerNameHash: new OctetString(id.issuerNameHash),
    issuerKeyHash: new OctetString(id.issuerKeyHash),
    serialNumber: ab(serialBytes(id.serialHex)),
  });
}

/** null when the hash algorithm is not one we compute. */
export function fromAsnCertId(c: CertID): CertIdInfo | null {
  const hash = OID_HASH.get(c.hashAlgorithm.algorithm);
  if (!hash) return null;
  return {
    hash,
    issuerNameHash: Buffer.from(c.issuerNameHash.buffer),
    issuerKeyHash: Buffer.from(c.issuerKeyHash.buffer),
    serialHex: normaliseSerial(Buffer.from(c.serialNumber).toString('hex')),
  };
}

/** extnValue of id-pkix-ocsp-nonce: an OCTET STRING wrapping the nonce (RFC 8954). */
export function nonceExtension(nonce: Buffer): Extension {
  return new Extension({ extnID: OID.ocspNonce, critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))) });
}

/** Reads a nonce, unwrapping the inner OCTET STRING when present (older peers send the bare bytes). */
export function readNonce(exts: Extension[] | undefined): Buffer | undefined {
  const e = exts?.find((x) => x.extnID === OID.ocspNonce);
  if (!e) return undefined;
  const v = Buffer.from(e.extnValue.buffer);
  const t = tryTlv(v, 0);
  return t && t.tag === 0x04 && t.end === v.length ? v.subarray(t.valueStart) : v;
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface OcspRequestOptions {
  hash?: OcspHash;
  /** true (default) → 16 random bytes; a Buffer → that nonce; false → none. */
  nonce?: boolean | Buffer;
}

export interface BuiltOcspRequest {
  der: Buffer;
  certId: CertIdInfo;
  nonce?: Buffer;
}

export function buildOcspRequest(cert: ParsedCertificate | string, issuer: ParsedCertificate, opts: OcspRequestOptions = {}): BuiltOcspRequest {
  const certId = certIdFor(cert, issuer, opts.hash ?? 'sha1');
  const nonce = opts.nonce === false ? undefined : Buffer.isBuffer(opts.nonce) ? opts.nonce : randomBytes(16);
  const tbs = new TBSRequest({
    requestList: [new Request({ reqCert: toAsnCertId(certId) })],
    requestExtensions: nonce ? [nonceExtension(nonce)] : undefined,
  });
  const der = Buffer.from(AsnConvert.serialize(new OCSPRequest({ tbsRequest: tbs })));
  return { der, certId, nonce };
}

export interface ParsedOcspRequest {
  /** One per request entry; null where the CertID hash algorithm is unsupported. */
  certIds: Array<CertIdInfo | null>;
  /** The raw CertIDs, echoed back verbatim in the response. */
  rawCertIds: CertID[];
  nonce?: Buffer;
  nonceExtension?: Extension;
}

export function parseOcspRequest(der: Uint8Array): Result<ParsedOcspRequest> {
  let req: OCSPRequest;
  try {
    if (!isWellFormed(der) || der[0] !== 0x30) return { ok: false, reason: 'malformed OCSP request encoding' };
    req = AsnConvert.parse(der, OCSPRequest);
  } catch (e) {
    return { ok: false, reason: `malformed OCSP request: ${(e as Error).message}` };
  }
  const list = req.tbsRequest.requestList ?? [];
  if (!list.length) return { ok: false, reason: 'OCSP request has no entries' };
  const exts = req.tbsRequest.requestExtensions;
  return {
    ok: true,
    value: {
      certIds: list.map((r) => fromAsnCertId(r.reqCert)),
      rawCertIds: list.map((r) => r.reqCert),
      nonce: readNonce(exts),
      nonceExtension: exts?.find((x) => x.extnID === OID.ocspNonce),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Responses

export const OCSP_STATUS_NAMES: Record<number, string> = {
  [OCSPResponseStatus.successful]: 'successful',
  [OCSPResponseStatus.malformedRequest]: 'malformedRequest',
  [OCSPResponseStatus.internalError]: 'internalError',
  [OCSPResponseStatus.tryLater]: 'tryLater',
  [OCSPResponseStatus.sigRequired]: 'sigRequired',
  [OCSPResponseStatus.unauthorized]: 'unauthorized',
};

export type OcspCertStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason?: CrlReason }
  | { status: 'unknown' };

export interface OcspSingleResponse {
  certId: CertIdInfo | null;
  certStatus: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface ParsedOcspResponse {
  responseStatus: string;
  basic?: {
    tbs: Buffer;
    signatureAlgorithm: string;
    signature: Buffer;
    responderByName?: DistinguishedName;
    responderByKeyHex?: string;
    producedAt: Date;
    responses: OcspSingleResponse[];
    nonce?: Buffer;
    /** Certificates the responder included (normally its delegated signing certificate). */
    certs: ParsedCertificate[];
  };
}

export function parseOcspResponse(der: Uint8Array): Result<ParsedOcspResponse> {
  let resp: OCSPResponse;
  try {
    if (!isWellFormed(der) || der[0] !== 0x30) return { ok: false, reason: 'malformed OCSP response encoding' };
    resp = AsnConvert.parse(der, OCSPResponse);
  } catch (e) {
    return { ok: false, reason: `malformed OCSP response: ${(e as Error).message}` };
  }
  const responseStatus = OCSP_STATUS_NAMES[resp.responseStatus] ?? `status ${resp.responseStatus}`;
  if (resp.responseStatus !== OCSPResponseStatus.successful) return { ok: true, value: { responseStatus } };
  if (!resp.responseBytes || resp.responseBytes.responseType !== OID.ocspBasic) {
    return { ok: false, reason: 'OCSP response is not a BasicOCSPResponse' };
  }
  const basicDer = Buffer.from(resp.responseBytes.response.buffer);
  const parts = isWellFormed(basicDer) ? splitSigned(basicDer, true) : null;
  if (!parts) return { ok: false, reason: 'malformed BasicOCSPResponse encoding' };
  let basic: BasicOCSPResponse;
  try {
    basic = AsnConvert.parse(basicDer, BasicOCSPResponse);
  } catch (e) {
    return { ok: false, reason: `malformed BasicOCSPResponse: ${(e as Error).message}` };
  }
  const data: ResponseData = basic.tbsResponseData;
  let responderByName: DistinguishedName | undefined;
  if (data.responderID.byName) {
    // The Name's raw bytes sit inside [1] EXPLICIT in tbsResponseData; find them for exact matching.
    const tbsT = tryTlv(parts.tbs, 0);
    const fields = tbsT && tryChildren(parts.tbs, tbsT);
    const rid = fields?.find((f) => f.tag === 0xa1);
    const inner = rid && tryTlv(parts.tbs, rid.valueStart, rid.end);
    if (!inner) return { ok: false, reason: 'malformed responderID' };
    responderByName = describeName(data.responderID.byName, Buffer.from(bytesOf(parts.tbs, inner)));
  }
  // Take the included certificates' original bytes (certs [0] EXPLICIT SEQUENCE OF Certificate):
  // re-serialising a parsed certificate could change the bytes its issuer signed.
  const certs: ParsedCertificate[] = [];
  const basicT = tryTlv(basicDer, 0);
  const certsField = basicT && tryChildren(basicDer, basicT)?.find((f) => f.tag === 0xa0);
  if (certsField) {
    const seq = tryTlv(basicDer, certsField.valueStart, certsField.end);
    const list = seq && seq.tag === 0x30 ? tryChildren(basicDer, seq) : null;
    if (!list) return { ok: false, reason: 'malformed BasicOCSPResponse certs' };
    for (const t of list) {
      const pc = parseCertificateCached(bytesOf(basicDer, t));
      if (!pc.ok) return { ok: false, reason: `OCSP responder certificate: ${pc.reason}` };
      certs.push(pc.value);
    }
  }
  const responses: OcspSingleResponse[] = [];
  for (const r of data.responses) {
    let certStatus: OcspCertStatus;
    if (r.certStatus.revoked) {
      const code = r.certStatus.revoked.revocationReason?.reason;
      certStatus = { status: 'revoked', revokedAt: r.certStatus.revoked.revocationTime, reason: code === undefined ? undefined : CRL_REASONS[code] };
    } else if (r.certStatus.good === null) certStatus = { status: 'good' };
    else certStatus = { status: 'unknown' };
    responses.push({ certId: fromAsnCertId(r.certID), certStatus, thisUpdate: r.thisUpdate, nextUpdate: r.nextUpdate });
  }
  return {
    ok: true,
    value: {
      responseStatus,
      basic: {
        tbs: Buffer.from(parts.tbs),
        signatureAlgorithm: basic.signatureAlgorithm.algorithm,
        signature: Buffer.from(parts.signature),
        responderByName,
        responderByKeyHex: data.responderID.byKey ? Buffer.from(data.responderID.byKey.buffer).toString('hex') : undefined,
        producedAt: data.producedAt,
        responses,
        nonce: readNonce(data.responseExtensions),
        certs,
      },
    },
  };
}

export interface OcspVerifyOptions {
  /** The CA that issued the certificate being checked. */
  issuer: ParsedCertificate;
  certId: CertIdInfo;
  /** The nonce we sent; a response carrying a different one is refused. */
  nonce?: Buffer;
  /** Refuse responses without our nonce (default false: many CA responders pre-produce responses). */
  requireNonce?: boolean;
  now?: Date;
  clockSkewMs?: number;
  /** Freshness limit for responses without nextUpdate. Default 1 hour. */
  maxAgeMs?: number;
  /** Locally configured responder certificates, trusted as-is (RFC 6960 §4.2.2.2 case 1). */
  trustedResponders?: readonly ParsedCertificate[];
}

export type OcspCheck =
  | {
      ok: true;
      status: OcspCertStatus;
      thisUpdate: Date;
      nextUpdate?: Date;
      responder: ParsedCertificate;
    }
  | { ok: false; code: Extract<RevocationFailureCode, 'REVOCATION_UNKNOWN' | 'OCSP_BAD_SIGNATURE' | 'OCSP_INVALID'>; reason: string };

function responderMatches(basic: NonNullable<ParsedOcspResponse['basic']>, cert: ParsedCertificate): boolean {
  if (basic.responderByKeyHex) return createHash('sha1').update(cert.publicKeyBits).digest('hex') === basic.responderByKeyHex;
  return !!basic.responderByName && sameName(basic.responderByName, cert.subject);
}

/** Finds who signed the response and whether they may speak for `issuer`. */
function authorisedResponder(
  basic: NonNullable<ParsedOcspResponse['basic']>,
  opts: OcspVerifyOptions,
  now: Date,
): Result<ParsedCertificate> {
  if (responderMatches(basic, opts.issuer)) return { ok: true, value: opts.issuer };
  for (const t of opts.trustedResponders ?? []) if (responderMatches(basic, t)) return { ok: true, value: t };
  const delegate = basic.certs.find((c) => responderMatches(basic, c));
  if (!delegate) return { ok: false, reason: 'OCSP responder is neither the CA nor a certificate included in the response' };
  if (!sameName(delegate.issuer, opts.issuer.subject) || !verifyCertificateSignature(delegate, opts.issuer)) {
    return { ok: false, reason: 'OCSP responder certificate was not issued by the certificate\'s CA' };
  }
  if (!delegate.extensions.extKeyUsage?.includes(OID.kpOcspSigning)) return { ok: false, reason: 'OCSP responder certificate lacks id-kp-OCSPSigning' };
  if (!isValidAt(delegate, now)) return { ok: false, reason: 'OCSP responder certificate is outside its validity period' };
  return { ok: true, value: delegate };
}

/** Verifies a parsed response for one CertID. Never throws. */
export function verifyOcspResponse(resp: ParsedOcspResponse, opts: OcspVerifyOptions): OcspCheck {
  if (resp.responseStatus !== 'successful' || !resp.basic) {
    // tryLater/internalError etc. are an unavailable service, not a verdict on the certificate.
    return { ok: false, code: 'REVOCATION_UNKNOWN', reason: `OCSP responder answered ${resp.responseStatus}` };
  }
  const basic = resp.basic;
  const now = opts.now ?? new Date();
  const responder = authorisedResponder(basic, opts, now);
  if (!responder.ok) return { ok: false, code: 'OCSP_BAD_SIGNATURE', reason: responder.reason };
  if (!verifyBytes(basic.tbs, basic.signatureAlgorithm, basic.signature, responder.value.publicKey, { cacheKey: true })) {
    return { ok: false, code: 'OCSP_BAD_SIGNATURE', reason: 'OCSP response signature does not verify' };
  }
  if (opts.nonce && basic.nonce && !basic.nonce.equals(opts.nonce)) return { ok: false, code: 'OCSP_INVALID', reason: 'OCSP nonce does not match the request' };
  if (opts.nonce && !basic.nonce && opts.requireNonce) return { ok: false, code: 'OCSP_INVALID', reason: 'OCSP response has no nonce' };
  const single = basic.responses.find((r) => r.certId && sameCertId(r.certId, opts.certId));
  if (!single) return { ok: false, code: 'OCSP_INVALID', reason: 'OCSP response does not cover the requested certificate' };
  if (Number.isNaN(single.thisUpdate.getTime()) || (single.nextUpdate && Number.isNaN(single.nextUpdate.getTime()))) {
    return { ok: false, code: 'OCSP_INVALID', reason: 'OCSP response has invalid times' };
  }
  const skew = opts.clockSkewMs ?? 5 * 60_000;
  const t = now.getTime();
  if (single.thisUpdate.getTime() > t + skew) return { ok: false, code: 'OCSP_INVALID', reason: 'OCSP thisUpdate is in the future' };
  if (single.nextUpdate && single.nextUpdate.getTime() < t - skew) return { ok: false, code: 'OCSP_INVALID', reason: 'OCSP response is past its nextUpdate' };
  if (!single.nextUpdate && single.thisUpdate.getTime() < t - (opts.maxAgeMs ?? 3600_000)) {
    return { ok: false, code: 'OCSP_INVALID', reason: 'OCSP response is too old' };
  }
  return { ok: true, status: single.certStatus, thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate, responder: responder.value };
}

// ---------------------------------------------------------------------------------------------
// Client

export interface OcspClientOptions extends OcspRequestOptions {
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  requireNonce?: boolean;
  trustedResponders?: readonly ParsedCertificate[];
  clock?: () => Date;
  clockSkewMs?: number;
}

/** POSTs a DER request (application/ocsp-request) and returns the DER response; rejects on transport errors. */
export async function postOcspRequest(url: string, der: Uint8Array, opts: { timeoutMs?: number; fetchImpl?: typeof fetch } = {}): Promise<Buffer> {
  const f = opts.fetchImpl ?? fetch;
  const res = await f(url, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
    body: der,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
  });
  if (!res.ok) throw new Error(`OCSP ${url}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > 1024 * 1024) throw new Error(`OCSP ${url}: response too large`);
  return body;
}

/** Build, send, parse and verify in one call. Never throws. */
export async function queryOcsp(url: string, cert: ParsedCertificate, issuer: ParsedCertificate, opts: OcspClientOptions = {}): Promise<OcspCheck> {
  const req = buildOcspRequest(cert, issuer, opts);
  let body: Buffer;
  try {
    body = await postOcspRequest(url, req.der, opts);
  } catch (e) {
    return { ok: false, code: 'REVOCATION_UNKNOWN', reason: (e as Error).message };
  }
  const parsed = parseOcspResponse(body);
  if (!parsed.ok) return { ok: false, code: 'OCSP_INVALID', reason: parsed.reason };
  return verifyOcspResponse(parsed.value, {
    issuer,
    certId: req.certId,
    nonce: req.nonce,
    requireNonce: opts.requireNonce,
    now: opts.clock?.(),
    clockSkewMs: opts.clockSkewMs,
    trustedResponders: opts.trustedResponders,
  });
}

export { OCSPResponseStatus };
