/**
 * Comparing secrets (an envelope sign, a check code, a WS-Security digest, a metrics token) without an
 * early exit: `===` returns at the first differing character, so its timing tells a guesser how much of
 * a guess was right. Both sides are hashed to equal-length SHA-256 digests first, so neither the length
 * of the secret nor where the strings differ shows in the time taken; timingSafeEqual then compares
 * every byte.
 */
import crypto from 'node:crypto';

export function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a, 'utf8').digest();
  const y = crypto.createHash('sha256').update(b, 'utf8').digest();
  // Read through the module object at call time, so a test can see that this is what runs.
  return crypto.timingSafeEqual(x, y);
}
