/**
 * The check page's captcha after failures (per client address): after `finance.billcheck.captchaAfter`
 * wrong check codes within the bill-access window, every further lookup from that client must carry
 * the answer to a fresh captcha (one answer, one lookup). It slows a guesser to human speed before the
 * lockout (src/web/bill-access.ts) stops it; a patient who mistyped twice never sees one.
 *
 * The image is an SVG from svg-captcha (1.4.0, pinned; pure JavaScript: glyph outlines from its own
 * font, noise lines, no canvas or native code), shown inline on the page and served at
 * GET /billcheck/captcha for JSON clients. Answers live in a bounded LRU with a TTL; a wrong or
 * expired answer costs a new captcha.
 */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import svgCaptcha from 'svg-captcha';

export interface Captcha {
  id: string;
  /** the SVG image */
  svg: string;
  /** seconds it stays answerable */
  expiresIn: number;
}

export class CaptchaGate {
  private readonly failures: LRUCache<string, number>;
  private readonly answers: LRUCache<string, string>;

  constructor(
    private readonly o: { after: number; windowMs: number; ttlMs: number; maxKeys: number },
  ) {
    this.failures = new LRUCache<string, number>({ max: Math.max(1, o.maxKeys), ttl: Math.max(1, o.windowMs), noUpdateTTL: true });
    this.answers = new LRUCache<string, string>({ max: Math.max(1, o.maxKeys), ttl: Math.max(1, o.ttlMs) });
  }

  /** Must this client solve a captcha before its next lookup? */
  required(client: string): boolean {
    return this.o.after > 0 && (this.failures.get(client) ?? 0) >= this.o.after;
  }

  /** A wrong check code (or unknown number) from this client. */
  fail(client: string): void {
    if (this.o.after <= 0) return;
    this.failures.set(client, (this.failures.get(client) ?? 0) + 1);
  }

  issue(): Captcha {
    const c = svgCaptcha.create({ size: 4, noise: 3, ignoreChars: '0oO1iIlL', width: 150, height: 50 });
    const id = randomBytes(12).toString('hex');
    this.answers.set(id, c.text.toLowerCase());
    return { id, svg: c.data, expiresIn: Math.round(this.o.ttlMs / 1000) };
  }

  /** One answer, one try: the captcha is gone afterwards, right or wrong. */
  solve(id: string, answer: string): boolean {
    const want = this.answers.get(id);
    this.answers.delete(id);
    return want !== undefined && want === answer.trim().toLowerCase();
  }

  /**
   * The answer of a captcha still open, without using it. For tests of the page only: the simulator
   * stands in for finance's site, and a test cannot read the image it draws.
   */
  peek(id: string): string | undefined {
    return this.answers.get(id);
  }
}
