/**
 * MLLP (HL7's Minimal Lower Layer Protocol) over TCP: each message framed as <VT> message <FS><CR>
 * (0x0B … 0x1C 0x0D), in the character set MSH-18 names (UTF-8 unless it says GB 18030). A frame may arrive split across packets and one packet may hold several
 * frames: the reader buffers until a frame is complete and answers the frames of one connection in the
 * order they came, one ACK frame each. Bytes outside a frame are ignored (keep-alive newlines); a frame
 * longer than the limit is answered with AR and the connection closed, so a sender that never frames
 * cannot make us buffer without end.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { hisError } from '../../../src/engine/errors';
import { log } from '../../../src/log';
import type { Hl7Channel } from './channel';

export const VT = 0x0b;
export const FS = 0x1c;
export const CR = 0x0d;

export function frame(message: string): Buffer {
  return Buffer.concat([Buffer.from([VT]), Buffer.from(message, 'utf8'), Buffer.from([FS, CR])]);
}

/** Splits a byte stream into frames; what is left waits for the next chunk. */
export class MllpReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  /** The open frame so far, without its start byte (what a refusal of it records). */
  open(): Buffer {
    return this.buf.subarray(1);
  }

  /** The complete frames this chunk finishes, or 'tooLarge' when an open frame passed the limit. */
  push(chunk: Buffer): { frames: Buffer[]; tooLarge?: number } {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    for (;;) {
      const start = this.buf.indexOf(VT);
      if (start < 0) {
        this.buf = Buffer.alloc(0);
        break;
      }
      let end = this.buf.indexOf(FS, start + 1);
      while (end >= 0 && end + 1 < this.buf.length && this.buf[end + 1] !== CR) end = this.buf.indexOf(FS, end + 1);
      if (end < 0 || end + 1 >= this.buf.length) {
        this.buf = this.buf.subarray(start);
        if (this.buf.length > this.maxBytes + 3) return { frames, tooLarge: this.buf.length };
        break;
      }
      frames.push(this.buf.subarray(start + 1, end));
      this.buf = this.buf.subarray(end + 2);
    }
    return { frames };
  }
}

export interface MllpServer {
  port: number;
  close(): Promise<void>;
}

export async function startMllp(channel: Hl7Channel, o: { host: string; port: number; maxBytes: number }): Promise<MllpServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new MllpReader(o.maxBytes);
    // One frame at a time per connection: ACKs leave in the order the messages came.
    let queue: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      const { frames, tooLarge } = reader.push(chunk);
      for (const f of frames)
        queue = queue.then(async () => {
          const reply = await channel.processBytes(f, 'mllp');
          if (!socket.destroyed) socket.write(frame(reply.ack));
        });
      if (tooLarge !== undefined) {
        socket.pause();
        const error = hisError('E2701', 'tooLarge', { size: tooLarge, limit: o.maxBytes }, 'MLLP');
        log().warn('MLLP frame over the limit: connection closed', { size: tooLarge, limit: o.maxBytes });
        const open = reader.open();
        const received = { bytes: open.length, sha256: createHash('sha256').update(open).digest('hex') };
        queue = queue.then(async () => {
          const reply = await channel.refuse(open.subarray(0, 4096).toString('utf8'), error, 'mllp', received);
          socket.end(frame(reply.ack));
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log().info('HL7 MLLP listening', { port });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
