/**
 * Application passwords of the signature server, stored only as scrypt hashes:
 *   scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>
 * A config file or a DB dump that leaks must not hand out the key passwords.
 *
 * scrypt is deliberately slow (~30 ms), and every SOAP request carries the password, so a verifier keeps
 * what it has already decided: the SHA-256 of the last password accepted per application (one cheap
 * compare per request) and a few recently refused ones (a misconfigured client retrying the same wrong
 * password must not cost a scrypt each time). The caches live in memory only.
 */
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

const DEFAULT = { N: 16384, r: 8, p: 1, keyLength: 32 };

export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  const h = scryptSync(password, salt, DEFAULT.keyLength, { N: DEFAULT.N, r: DEFAULT.r, p: DEFAULT.p });
  return ['scrypt', DEFAULT.N, DEFAULT.r, DEFAULT.p, salt.toString('base64'), h.toString('base64')].join('$');
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

export function parsePasswordHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20 || r > 32 || p > 16) return undefined;
  const salt = Buffer.from(parts[4], 'base64');
  const hash = Buffer.from(parts[5], 'base64');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { N, r, p, salt, hash };
}

export function checkPasswordHash(password: string, stored: string): boolean {
  const h = parsePasswordHash(stored);
  if (!h) return false;
  const got = scryptSync(password, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: 128 * h.N * h.r * 2 + 1024 });
  return timingSafeEqual(got, h.hash);
}

const REFUSED_MAX = 8;

/** Per-process verifier with the accepted/refused caches described above. */
export class PasswordVerifier {
  private readonly accepted = new Map<string, Buffer>();
  private readonly refused = new Map<string, Set<string>>();

  verify(account: string, password: string, stored: string): boolean {
    const digest = createHash('sha256').update(stored).update('\0').update(password).digest();
    const ok = this.accepted.get(account);
    if (ok && timingSafeEqual(ok, digest)) return true;
    const hex = digest.toString('hex');
    const refused = this.refused.get(account);
    if (refused?.has(hex)) return false;
    if (checkPasswordHash(password, stored)) {
      this.accepted.set(account, digest);
      return true;
    }
    const set = refused ?? new Set<string>();
    if (set.size >= REFUSED_MAX) set.delete(set.values().next().value as string);
    set.add(hex);
    this.refused.set(account, set);
    return false;
  }
}
