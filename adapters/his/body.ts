/**
 * Reading a HIS request body without an unbounded buffer. Up to the limit the body is kept whole; past
 * it only a head is kept (what the message store keeps of a refusal, see storedRaw) while every byte
 * is still counted and hashed, so the stored refusal names the original's length and SHA-256.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { UNAUTHENTICATED_KEEP_CHARS } from '../../src/engine/inbound';

/** Enough bytes for the stored head: UTF-8 needs at most 4 bytes a character. */
export const OVERSIZE_HEAD_BYTES = UNAUTHENTICATED_KEEP_CHARS * 4;

export interface ReadBody {
  /** the whole body, or its first OVERSIZE_HEAD_BYTES when it was over the limit */
  body: Buffer;
  /** bytes received */
  size: number;
  /** SHA-256 (hex) of everything received, when it was over the limit */
  sha256?: string;
}

export function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let kept = 0;
    let digest: Hash | undefined;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (!digest && size > limit) {
        digest = createHash('sha256');
        for (const k of chunks) digest.update(k);
        const head = Buffer.concat(chunks).subarray(0, OVERSIZE_HEAD_BYTES);
        chunks.length = 0;
        chunks.push(head);
        kept = head.length;
      }
      if (!digest) chunks.push(c);
      else {
        digest.update(c);
        if (kept < OVERSIZE_HEAD_BYTES) {
          chunks.push(c);
          kept += c.length;
        }
      }
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), size, sha256: digest?.digest('hex') }));
    req.on('error', reject);
  });
}
