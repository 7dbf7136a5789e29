/**
 * Admission of HIS channel requests (JSON and SOAP), decided before any work is done:
 *   - per client address: a token bucket, checked before the body is read;
 *   - at most limits.maxInFlight requests being read or worked on at once: past it the answer is E3003
 *     at once, never a queue that grows (memory stays ≤ maxInFlight × bodyLimitBytes);
 *   - per appid: a token bucket over authenticated requests only, so nobody can spend a hospital's
 *     budget with forged requests under its (public) appid; forgeries count against their address.
 * Refusals here are not stored (storing them is the cost they exist to avoid); they are counted in
 * medbill_limited_total and logged at most once a minute per key.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockList } from 'node:net';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config';
import { FlowError, hisError } from '../engine/errors';
import { log } from '../log';
import { clientKey, trustedProxyList } from './client-address';
import { inFlightRequests, limitedTotal } from '../metrics';
import { TokenBuckets } from './rate-limit';

export type Admitted = { ok: true; client: string; leave(): void } | { ok: false; client: string; error: FlowError; retryAfter: number };

/** At most one log line a minute per (limit, key): a flood must not become a flood of log lines. */
export class RefusalLog {
  private readonly last = new LRUCache<string, number>({ max: 10_000 });
  note(limit: string, key: string, extra: Record<string, unknown> = {}): void {
    limitedTotal.inc({ limit });
    const k = `${limit} ${key}`;
    const now = Date.now();
    const t = this.last.get(k);
    if (t !== undefined && now - t < 60_000) return;
    this.last.set(k, now);
    log().warn('request refused by a limit', { limit, client: key, ...extra });
  }
}

export class Admission {
  private inFlight = 0;
  private readonly perIp: TokenBuckets;
  private readonly perAppid: TokenBuckets;
  private readonly proxies: BlockList | undefined;
  private readonly refusals = new RefusalLog();
  readonly maxInFlight: number;

  constructor(cfg: Pick<Config, 'limits' | 'server'>) {
    const l = cfg.limits;
    this.maxInFlight = l.maxInFlight;
    this.perIp = new TokenBuckets(l.his.perIp, l.trackedKeys);
    this.perAppid = new TokenBuckets(l.his.perAppid, l.trackedKeys);
    this.proxies = trustedProxyList(cfg.server.trustedProxies);
  }

  /**
   * At the start of an HTTP request, before its body is read. The channel gives the slot back with
   * `leave()` once it has answered — the work goes on after a client hangs up, and so does its slot;
   * a connection that closes before its body arrived started no work and gives it back itself.
   */
  enter(req: IncomingMessage, res: ServerResponse): Admitted {
    const client = clientKey(req, this.proxies);
    const wait = this.perIp.take(client);
    if (wait !== undefined) {
      this.refusals.note('rate-ip', client);
      return { ok: false, client, retryAfter: wait, error: hisError('E0007', 'clientAddress', { rate: this.perIp.spec.rate, seconds: wait }) };
    }
    if (this.maxInFlight > 0 && this.inFlight >= this.maxInFlight) {
      this.refusals.note('busy', '*', { inFlight: this.inFlight });
      return { ok: false, client, retryAfter: 1, error: hisError('E3003', 'busy', { limit: this.maxInFlight }) };
    }
    this.inFlight++;
    inFlightRequests.set(this.inFlight);
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      this.inFlight--;
      inFlightRequests.set(this.inFlight);
    };
    res.once('close', () => {
      if (!req.complete) leave();
    });
    return { ok: true, client, leave };
  }

  /** After the caller authenticated: its appid's bucket. */
  appid(appid: string, client: string): { error: FlowError; retryAfter: number } | undefined {
    const wait = this.perAppid.take(appid);
    if (wait === undefined) return undefined;
    this.refusals.note('rate-appid', client, { appid });
    return { retryAfter: wait, error: hisError('E0007', 'appid', { appid, rate: this.perAppid.spec.rate, seconds: wait }) };
  }

  get current(): number {
    return this.inFlight;
  }
}
