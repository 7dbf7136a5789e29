/**
 * The demo root CA's status services, served by the embedded SVS because the demo certificates name it
 * (key-material.ts writes http://127.0.0.1:<svs.port>/crl/root.crl and /ocsp into them): a CRL signed by
 * the root, and an OCSP responder signing with the delegated responder certificate of the demo PKI.
 * Revocations come from configuration (svs.demoCa.revoked). Serials the demo CA never issued are
 * "unknown" to OCSP, as a real responder would say.
 */
import {
  buildCrl,
  certificateDer,
  createOcspResponder,
  CRL_REASONS,
  CrlReason,
  mustParseCertificate,
  normaliseSerial,
  OcspResponder,
  ParsedCertificate,
  RevokedEntry,
  type OcspCertStatus,
} from '../../../src/crypto';

export interface DemoCaSettings {
  rootCertPem: string;
  rootPrivateKey: string;
  rootPublicKey: string;
  ocspCertPem: string;
  ocspPrivateKey: string;
  ocspPublicKey: string;
  issuedSerials: string[];
  crlValidityHours: number;
  revoked: Array<{ serial: string; reason?: string; at?: string }>;
}

export function revokedEntries(list: DemoCaSettings['revoked']): RevokedEntry[] {
  return list.map((r) => {
    if (r.reason && !(CRL_REASONS as readonly string[]).includes(r.reason)) throw new Error(`svs.demoCa.revoked: reason '${r.reason}' is not one of ${CRL_REASONS.join(', ')}`);
    const at = r.at ? new Date(r.at) : new Date(0);
    if (Number.isNaN(at.getTime())) throw new Error(`svs.demoCa.revoked: bad time '${r.at}'`);
    return { serialHex: normaliseSerial(r.serial), revokedAt: at, reason: r.reason as CrlReason | undefined };
  });
}

export class DemoCa {
  private readonly root: ParsedCertificate;
  private readonly revoked: RevokedEntry[];
  private readonly issued: Set<string>;
  readonly ocsp: OcspResponder;

  constructor(private readonly s: DemoCaSettings) {
    this.root = mustParseCertificate(certificateDer(s.rootCertPem));
    this.revoked = revokedEntries(s.revoked);
    this.issued = new Set(s.issuedSerials.map(normaliseSerial));
    this.ocsp = createOcspResponder({
      issuer: this.root,
      signer: { certificate: mustParseCertificate(certificateDer(s.ocspCertPem)), key: { kind: 'sm2', privateKey: s.ocspPrivateKey, publicKey: s.ocspPublicKey } },
      lookup: (serial) => this.status(serial),
    });
  }

  status(serialHex: string): OcspCertStatus {
    const serial = normaliseSerial(serialHex);
    const r = this.revoked.find((e) => e.serialHex === serial);
    if (r) return { status: 'revoked', revokedAt: r.revokedAt, reason: r.reason };
    return this.issued.has(serial) ? { status: 'good' } : { status: 'unknown' };
  }

  /** A fresh CRL: thisUpdate now, nextUpdate after the configured validity. */
  crl(now = new Date()): { der: Buffer; nextUpdate: Date } {
    const nextUpdate = new Date(now.getTime() + this.s.crlValidityHours * 3600_000);
    const der = buildCrl({
      issuer: this.root,
      signingKey: { kind: 'sm2', privateKey: this.s.rootPrivateKey, publicKey: this.s.rootPublicKey },
      thisUpdate: new Date(now.getTime() - 60_000),
      nextUpdate,
      revoked: this.revoked,
    });
    return { der, nextUpdate };
  }
}
