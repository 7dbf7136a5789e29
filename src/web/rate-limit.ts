/**
 * In-process request limits: a token bucket per key (client address, appid) and a lockout after
 * repeated failures per key (wrong check codes per client address and per bill).
 *
 * Every map is a bounded LRU (lru-cache): 20,000 — or 20 million — random client addresses cost at
 * most `maxKeys` entries; when the map is full the least recently seen key is forgotten, which only
 * ever makes that key's limit more lenient, never a legitimate client's stricter. Why lru-cache and
 * small code rather than rate-limiter-flexible or express-rate-limit: their in-memory stores are bounded
 * in time (a timer or a window per key), not in count, so a flood of distinct keys grows them until the
 * window passes; express-rate-limit is also express-only and the JSON channel is plain node:http.
 */
import { LRUCache } from 'lru-cache';

/** `rate` requests per second on average, at most `burst` at once; rate 0 turns the limit off. */
export interface RateSpec {
  rate: number;
  burst: number;
}

type Clock = () => number;

/** State per key in a bounded LRU map: the least recently seen key is forgotten first. */
abstract class PerKey<V extends object> {
  protected readonly entries: LRUCache<string, V>;

  constructor(
    maxKeys: number,
    protected readonly now: Clock,
  ) {
    this.entries = new LRUCache<string, V>({ max: Math.max(1, maxKeys) });
  }

  get size(): number {
    return this.entries.size;
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets extends PerKey<Bucket> {
  constructor(
    readonly spec: RateSpec,
    maxKeys: number,
    now: Clock = Date.now,
  ) {
    super(maxKeys, now);
  }

  get enabled(): boolean {
    return this.spec.rate > 0;
  }

  /** Takes one token for `key`: undefined when allowed, else the whole seconds until one is back. */
  take(key: string): number | undefined {
    if (!this.enabled) return undefined;
    const t = this.now();
    const burst = Math.max(1, this.spec.burst);
    let b = this.entries.get(key);
    if (!b) {
      b = { tokens: burst, at: t };
      this.entries.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * this.spec.rate);
      b.at = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.spec.rate));
  }
}

export interface LockoutSpec {
  /** failures within `windowMs` that lock the key; 0 turns the lockout off */
  limit: number;
  windowMs: number;
  lockoutMs: number;
}

interface Failures {
  count: number;
  since: number;
  lockedUntil: number;
}

export class FailureLockout extends PerKey<Failures> {
  constructor(
    readonly spec: LockoutSpec,
    maxKeys: number,
    now: Clock = Date.now,
  ) {
    super(maxKeys, now);
  }

  /** Whole seconds the key stays locked, or undefined when it is not locked. */
  lockedFor(key: string): number | undefined {
    const e = this.entries.peek(key);
    if (!e) return undefined;
    const left = e.lockedUntil - this.now();
    return left > 0 ? Math.ceil(left / 1000) : undefined;
  }

  /**
   * Records one failure. The count runs over a window from the first failure (a fixed window, not
   * reset by a success: one right answer must not buy a guesser a fresh allowance). Returns true when
   * this failure locked the key.
   */
  fail(key: string): boolean {
    if (this.spec.limit <= 0) return false;
    const t = this.now();
    let e = this.entries.get(key);
    if (!e || t - e.since > this.spec.windowMs || (e.lockedUntil && e.lockedUntil <= t)) {
      e = { count: 0, since: t, lockedUntil: 0 };
      this.entries.set(key, e);
    }
    e.count++;
    if (e.count >= this.spec.limit && !e.lockedUntil) {
      e.lockedUntil = t + this.spec.lockoutMs;
      return true;
    }
    return false;
  }
}
