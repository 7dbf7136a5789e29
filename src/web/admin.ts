/**
 * The operator's endpoints on the HIS port: reload the definitions (`medbill reload`) and reread the
 * flow switches (`medbill flows enable|disable`). They change what every HIS request gets, so they are
 * not open to anyone: with `admin.token` set (MEDBILL_ADMIN_TOKEN) a request needs
 * "Authorization: Bearer <token>"; without one, only a client on this host talking to the socket
 * directly — no X-Forwarded-For / Forwarded / X-Real-IP, since a reverse proxy on this host would
 * otherwise make every outside request look local.
 */
import type { IncomingMessage } from 'node:http';
import express from 'express';
import { sameSecret } from '../crypto';
import type { LiveDefinitions } from '../engine/live-definitions';
import type { FlowSwitchStore } from '../store/flow-switches';
import { normaliseAddress } from './client-address';

const PROXY_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

const isLoopback = (ip: string) => ip === '::1' || /^127\.\d+\.\d+\.\d+$/.test(ip);

/** Why this request may not use the admin endpoints, or undefined when it may. */
export function adminRefusal(req: IncomingMessage, token: string): { status: 401 | 403; message: string } | undefined {
  if (token) {
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    return m && sameSecret(m[1].trim(), token) ? undefined : { status: 401, message: '需要认证：请在 Authorization 头中携带 Bearer 令牌（admin.token / MEDBILL_ADMIN_TOKEN）' };
  }
  const direct = !PROXY_HEADERS.some((h) => req.headers[h] !== undefined);
  if (direct && isLoopback(normaliseAddress(req.socket.remoteAddress))) return undefined;
  return { status: 403, message: '管理接口只接受本机直接连接；从其他主机或经代理访问请配置 admin.token（MEDBILL_ADMIN_TOKEN）' };
}

export interface AdminDeps {
  servicePath: string;
  token: string;
  definitions: LiveDefinitions;
  switches?: FlowSwitchStore;
}

export function adminRoutes(deps: AdminDeps): express.Router {
  const r = express.Router();
  const guard: express.RequestHandler = (req, res, next) => {
    const refused = adminRefusal(req, deps.token);
    if (!refused) return next();
    res.status(refused.status).set('cache-control', 'no-store').json({ error: refused.message });
  };
  const base = `/${deps.servicePath}/admin`;
  // Loading is synchronous and the swap one assignment: the answer says which version serves now.
  r.post(`${base}/reload`, guard, (_req, res) => {
    const outcome = deps.definitions.reload('admin');
    res.status(outcome.ok ? 200 : 422).json(outcome);
  });
  r.post(`${base}/flow-switches/refresh`, guard, async (_req, res) => {
    await deps.switches?.refresh();
    res.json({ disabled: deps.switches?.disabledFlows() ?? [] });
  });
  return r;
}
