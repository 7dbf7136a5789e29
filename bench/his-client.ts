/**
 * A HIS as the benchmarks and the crash campaign play it: signed Bosssoft JSON envelopes posted over
 * keep-alive connections, replies decoded. A transport failure (refused, reset, the server died
 * mid-request) is a result of its own: the HIS got no answer, so no promise was made.
 */
import http from 'node:http';
import { md5Sign } from '../adapters/his/json/envelope';

export const APPID = 'MEDBILL-DEMO';
export const KEY = 'demo-key-0123456789abcdef';

let noiseSeq = 0;

/** The request body of one signed envelope around `data`. */
export function signedBody(data: unknown): string {
  const b64 = Buffer.from(JSON.stringify(data), 'utf8').toString('base64');
  const noise = `${process.pid}-${Date.now().toString(36)}-${noiseSeq++}`;
  return JSON.stringify({ appid: APPID, data: b64, noise, version: '1.0', sign: md5Sign(APPID, b64, noise, KEY) });
}

export type Answer =
  | { kind: 'answer'; result: string; text: string; ms: number }
  /** no answer: the connection failed or died before a reply arrived */
  | { kind: 'noAnswer'; error: string; ms: number };

export function post(agent: http.Agent, port: number, serviceId: string, body: string, timeoutMs = 30_000): Promise<Answer> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      { host: '127.0.0.1', port, path: `/medical-web/api/medical/${serviceId}`, method: 'POST', agent, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => resolve({ kind: 'noAnswer', error: e.message, ms: performance.now() - t0 }));
        res.on('end', () => {
          const ms = performance.now() - t0;
          try {
            const env = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: string; noise: string; sign: string };
            if (env.sign !== md5Sign(APPID, env.data, env.noise, KEY)) throw new Error('the reply sign does not verify');
            const inner = JSON.parse(Buffer.from(env.data, 'base64').toString('utf8')) as { result: string; message: string };
            resolve({ kind: 'answer', result: inner.result, text: Buffer.from(inner.message, 'base64').toString('utf8'), ms });
          } catch (e) {
            // A truncated body is what a process killed while writing leaves: no answer.
            resolve({ kind: 'noAnswer', error: `unreadable reply: ${(e as Error).message}`, ms });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (e) => resolve({ kind: 'noAnswer', error: e.message, ms: performance.now() - t0 }));
    req.end(body);
  });
}
