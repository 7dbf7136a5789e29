/**
 * What the finance side trusts and signs with, taken from the demo PKI (<dataDir>/pki/demo-pki.json,
 * shared with medbill's in-process signer and the embedded SVS).
 *
 * - Unit signatures must chain to one of the demo PKI's trust roots (`trustRootsPem`).
 * - Supervisory signatures must chain to the finance CA alone: the hospital's CA must not be able to
 *   mint a certificate that passes as finance's (the reason demo-pki.ts has two roots).
 * - The unit certificate's revocation is checked on upload (`finance.revocation`: CRL or OCSP, the demo
 *   certificates point at the embedded SVS's /crl/root.crl and /ocsp; `crlUrl`/`ocspUrl` override them).
 *   A revoked or held certificate is `unit-cert-revoked`; a status that cannot be had is transient
 *   (HTTP 503, the unit retries) unless `softFail` accepts it, which the demo does: a simulator started
 *   alone has no SVS beside it. The check page verifies without it (a bill stays genuine if the
 *   certificate is revoked after signing).
 *
 * Verification and supervisory signing run on this process's event loop (~2.5 ms + ~0.75 ms of SM2 per
 * upload, measured). Fine for a simulator; medbill's own signing goes through its worker pool.
 */
import {
  certificateDer,
  certificatesFromPemBundle,
  ChainValidator,
  createDetachedSigner,
  parseCertificateCached,
  ParsedCertificate,
  RevocationChecker,
  type RevocationMode,
  sm2PrivateKey,
  verifyP7,
  type DemoPki,
} from '../../../src/crypto';
import { stamp17 } from '../../../src/domain/time';
import type { RefusalCode } from '../api';

export interface SignatureVerdict {
  verified: boolean;
  /** the unit certificate's revocation status could not be had: try again later (not a verdict) */
  unavailable?: boolean;
  /** set when not verified: why, as an upload refusal code */
  code?: RefusalCode;
  /** English, for logs and the JSON answer */
  detail: string;
  /** common name of the signer certificate, when it could be found */
  signer?: string;
  /** serial of the signer certificate, lower-case hex */
  serial?: string;
}

export interface SupervisorSignature {
  signature: string;
  certSerial: string;
  /** yyyyMMddHHmmss, Beijing time */
  time: string;
}

export class FinanceTrust {
  private readonly unitRoots: ChainValidator;
  private readonly financeRoots: ChainValidator;
  private readonly sign: (data: Uint8Array) => Buffer;
  readonly supervisorCertSerial: string;

  private readonly unitRevocation?: ChainValidator;

  constructor(pki: DemoPki, revocation?: RevocationSettings) {
    const unitTrust = certificatesFromPemBundle(pki.trustRootsPem);
    this.unitRoots = new ChainValidator({ trustRoots: unitTrust });
    if (revocation && revocation.mode !== 'none') {
      const checker = new RevocationChecker({
        mode: revocation.mode,
        softFail: revocation.softFail,
        timeoutMs: revocation.timeoutMs,
        ...(revocation.crlUrl ? { crlUrls: [revocation.crlUrl] } : {}),
        ...(revocation.ocspUrl ? { ocspUrl: revocation.ocspUrl } : {}),
      });
      this.unitRevocation = new ChainValidator({ trustRoots: unitTrust, revocation: checker });
    }
    this.financeRoots = new ChainValidator({ trustRoots: [pki.financeCa.certificatePem] });
    const fin = pki.financeSigning;
    const certDer = certificateDer(fin.certificatePem);
    this.sign = createDetachedSigner({ privateKey: sm2PrivateKey(fin.privateKey, fin.publicKey), certDer });
    this.supervisorCertSerial = mustParse(certDer).serialHex;
  }

  /** The supervisory signature: detached GM/T 0010 SignedData over the same signed text as the unit's. */
  signSupervisor(content: string, now = Date.now()): SupervisorSignature {
    return {
      signature: this.sign(Buffer.from(content, 'utf8')).toString('base64'),
      certSerial: this.supervisorCertSerial,
      time: stamp17(now).slice(0, 14),
    };
  }

  /** On upload: the signature, the chain, and (when configured) the certificate's revocation now. */
  verifyUnitUpload(content: string, signatureB64: string, at: Date): Promise<SignatureVerdict> {
    return verify(this.unitRevocation ?? this.unitRoots, content, signatureB64, at, !!this.unitRevocation);
  }

  /** The check page: signature and chain at the time finance accepted the bill. */
  verifyUnit(content: string, signatureB64: string, at: Date): Promise<SignatureVerdict> {
    return verify(this.unitRoots, content, signatureB64, at);
  }

  verifySupervisor(content: string, signatureB64: string, at: Date): Promise<SignatureVerdict> {
    return verify(this.financeRoots, content, signatureB64, at);
  }
}

export interface RevocationSettings {
  mode: RevocationMode;
  softFail: boolean;
  timeoutMs: number;
  crlUrl?: string;
  ocspUrl?: string;
}

const REVOKED = new Set(['REVOKED', 'SUSPENDED']);
const UNAVAILABLE = new Set(['REVOCATION_UNKNOWN']);

async function verify(roots: ChainValidator, content: string, signatureB64: string, at: Date, checkRevocation = false): Promise<SignatureVerdict> {
  const p7 = Buffer.from(signatureB64, 'base64');
  const r = verifyP7(p7, { content: Buffer.from(content, 'utf8') });
  const cert = r.signerCert ? parseCertificateCached(r.signerCert) : undefined;
  const who = cert?.ok ? { signer: commonName(cert.value), serial: cert.value.serialHex } : {};
  if (!r.valid) {
    const code: RefusalCode =
      r.reason === 'bad-structure'
        ? 'unit-signature-malformed'
        : r.reason === 'no-signer-cert'
          ? 'unit-signer-unknown'
          : r.reason === 'unsupported-algorithm'
            ? 'unit-signature-algorithm'
            : 'unit-signature-invalid'; // digest-mismatch, signature-invalid, missing-content
    return { verified: false, code, detail: `${r.reason}: ${r.detail}`, ...who };
  }
  // The fiscal e-bill signature is SM2 in GM/T 0010 form (docs/reference/fiscal-ebill.md#the-unit-signature); an RSA PKCS#7 is not one.
  if (r.form !== 'gm' || r.signers.length !== 1) {
    return { verified: false, code: 'unit-signature-algorithm', detail: `expected one GM/T 0010 SM2 signer, got ${r.signers.length} ${r.form} signer(s)`, ...who };
  }
  const chain = await roots.validate(r.signerCert!, { at, purpose: 'signing', extraCertificates: r.certificates, checkRevocation });
  if (!chain.ok) {
    const detail = `${chain.code}: ${chain.reason}`;
    if (REVOKED.has(chain.code)) return { verified: false, code: 'unit-cert-revoked', detail, ...who };
    if (UNAVAILABLE.has(chain.code)) return { verified: false, unavailable: true, code: 'unit-cert-untrusted', detail, ...who };
    return { verified: false, code: 'unit-cert-untrusted', detail, ...who };
  }
  return { verified: true, detail: chain.reason, ...who };
}

function commonName(c: ParsedCertificate): string {
  const cn = c.subject.rdns.flat().find((a) => a.type === 'CN');
  return cn?.value ?? c.subject.text;
}

function mustParse(der: Buffer): ParsedCertificate {
  const r = parseCertificateCached(der);
  if (!r.ok) throw new Error(`finance supervisor certificate: ${r.reason}`);
  return r.value;
}
