/** The medbill server a CLI command on the same host talks to (replay, reload, flows --server). */
import type { Config } from '../config';

/** http://<server.host>:<server.port>, with a wildcard host reached as the loopback address. */
export function localServerBase(cfg: Pick<Config, 'server'>): string {
  const h = cfg.server.host;
  const host = !h || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
  return `http://${host}:${cfg.server.port}`;
}

/** Headers of an admin request: the bearer token when admin.token is set (else the server admits loopback only). */
export function adminHeaders(cfg: Pick<Config, 'admin'>): Record<string, string> {
  return cfg.admin.token ? { authorization: `Bearer ${cfg.admin.token}` } : {};
}

/** POSTs to an admin endpoint; undefined when no server answers there. */
export async function postAdmin(cfg: Pick<Config, 'server' | 'admin'>, base: string, what: string): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const r = await fetch(`${base}/${cfg.server.servicePath}/admin/${what}`, { method: 'POST', headers: adminHeaders(cfg), signal: AbortSignal.timeout(60_000) });
    const text = await r.text();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { error: text.slice(0, 200) };
    }
    return { status: r.status, body };
  } catch {
    return undefined;
  }
}
