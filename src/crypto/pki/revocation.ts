/**
 * Revocation policy: which sources to ask (OCSP, CRL over HTTP or LDAP, or both in either order),
 * with caching — CRLs until their nextUpdate (./crl-cache), OCSP answers until theirs — and what an
 * unreachable source means (hard fail by default; soft fail is an explicit configuration choice).
 *
 * Requirement (5) of 用户认证服务系统 asks for all three routes: standard OCSP, CRL refreshed over
 * LDAP, CRL refreshed over HTTP. Which one a deployment uses is configuration, not code.
 */
import { CrlCache } from './crl-cache';
import { CrlReason, lookupSerial } from './crl';
import { certIdFor, OcspHash, queryOcsp } from './ocsp';
import { RevocationFailureCode } from './validation-codes';
import { ParsedCertificate } from './x509';

export type RevocationMode = 'none' | 'crl' | 'ocsp' | 'ocsp-then-crl' | 'crl-then-ocsp';

export interface RevocationOptions {
  mode: RevocationMode;
  /**
   * Accept a certificate whose status cannot be obtained (REVOCATION_UNKNOWN only: a server that is
   * down). Forged or stale revocation data (bad signature, expired CRL) always fails.
   */
  softFail?: boolean;
  /** Hash for OCSP CertIDs; ask the CA. Default sha1, which every responder matches. */
  ocspHash?: OcspHash;
  ocspNonce?: boolean;
  requireNonce?: boolean;
  /** Use this responder instead of the certificate's AIA (CAs that run one central responder). */
  ocspUrl?: string;
  /** Use these CRL locations instead of the certificate's distribution points. */
  crlUrls?: string[];
  /** ldap://host:port used to resolve DirName distribution points (e.g. "CN=crl1,OU=CRL,O=CA"). */
  ldapServer?: string;
  trustedResponders?: ParsedCertificate[];
  timeoutMs?: number;
  clock?: () => Date;
  crlCache?: CrlCache;
  fetchImpl?: typeof fetch;
}

export type RevocationOutcome =
  | { status: 'good'; source: 'crl' | 'ocsp' | 'none'; detail: string }
  | { status: 'revoked'; source: 'crl' | 'ocsp'; revokedAt: Date; reason?: CrlReason; detail: string }
  | { status: 'unknown'; code: RevocationFailureCode; detail: string };

type Unknown = Extract<RevocationOutcome, { status: 'unknown' }>;

const SEVERITY: Record<RevocationFailureCode, number> = {
  REVOCATION_UNKNOWN: 0,
  OCSP_INVALID: 1,
  CRL_EXPIRED: 1,
  OCSP_BAD_SIGNATURE: 2,
  BAD_CRL_SIGNATURE: 2,
};

interface OcspCacheEntry {
  outcome: RevocationOutcome;
  expiresAt: number;
}

export class RevocationChecker {
  readonly crlCache: CrlCache;
  private readonly clock: () => Date;
  private readonly ocspCache = new Map<string, OcspCacheEntry>();
  readonly stats = { ocspQueries: 0, ocspCacheHits: 0 };

  constructor(readonly options: RevocationOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.crlCache =
      options.crlCache ?? new CrlCache({ clock: this.clock, timeoutMs: options.timeoutMs, fetchImpl: options.fetchImpl });
  }

  get softFail(): boolean {
    return !!this.options.softFail;
  }

  /** Status of `cert` (issued by `issuer`) as of `at` (default now). Never throws. */
  async check(cert: ParsedCertificate, issuer: ParsedCertificate, at: Date = this.clock()): Promise<RevocationOutcome> {
    const order: Array<'crl' | 'ocsp'> =
      this.options.mode === 'crl'
        ? ['crl']
        : this.options.mode === 'ocsp'
          ? ['ocsp']
          : this.options.mode === 'ocsp-then-crl'
            ? ['ocsp', 'crl']
            : this.options.mode === 'crl-then-ocsp'
              ? ['crl', 'ocsp']
              : [];
    if (!order.length) return { status: 'good', source: 'none', detail: 'revocation checking disabled' };
    let worst: Unknown | undefined;
    for (const src of order) {
      let r: RevocationOutcome;
      try {
        r = src === 'crl' ? await this.viaCrl(cert, issuer, at) : await this.viaOcsp(cert, issuer, at);
      } catch (e) {
        r = { status: 'unknown', code: 'REVOCATION_UNKNOWN', detail: `${src}: ${(e as Error).message}` };
      }
      if (r.status !== 'unknown') return r;
      if (!worst || SEVERITY[r.code] > SEVERITY[worst.code]) worst = { ...r, detail: worst ? `${worst.detail}; ${r.detail}` : r.detail };
      else worst = { ...worst, detail: `${worst.detail}; ${r.detail}` };
    }
    return worst as Unknown;
  }

  crlUrlsFor(cert: ParsedCertificate): string[] {
    if (this.options.crlUrls?.length) return this.options.crlUrls;
    const urls = [...cert.extensions.crlUrls];
    if (this.options.ldapServer) {
      const base = this.options.ldapServer.replace(/\/+$/, '');
      for (const dn of cert.extensions.crlDirectoryNames) urls.push(`${base}/${encodeURIComponent(dn)}?certificateRevocationList;binary`);
    }
    return urls;
  }

  private async viaCrl(cert: ParsedCertificate, issuer: ParsedCertificate, at: Date): Promise<RevocationOutcome> {
    const r = await this.crlCache.get(this.crlUrlsFor(cert), issuer);
    if (!r.ok) return { status: 'unknown', code: r.code, detail: r.reason };
    const entry = lookupSerial(r.crl, cert.serialHex);
    // removeFromCRL only appears in delta CRLs, which un-hold a certificate: not a revocation.
    if (entry && entry.reason !== 'removeFromCRL' && entry.revokedAt.getTime() <= at.getTime()) {
      return { status: 'revoked', source: 'crl', revokedAt: entry.revokedAt, reason: entry.reason, detail: `listed in CRL ${r.url}` };
    }
    return { status: 'good', source: 'crl', detail: `not listed in CRL ${r.url}${r.fromCache ? ' (cached)' : ''}` };
  }

  private async viaOcsp(cert: ParsedCertificate, issuer: ParsedCertificate, at: Date): Promise<RevocationOutcome> {
    const raw = this.options.ocspUrl ?? cert.extensions.ocspUrls[0];
    // Some CAs (BJCA among them) write the AIA as "OCSP://host"; the protocol is HTTP all the same.
    const url = raw?.replace(/^ocsp:\/\//i, 'http://');
    if (!url) return { status: 'unknown', code: 'REVOCATION_UNKNOWN', detail: 'certificate has no OCSP responder URL' };
    const id = certIdFor(cert, issuer, this.options.ocspHash ?? 'sha1');
    const key = `${url}|${id.hash}|${id.issuerKeyHash.toString('hex')}|${id.serialHex}`;
    const now = this.clock().getTime();
    const hit = this.ocspCache.get(key);
    if (hit && now < hit.expiresAt) {
      this.stats.ocspCacheHits++;
      return this.atTime(hit.outcome, at);
    }
    this.stats.ocspQueries++;
    const r = await queryOcsp(url, cert, issuer, {
      hash: this.options.ocspHash ?? 'sha1',
      nonce: this.options.ocspNonce ?? true,
      requireNonce: this.options.requireNonce,
      timeoutMs: this.options.timeoutMs,
      fetchImpl: this.options.fetchImpl,
      trustedResponders: this.options.trustedResponders,
      clock: this.clock,
    });
    if (!r.ok) return { status: 'unknown', code: r.code, detail: `OCSP ${url}: ${r.reason}` };
    let outcome: RevocationOutcome;
    if (r.status.status === 'good') outcome = { status: 'good', source: 'ocsp', detail: `OCSP ${url}: good` };
    else if (r.status.status === 'revoked') {
      outcome = { status: 'revoked', source: 'ocsp', revokedAt: r.status.revokedAt, reason: r.status.reason, detail: `OCSP ${url}: revoked` };
    } else return { status: 'unknown', code: 'REVOCATION_UNKNOWN', detail: `OCSP ${url}: responder does not know this certificate` };
    // Cache definite answers until the responder's nextUpdate; without one, do not cache.
    if (r.nextUpdate) {
      this.ocspCache.set(key, { outcome, expiresAt: r.nextUpdate.getTime() });
      if (this.ocspCache.size > 4096) this.ocspCache.delete(this.ocspCache.keys().next().value as string);
    }
    return this.atTime(outcome, at);
  }

  /** A revocation dated after the validation time did not yet apply then. */
  private atTime(o: RevocationOutcome, at: Date): RevocationOutcome {
    if (o.status === 'revoked' && o.revokedAt.getTime() > at.getTime()) {
      return { status: 'good', source: o.source, detail: `${o.detail} (after ${at.toISOString()})` };
    }
    return o;
  }
}
