/**
 * Certificate path building and validation against several configured trust roots (SM2 and RSA CAs
 * side by side: the hospital's CA, the finance CA, other CAs whose signatures the hospital accepts).
 *
 * Path building: from the leaf upward, candidate issuers are certificates whose subject equals the
 * child's issuer DN and whose subjectKeyIdentifier agrees with the child's authorityKeyIdentifier
 * when both exist. Trust anchors are tried before intermediates. Each complete path is validated;
 * the first valid one wins, otherwise the first path's failure is reported.
 *
 * Validation (RFC 5280 §6, the parts that matter here): every signature with the issuer's key,
 * validity at the given time (system time by default), basicConstraints cA and pathLenConstraint,
 * keyUsage keyCertSign for issuers and the requested purpose for the leaf, unknown critical
 * extensions, then revocation of every non-anchor certificate through a RevocationChecker.
 * Result codes and their GM/T SVS numbers are in ./validation-codes.
 */
import { sameName } from '../asn1/dn';
import { OID } from '../asn1/oids';
import { RevocationChecker, RevocationOutcome } from './revocation';
import { ValidationCode, VALIDATION_CODES } from './validation-codes';
import { ParsedCertificate, parseCertificateCached, verifyCertificateSignature } from './x509';

export type Purpose = 'any' | 'signing' | 'encryption' | 'ocspSigning' | 'ca';

export type CertificateInput = Uint8Array | string | ParsedCertificate;

export interface ValidationResult {
  ok: boolean;
  code: ValidationCode;
  /** GM/T SVS-style number: 1 valid, -1 untrusted root, -2 expired, -3 revoked, -4 on hold, others ≤ -5. */
  gmCode: number;
  /** Fixed text for the code, Chinese and English. */
  message: { zh: string; en: string };
  /** Specific detail (English, names the certificate and the rule). */
  reason: string;
  /** Leaf first, trust anchor last; the best path found even when validation failed. */
  chain: ParsedCertificate[];
  /** Index in `chain` of the certificate that failed. */
  failedAt?: number;
  revocation: RevocationOutcome[];
  /** Non-fatal notes, e.g. status unknown but accepted under a soft-fail policy. */
  warnings: string[];
}

export interface ChainValidatorOptions {
  trustRoots: CertificateInput[];
  intermediates?: CertificateInput[];
  revocation?: RevocationChecker;
  /** Longest chain considered, anchor included. Default 8. */
  maxDepth?: number;
}

export interface ValidateOptions {
  /** Validation time; default now (system time). */
  at?: Date;
  purpose?: Purpose;
  /** Certificates that arrived with the object being verified (e.g. in a PKCS#7). */
  extraCertificates?: CertificateInput[];
  /** Set false to skip revocation for this call even when a checker is configured. */
  checkRevocation?: boolean;
}

function toParsed(c: CertificateInput): ParsedCertificate | string {
  if (typeof c === 'object' && 'fingerprintSha256' in c) return c;
  const r = parseCertificateCached(c);
  return r.ok ? r.value : r.reason;
}

function mustParse(c: CertificateInput, what: string): ParsedCertificate {
  const p = toParsed(c);
  if (typeof p === 'string') throw new Error(`${what}: ${p}`);
  return p;
}

function result(
  code: ValidationCode,
  reason: string,
  chain: ParsedCertificate[],
  extra: Partial<Pick<ValidationResult, 'failedAt' | 'revocation' | 'warnings'>> = {},
): ValidationResult {
  const c = VALIDATION_CODES[code];
  return {
    ok: code === 'OK',
    code,
    gmCode: c.gm,
    message: { zh: c.zh, en: c.en },
    reason,
    chain,
    failedAt: extra.failedAt,
    revocation: extra.revocation ?? [],
    warnings: extra.warnings ?? [],
  };
}

const label = (c: ParsedCertificate): string => `"${c.subject.text}" (serial ${c.serialHex})`;

export class ChainValidator {
  private readonly anchors: ParsedCertificate[] = [];
  private readonly intermediates: ParsedCertificate[] = [];
  private readonly maxDepth: number;
  readonly revocation?: RevocationChecker;

  constructor(opts: ChainValidatorOptions) {
    for (const r of opts.trustRoots) this.addTrustRoot(r);
    for (const i of opts.intermediates ?? []) this.addIntermediate(i);
    this.revocation = opts.revocation;
    this.maxDepth = opts.maxDepth ?? 8;
  }

  /** Throws on a malformed certificate: trust configuration errors should stop start-up. */
  addTrustRoot(c: CertificateInput): ParsedCertificate {
    const p = mustParse(c, 'trust root');
    if (!this.anchors.some((a) => a.fingerprintSha256 === p.fingerprintSha256)) this.anchors.push(p);
    return p;
  }

  addIntermediate(c: CertificateInput): ParsedCertificate {
    const p = mustParse(c, 'intermediate CA');
    if (!this.intermediates.some((a) => a.fingerprintSha256 === p.fingerprintSha256)) this.intermediates.push(p);
    return p;
  }

  get trustRoots(): readonly ParsedCertificate[] {
    return this.anchors;
  }

  private isAnchor(c: ParsedCertificate): boolean {
    return this.anchors.some((a) => a.fingerprintSha256 === c.fingerprintSha256);
  }

  private issuersOf(c: ParsedCertificate, pool: ParsedCertificate[]): ParsedCertificate[] {
    const aki = c.extensions.authorityKeyId;
    return [...this.anchors, ...pool].filter((cand) => {
      if (!sameName(cand.subject, c.issuer)) return false;
      const ski = cand.extensions.subjectKeyId;
      return !aki || !ski || aki === ski;
    });
  }

  /** All paths leaf → anchor, depth-first, at most 16. */
  buildPaths(leaf: ParsedCertificate, extra: ParsedCertificate[] = []): { paths: ParsedCertificate[][]; partial: ParsedCertificate[] } {
    const pool = [...this.intermediates, ...extra].filter((c, i, a) => a.findIndex((x) => x.fingerprintSha256 === c.fingerprintSha256) === i);
    const paths: ParsedCertificate[][] = [];
    let partial: ParsedCertificate[] = [leaf];
    const walk = (path: ParsedCertificate[]): void => {
      if (paths.length >= 16) return;
      const top = path[path.length - 1];
      if (this.isAnchor(top)) {
        paths.push(path);
        return;
      }
      if (path.length > partial.length) partial = path;
      if (path.length >= this.maxDepth) return;
      for (const cand of this.issuersOf(top, pool)) {
        if (path.some((p) => p.fingerprintSha256 === cand.fingerprintSha256)) continue;
        walk([...path, cand]);
      }
    };
    walk([leaf]);
    return { paths, partial };
  }

  async validate(input: CertificateInput, opts: ValidateOptions = {}): Promise<ValidationResult> {
    const leaf = toParsed(input);
    if (typeof leaf === 'string') return result('MALFORMED', leaf, []);
    const extra: ParsedCertificate[] = [];
    for (const e of opts.extraCertificates ?? []) {
      const p = toParsed(e);
      if (typeof p !== 'string') extra.push(p);
    }
    const at = opts.at ?? new Date();
    const { paths, partial } = this.buildPaths(leaf, extra);
    if (!paths.length) {
      const top = partial[partial.length - 1];
      return result('UNTRUSTED_ROOT', `no trusted root for ${label(top)}: issuer "${top.issuer.text}" is not a configured trust root`, partial, {
        failedAt: partial.length - 1,
      });
    }
    let first: ValidationResult | undefined;
    for (const path of paths) {
      const r = this.checkPath(path, at, opts.purpose ?? 'any');
      if (r.ok) {
        if (opts.checkRevocation === false || !this.revocation) return r;
        return this.checkRevocation(path, at);
      }
      first ??= r;
    }
    return first as ValidationResult;
  }

  /** Structural checks of one path (no network). */
  checkPath(path: ParsedCertificate[], at: Date, purpose: Purpose): ValidationResult {
    const n = path.length;
    const t = at.getTime();
    for (let i = n - 1; i >= 0; i--) {
      const c = path[i];
      const fail = (code: ValidationCode, why: string): ValidationResult => result(code, `${label(c)}: ${why}`, path, { failedAt: i });
      if (i < n - 1) {
        const issuer = path[i + 1];
        if (c.extensions.unknownCritical.length) return fail('UNKNOWN_CRITICAL_EXTENSION', `critical extension ${c.extensions.unknownCritical.join(', ')}`);
        if (issuer.publicKey.kind === 'unsupported') return fail('UNSUPPORTED_ALGORITHM', `issuer key algorithm ${issuer.publicKey.algorithmOid}`);
        if (!verifyCertificateSignature(c, issuer)) return fail('BAD_SIGNATURE', `signature does not verify with the key of "${issuer.subject.text}"`);
      }
      if (t < c.notBefore.getTime()) return fail('NOT_YET_VALID', `not valid before ${c.notBefore.toISOString()}`);
      if (t > c.notAfter.getTime()) return fail('EXPIRED', `expired at ${c.notAfter.toISOString()}`);
      if (i > 0) {
        const bc = c.extensions.basicConstraints;
        // A v1 root (no extensions) may still anchor a chain, as OpenSSL allows; anything else must say cA.
        const v1Anchor = i === n - 1 && c.version === 1;
        if (!v1Anchor && !bc?.ca) return fail('NOT_A_CA', 'basicConstraints does not have cA=TRUE');
        if (c.extensions.keyUsage && !c.extensions.keyUsage.includes('keyCertSign')) return fail('KEY_USAGE', 'issuer keyUsage lacks keyCertSign');
        if (bc?.pathLen !== undefined) {
          // Intermediates below this CA, excluding self-issued ones (RFC 5280 §4.2.1.9).
          let below = 0;
          for (let k = 1; k < i; k++) if (!path[k].selfIssued) below++;
          if (below > bc.pathLen) return fail('PATH_LENGTH', `pathLenConstraint ${bc.pathLen} but ${below} CA certificates follow`);
        }
      }
    }
    const why = purposeProblem(path[0], purpose);
    if (why) return result('KEY_USAGE', `${label(path[0])}: ${why}`, path, { failedAt: 0 });
    return result('OK', `valid: ${path.map((c) => `"${c.subject.text}"`).join(' ← ')}`, path);
  }

  private async checkRevocation(path: ParsedCertificate[], at: Date): Promise<ValidationResult> {
    const checker = this.revocation as RevocationChecker;
    const outcomes: RevocationOutcome[] = [];
    const warnings: string[] = [];
    // Top-down: an intermediate's revocation voids everything beneath it, so report it first.
    for (let i = path.length - 2; i >= 0; i--) {
      const c = path[i];
      if (c.extensions.ocspNoCheck && c.extensions.extKeyUsage?.includes(OID.kpOcspSigning)) continue;
      const o = await checker.check(c, path[i + 1], at);
      outcomes.push(o);
      const extra = { failedAt: i, revocation: outcomes, warnings };
      if (o.status === 'revoked') {
        const code = o.reason === 'certificateHold' ? 'SUSPENDED' : 'REVOKED';
        return result(code, `${label(c)}: revoked at ${o.revokedAt.toISOString()}${o.reason ? ` (${o.reason})` : ''} — ${o.detail}`, path, extra);
      }
      if (o.status === 'unknown') {
        if (o.code === 'REVOCATION_UNKNOWN' && checker.softFail) {
          warnings.push(`${label(c)}: revocation status unknown, accepted by soft-fail policy — ${o.detail}`);
          continue;
        }
        return result(o.code, `${label(c)}: ${o.detail}`, path, extra);
      }
    }
    return result('OK', `valid: ${path.map((c) => `"${c.subject.text}"`).join(' ← ')}`, path, { revocation: outcomes, warnings });
  }
}

function purposeProblem(leaf: ParsedCertificate, purpose: Purpose): string | undefined {
  const ku = leaf.extensions.keyUsage;
  switch (purpose) {
    case 'signing':
      if (ku && !ku.includes('digitalSignature') && !ku.includes('nonRepudiation')) return 'keyUsage allows neither digitalSignature nor nonRepudiation';
      return undefined;
    case 'encryption':
      if (ku && !ku.includes('keyEncipherment') && !ku.includes('dataEncipherment') && !ku.includes('keyAgreement')) {
        return 'keyUsage allows neither keyEncipherment nor dataEncipherment';
      }
      return undefined;
    case 'ocspSigning':
      if (!leaf.extensions.extKeyUsage?.includes(OID.kpOcspSigning)) return 'extendedKeyUsage lacks id-kp-OCSPSigning';
      return undefined;
    case 'ca':
      if (!leaf.extensions.basicConstraints?.ca) return 'not a CA certificate';
      return undefined;
    default:
      return undefined;
  }
}
