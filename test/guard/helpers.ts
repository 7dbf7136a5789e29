/**
 * Real HTTP from a chosen loopback address: every 127.x.y.z is this machine on Linux, so one test can
 * be several clients (an attacker on 127.0.0.2, a patient on 127.0.0.3) for the per-address limits.
 */
import http from 'node:http';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export function request(
  url: string,
  o: { method?: string; body?: string | Buffer; headers?: Record<string, string>; from?: string; agent?: http.Agent } = {},
): Promise<HttpReply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body, 'utf8');
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: o.method ?? (body ? 'POST' : 'GET'),
        localAddress: o.from,
        agent: o.agent ?? false,
        headers: { ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}), ...(o.headers ?? {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The result code and decoded message of a JSON channel reply (signed or not). */
export function jsonResult(text: string): { result: string; message: string } {
  const env = JSON.parse(text) as { data: string };
  const inner = JSON.parse(Buffer.from(env.data, 'base64').toString('utf8')) as { result: string; message: string };
  return { result: inner.result, message: Buffer.from(inner.message, 'base64').toString('utf8') };
}

/** Runs `n` tasks with at most `width` at once. */
export async function pooled<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
