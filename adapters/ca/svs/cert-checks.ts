/**
 * Certificate checks behind SVS_ValidateCert and the verifyLevel of the verify operations, on the
 * crypto core's ChainValidator and RevocationChecker:
 *   level 0  the certificate's validity period at the verification time
 *   level 1  + a valid chain to one of the configured trust roots
 *   level 2  + revocation of every certificate in the chain (CRL and/or OCSP, as configured)
 * Results keep the GM/T SVS-style state number of validation-codes.ts (1 valid, -1 untrusted, -2
 * expired, -3 revoked, -4 on hold, ≤ -5 medbill's finer reasons).
 */
import {
  certificatesFromPemBundle,
  ChainValidator,
  isValidAt,
  ParsedCertificate,
  Purpose,
  RevocationChecker,
  RevocationMode,
  VALIDATION_CODES,
} from '../../../src/crypto';

export interface CertCheckSettings {
  trustRootsPem: string[];
  revocation: RevocationMode;
  softFail: boolean;
  timeoutMs: number;
}

export interface CertVerdict {
  ok: boolean;
  /** GM/T SVS-style certificate state */
  state: number;
  reason: string;
}

export class CertChecks {
  private readonly configured: ChainValidator;
  private readonly viaOcsp: ChainValidator;

  constructor(s: CertCheckSettings) {
    const roots = s.trustRootsPem.flatMap((p) => certificatesFromPemBundle(p));
    const checker = (mode: RevocationMode) => new RevocationChecker({ mode, softFail: s.softFail, timeoutMs: s.timeoutMs });
    this.configured = new ChainValidator({ trustRoots: roots, revocation: checker(s.revocation) });
    this.viaOcsp = new ChainValidator({ trustRoots: roots, revocation: checker('ocsp') });
  }

  async check(cert: ParsedCertificate, o: { level: number; at?: Date; purpose?: Purpose; ocsp?: boolean; extra?: Buffer[] }): Promise<CertVerdict> {
    const at = o.at ?? new Date();
    if (o.level <= 0) {
      if (isValidAt(cert, at)) return { ok: true, state: VALIDATION_CODES.OK.gm, reason: VALIDATION_CODES.OK.zh };
      const code = at < cert.notBefore ? 'NOT_YET_VALID' : 'EXPIRED';
      return {
        ok: false,
        state: VALIDATION_CODES[code].gm,
        reason: `${VALIDATION_CODES[code].zh}（${cert.notBefore.toISOString()} 至 ${cert.notAfter.toISOString()}，验证时间 ${at.toISOString()}）`,
      };
    }
    const v = o.ocsp ? this.viaOcsp : this.configured;
    const r = await v.validate(cert, { at, purpose: o.purpose ?? 'any', checkRevocation: o.level >= 2, extraCertificates: o.extra });
    return { ok: r.ok, state: r.gmCode, reason: r.ok ? r.message.zh + (r.warnings.length ? `（${r.warnings.join('; ')}）` : '') : `${r.message.zh}：${r.reason}` };
  }
}
