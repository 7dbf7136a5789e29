import { randomBytes, randomUUID } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Time-ordered 26-char id (ULID layout): sorts by arrival, unique without coordination. */
export function messageId(now = Date.now()): string {
  let t = now;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let r = BigInt('0x' + randomBytes(10).toString('hex'));
  let rand = '';
  for (let i = 0; i < 16; i++) {
    rand = CROCKFORD[Number(r & 31n)] + rand;
    r >>= 5n;
  }
  return time + rand;
}

export function noise(): string {
  return randomUUID();
}
