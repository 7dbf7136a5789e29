/**
 * Who may look at a bill by its number and check code: the bill download
 * (/<servicePath>/ebill/<code>/<no>.xml?random=…, which serves the patient's ID number) and the finance
 * check page (/billcheck). A 6-hex check code is 16.7 million guesses; unlimited, 4,000 guesses a second
 * find one bill's code with even odds in 35 minutes. So:
 *   - each client address has a token bucket (limits.billAccess.perIp);
 *   - wrong check codes are counted per client address and per bill; past the limit within the window
 *     that address — or, against guessing spread over many addresses, that bill — is locked out;
 *   - a locked or limited client gets HTTP 429 with Retry-After and a Chinese text; the right code
 *     from another address still works while one address is locked.
 * Only wrong codes for bills that exist count per bill, so made-up numbers cannot flush the bill map.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlockList } from 'node:net';
import { durationMs, type Config } from '../config';
import { fill } from '../engine/codes';
import { RefusalLog } from './admission';
import { clientKey, trustedProxyList } from './client-address';
import { FailureLockout, TokenBuckets } from './rate-limit';

export const BILL_ACCESS_TEXT = {
  rate: '请求过于频繁，请 {seconds} 秒后再试',
  lockout: '校验码错误次数过多，查询已暂停，请 {minutes} 分钟后再试',
} as const;

export type BillAccessRefusal = { status: 429; retryAfter: number; message: string };

export class BillAccessGuard {
  private readonly perIp: TokenBuckets;
  private readonly perClient: FailureLockout;
  private readonly perBill: FailureLockout;
  private readonly proxies: BlockList | undefined;
  private readonly refusals = new RefusalLog();

  constructor(cfg: Pick<Config, 'limits' | 'server'>, now: () => number = Date.now) {
    const b = cfg.limits.billAccess;
    const keys = cfg.limits.trackedKeys;
    const windowMs = durationMs(b.window);
    const lockoutMs = durationMs(b.lockout);
    this.perIp = new TokenBuckets(b.perIp, keys, now);
    this.perClient = new FailureLockout({ limit: b.wrongCodesPerClient, windowMs, lockoutMs }, keys, now);
    this.perBill = new FailureLockout({ limit: b.wrongCodesPerBill, windowMs, lockoutMs }, keys, now);
    this.proxies = trustedProxyList(cfg.server.trustedProxies);
  }

  /** Before the bill is looked up: the client's lockout and rate. */
  admit(req: IncomingMessage): { ok: true; client: string } | ({ ok: false } & BillAccessRefusal) {
    const client = clientKey(req, this.proxies);
    const locked = this.perClient.lockedFor(client);
    if (locked !== undefined) {
      this.refusals.note('bill-lockout', client);
      return { ok: false, ...lockout(locked) };
    }
    const wait = this.perIp.take(client);
    if (wait !== undefined) {
      this.refusals.note('bill-rate', client);
      return { ok: false, status: 429, retryAfter: wait, message: fill(BILL_ACCESS_TEXT.rate, { seconds: wait }) };
    }
    return { ok: true, client };
  }

  /** After the lookup of a bill that exists: is that bill locked against guessing? */
  billLocked(bill: string, client: string): BillAccessRefusal | undefined {
    const locked = this.perBill.lockedFor(bill);
    if (locked === undefined) return undefined;
    this.refusals.note('bill-lockout', client, { bill });
    return lockout(locked);
  }

  /** A wrong check code (or a number that does not exist): counts toward both lockouts. */
  wrongCode(client: string, bill: string | undefined): void {
    this.perClient.fail(client);
    if (bill !== undefined) this.perBill.fail(bill);
  }
}

function lockout(seconds: number): BillAccessRefusal {
  return { status: 429, retryAfter: seconds, message: fill(BILL_ACCESS_TEXT.lockout, { minutes: Math.max(1, Math.ceil(seconds / 60)) }) };
}

/** The 429 as plain Chinese text (the bill download). */
export function sendTooManyText(res: ServerResponse, r: BillAccessRefusal): void {
  const body = r.message + '\n';
  res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': String(r.retryAfter), 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
