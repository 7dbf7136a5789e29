/**
 * An OCSP responder (RFC 6960) as a plain function `(requestDer) => Promise<responseDer>`, plus a
 * node:http handler (POST application/ocsp-request, and GET /{base64} per RFC 6960 A.1) so the
 * embedded CA, a test, or any express/http server can mount it.
 *
 * Signs with SM2 (or RSA) as the CA itself or as a delegated responder certificate that the CA
 * issued with id-kp-OCSPSigning; the delegate's certificate is included in the response.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, CRLReason, Name } from '@peculiar/asn1-x509';
import {
  BasicOCSPResponse,
  CertStatus,
  KeyHash,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
} from '@peculiar/asn1-ocsp';
import { splitSigned } from '../asn1/der';
import { CRL_REASONS } from './crl';
import { OID } from '../asn1/oids';
import { certIdMatchesIssuer, OcspCertStatus, parseOcspRequest } from './ocsp';
import { ab, signatureAlgorithm, signBytes, SigningKey } from './signature-alg';
import { ParsedCertificate, wholeSeconds } from './x509';

export interface OcspResponderOptions {
  /** The CA whose certificates this responder answers for. */
  issuer: ParsedCertificate;
  /** Signing identity: the CA itself, or a delegated responder certificate issued by it. */
  signer: { certificate: ParsedCertificate; key: SigningKey };
  /** Status of a serial (normalised lower-case hex) issued by `issuer`. */
  lookup: (serialHex: string) => OcspCertStatus | Promise<OcspCertStatus>;
  clock?: () => Date;
  /** nextUpdate = thisUpdate + validityMs. Default 1 hour. */
  validityMs?: number;
  /** Identify the responder by key hash (default) or by name. */
  responderId?: 'key' | 'name';
  /** Include the signer certificate; default: only when it is a delegate. */
  includeSignerCertificate?: boolean;
}

export type OcspResponder = (requestDer: Buffer) => Promise<Buffer>;

export function ocspErrorResponse(status: OCSPResponseStatus): Buffer {
  return Buffer.from(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })));
}

function toAsnStatus(s: OcspCertStatus): CertStatus {
  if (s.status === 'good') return new CertStatus({ good: null });
  if (s.status === 'revoked') {
    return new CertStatus({
      revoked: new RevokedInfo({
        revocationTime: wholeSeconds(s.revokedAt),
        revocationReason: s.reason && s.reason !== 'unspecified' ? new CRLReason(CRL_REASONS.indexOf(s.reason)) : undefined,
      }),
    });
  }
  return new CertStatus({ unknown: null });
}

export function createOcspResponder(opts: OcspResponderOptions): OcspResponder {
  const clock = opts.clock ?? (() => new Date());
  const signerCert = opts.signer.certificate;
  const delegated = !signerCert.der.equals(opts.issuer.der);
  const includeCert = opts.includeSignerCertificate ?? delegated;
  const responderID =
    opts.responderId === 'name'
      ? new ResponderID({ byName: AsnConvert.parse(signerCert.subject.der, Name) })
      : new ResponderID({ byKey: new KeyHash(createHash('sha1').update(signerCert.publicKeyBits).digest()) });
  const sigAlg = signatureAlgorithm(opts.signer.key);
  const certs = includeCert ? [AsnConvert.parse(signerCert.der, Certificate)] : undefined;

  return async (requestDer: Buffer): Promise<Buffer> => {
    const req = parseOcspRequest(requestDer);
    if (!req.ok) return ocspErrorResponse(OCSPResponseStatus.malformedRequest);
    try {
      const now = wholeSeconds(clock());
      const next = wholeSeconds(new Date(now.getTime() + (opts.validityMs ?? 3600_000)));
      const responses: SingleResponse[] = [];
      for (let i = 0; i < req.value.certIds.length; i++) {
        const id = req.value.certIds[i];
        // A CertID for another CA, or hashed with an algorithm we do not compute, is "unknown" to us.
        const status: OcspCertStatus = id && certIdMatchesIssuer(id, opts.issuer) ? await opts.lookup(id.serialHex) : { status: 'unknown' };
        responses.push(
          new SingleResponse({ certID: req.value.rawCertIds[i], certStatus: toAsnStatus(status), thisUpdate: now, nextUpdate: next }),
        );
      }
      const data = new ResponseData({
        responderID,
        producedAt: now,
        responses,
        responseExtensions: req.value.nonceExtension ? [req.value.nonceExtension] : undefined,
      });
      const tbs = Buffer.from(AsnConvert.serialize(data));
      const signature = signBytes(tbs, opts.signer.key);
      const basicDer = Buffer.from(
        AsnConvert.serialize(new BasicOCSPResponse({ tbsResponseData: data, signatureAlgorithm: sigAlg, signature: ab(signature), certs })),
      );
      const parts = splitSigned(basicDer, true);
      if (!parts || !parts.tbs.equals(tbs)) throw new Error('OCSP re-encoding changed the signed bytes');
      return Buffer.from(
        AsnConvert.serialize(
          new OCSPResponse({
            responseStatus: OCSPResponseStatus.successful,
            responseBytes: new ResponseBytes({ responseType: OID.ocspBasic, response: new OctetString(basicDer) }),
          }),
        ),
      );
    } catch {
      // A lookup failure (database down) must not look like "good": tell the client to try later.
      return ocspErrorResponse(OCSPResponseStatus.tryLater);
    }
  };
}

const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * node:http handler. Mount it on its own server or at a path of an existing one:
 * `http.createServer(ocspHttpHandler(responder))`, or from express `app.use('/ocsp', (q, s) => h(q, s))`.
 */
export function ocspHttpHandler(responder: OcspResponder): (req: IncomingMessage, res: ServerResponse) => void {
  const send = (res: ServerResponse, body: Buffer): void => {
    res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(body);
  };
  return (req, res) => {
    if (req.method === 'GET') {
      // RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}
      const last = (req.url ?? '').split('/').pop() ?? '';
      let der: Buffer;
      try {
        der = Buffer.from(decodeURIComponent(last), 'base64');
      } catch {
        der = Buffer.alloc(0);
      }
      responder(der).then((b) => send(res, b), () => send(res, ocspErrorResponse(OCSPResponseStatus.internalError)));
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES && !aborted) {
        aborted = true;
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      if (!aborted) chunks.push(c);
    });
    req.on('end', () => {
      if (aborted) return;
      responder(Buffer.concat(chunks)).then((b) => send(res, b), () => send(res, ocspErrorResponse(OCSPResponseStatus.internalError)));
    });
    req.on('error', () => {
      if (!res.headersSent) res.writeHead(400).end();
    });
  };
}
