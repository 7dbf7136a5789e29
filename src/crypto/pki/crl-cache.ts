/**
 * CRL cache driven by nextUpdate: a verified CRL is served from memory until its nextUpdate, then
 * fetched again. A stale CRL is never used; if the refetch fails the caller gets REVOCATION_UNKNOWN
 * and its policy decides (hard or soft fail). The clock is injectable so tests can step past nextUpdate.
 */
import { parseCrl, ParsedCrl, verifyCrl } from './crl';
import { fetchCrl, FetchOptions } from './crl-fetch';
import { RevocationFailureCode } from './validation-codes';
import { ParsedCertificate } from './x509';

export type CrlResult =
  | { ok: true; crl: ParsedCrl; url: string; fromCache: boolean }
  | { ok: false; code: Extract<RevocationFailureCode, 'REVOCATION_UNKNOWN' | 'CRL_EXPIRED' | 'BAD_CRL_SIGNATURE'>; reason: string };

export interface CrlCacheOptions extends FetchOptions {
  clock?: () => Date;
  /** Replaces fetchCrl (HTTP/LDAP by scheme); tests and offline deployments plug in here. */
  fetcher?: (url: string) => Promise<Buffer>;
  /** How long to keep a CRL that has no nextUpdate. Default 1 hour. */
  defaultTtlMs?: number;
  /** Tolerance for a CRL whose thisUpdate is slightly in the future (CA clock ahead). Default 5 minutes. */
  clockSkewMs?: number;
  maxEntries?: number;
}

interface Entry {
  crl: ParsedCrl;
  issuerFingerprint: string;
  expiresAt: number;
}

const FAILURE_RANK = { REVOCATION_UNKNOWN: 0, CRL_EXPIRED: 1, BAD_CRL_SIGNATURE: 2 } as const;

export class CrlCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<CrlResult>>();
  private readonly clock: () => Date;
  readonly stats = { hits: 0, fetches: 0, failures: 0 };

  constructor(private readonly opts: CrlCacheOptions = {}) {
    this.clock = opts.clock ?? (() => new Date());
  }

  /**
   * A currently valid CRL of `issuer` from the first distribution point that yields one. When all
   * fail, the most telling failure wins: a bad signature (someone is tampering) over an expired CRL
   * over an unreachable server.
   */
  async get(urls: readonly string[], issuer: ParsedCertificate): Promise<CrlResult> {
    if (!urls.length) return { ok: false, code: 'REVOCATION_UNKNOWN', reason: 'certificate has no CRL distribution point' };
    let worst: Extract<CrlResult, { ok: false }> | undefined;
    for (const url of urls) {
      const r = await this.getOne(url, issuer);
      if (r.ok) return r;
      if (!worst || FAILURE_RANK[r.code] > FAILURE_RANK[worst.code]) worst = r;
    }
    return worst as CrlResult;
  }

  /** Puts a CRL obtained some other way (a file, an admin upload) after the same checks as a fetched one. */
  preload(url: string, der: Uint8Array, issuer: ParsedCertificate): CrlResult {
    return this.accept(url, Buffer.from(der), issuer, false);
  }

  clear(): void {
    this.entries.clear();
  }

  private async getOne(url: string, issuer: ParsedCertificate): Promise<CrlResult> {
    const now = this.clock().getTime();
    const e = this.entries.get(url);
    if (e && now < e.expiresAt && e.issuerFingerprint === issuer.fingerprintSha256) {
      this.stats.hits++;
      return { ok: true, crl: e.crl, url, fromCache: true };
    }
    if (e && now >= e.expiresAt) this.entries.delete(url);
    // Concurrent validations of certificates from one CA share a single download.
    const key = url + '|' + issuer.fingerprintSha256;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.fetchAndAccept(url, issuer).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async fetchAndAccept(url: string, issuer: ParsedCertificate): Promise<CrlResult> {
    this.stats.fetches++;
    let body: Buffer;
    try {
      body = await (this.opts.fetcher ? this.opts.fetcher(url) : fetchCrl(url, this.opts));
    } catch (e) {
      this.stats.failures++;
      return { ok: false, code: 'REVOCATION_UNKNOWN', reason: (e as Error).message };
    }
    return this.accept(url, body, issuer, false);
  }

  private accept(url: string, body: Buffer, issuer: ParsedCertificate, fromCache: boolean): CrlResult {
    const parsed = parseCrl(body);
    if (!parsed.ok) return { ok: false, code: 'REVOCATION_UNKNOWN', reason: `CRL ${url}: ${parsed.reason}` };
    const crl = parsed.value;
    const v = verifyCrl(crl, issuer);
    if (!v.ok) return { ok: false, code: 'BAD_CRL_SIGNATURE', reason: `CRL ${url}: ${v.reason}` };
    const now = this.clock().getTime();
    if (crl.thisUpdate.getTime() > now + (this.opts.clockSkewMs ?? 5 * 60_000)) {
      return { ok: false, code: 'REVOCATION_UNKNOWN', reason: `CRL ${url}: thisUpdate ${crl.thisUpdate.toISOString()} is in the future` };
    }
    if (crl.nextUpdate && crl.nextUpdate.getTime() <= now) {
      return { ok: false, code: 'CRL_EXPIRED', reason: `CRL ${url}: nextUpdate ${crl.nextUpdate.toISOString()} has passed` };
    }
    const expiresAt = crl.nextUpdate ? crl.nextUpdate.getTime() : now + (this.opts.defaultTtlMs ?? 3600_000);
    this.entries.set(url, { crl, issuerFingerprint: issuer.fingerprintSha256, expiresAt });
    const max = this.opts.maxEntries ?? 256;
    if (this.entries.size > max) this.entries.delete(this.entries.keys().next().value as string);
    return { ok: true, crl, url, fromCache };
  }
}
