/**
 * Authentication of typed operations: a WS-Security UsernameToken (OASIS UsernameToken Profile 1.0)
 * with Username = appid and PasswordDigest = Base64(SHA-1(nonce bytes + Created + key)).
 *
 * Why not the envelope MD5 over a canonical JSON of the XML fields: a HIS that chose the typed
 * operation builds it with SOAP tooling precisely to avoid writing JSON, and reproducing our JSON
 * byte for byte (key order, number text, which characters are escaped) would fail as an opaque
 * 签名验证失败. UsernameToken is built into CXF/WSS4J, Axis2, gSOAP, SoapUI and node-soap, never sends
 * the key, and its Nonce + Created give replay protection. It does not cover the body: a HIS that
 * needs the body itself signed uses the envelope operation, whose sign covers `data`.
 * PasswordText is refused: it would put the key — the same key that signs JSON requests — on the wire.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { CallerConfig } from '../../../src/config';
import { FlowError, RESULT } from '../../../src/engine/errors';
import { attr, XNode } from './soap-xml';

export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const DIGEST = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
/** WSS4J's defaults: Created at most 5 minutes old and 1 minute in the future; we allow 5 both ways (HIS clocks drift). */
export const CREATED_WINDOW_MS = 5 * 60_000;

export function passwordDigest(nonceB64: string, created: string, key: string): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(nonceB64, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(key, 'utf8')]))
    .digest('base64');
}

export interface NonceCheck {
  check(appid: string, nonce: string): boolean;
}

export type TokenResult = { ok: true; appid: string; nonce: string; caller: CallerConfig } | { ok: false; appid?: string; nonce?: string; error: FlowError };

const refuse = (code: string, field: string, message: string, appid?: string, nonce?: string): TokenResult => ({
  ok: false,
  appid,
  nonce,
  error: new FlowError('ValidationError', code, message, field),
});

export function checkUsernameToken(headers: XNode[], callers: Map<string, CallerConfig>, nonces: NonceCheck | undefined, now = Date.now()): TokenResult {
  const sec = headers.find((h) => h.local === 'Security' && h.ns === WSSE_NS);
  const token = sec?.children.find((c) => c.local === 'UsernameToken' && c.ns === WSSE_NS);
  if (!token)
    return refuse(
      RESULT.badEnvelope,
      'wsse:Security',
      '缺少 WS-Security 认证头：类型化操作须在 SOAP Header 中带 wsse:Security/wsse:UsernameToken（Username 为 appid，Password 为 PasswordDigest）',
    );
  const el = (local: string, ns = WSSE_NS) => token.children.find((c) => c.local === local && c.ns === ns);
  const appid = el('Username')?.text.trim() ?? '';
  if (!appid) return refuse(RESULT.badEnvelope, 'wsse:Username', 'WS-Security 用户名 wsse:Username 缺失，应为平台分配的 appid');
  const caller = callers.get(appid);
  if (!caller) return refuse(RESULT.unknownApp, 'wsse:Username', `appid ${appid} 不存在或未授权`, appid);
  const pw = el('Password');
  const nonce = el('Nonce')?.text.trim() ?? '';
  const created = (el('Created', WSU_NS) ?? el('Created'))?.text.trim() ?? '';
  if (!pw) return refuse(RESULT.badEnvelope, 'wsse:Password', 'WS-Security 密码 wsse:Password 缺失', appid, nonce);
  const type = attr(pw, 'Type') ?? '';
  if (type !== DIGEST)
    return refuse(RESULT.badSign, 'wsse:Password', '不接受明文密码（PasswordText）：请使用 PasswordDigest = Base64(SHA-1(Nonce 解码后的字节 + Created + key))，Type 为 …#PasswordDigest', appid, nonce);
  if (!nonce) return refuse(RESULT.badEnvelope, 'wsse:Nonce', 'WS-Security 随机数 wsse:Nonce 缺失（Base64，每次请求不同）', appid);
  if (!created) return refuse(RESULT.badEnvelope, 'wsu:Created', 'WS-Security 时间 wsu:Created 缺失（UTC，如 2026-11-25T01:30:15Z）', appid, nonce);
  const t = Date.parse(created);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(created))
    return refuse(RESULT.badEnvelope, 'wsu:Created', `WS-Security 时间 wsu:Created 格式错误：${created}，应为 xs:dateTime（如 2026-11-25T01:30:15Z）`, appid, nonce);
  if (Math.abs(now - t) > CREATED_WINDOW_MS)
    return refuse(
      RESULT.badEnvelope,
      'wsu:Created',
      `WS-Security 时间 wsu:Created ${created} 与服务器时间 ${new Date(now).toISOString()} 相差超过 ${CREATED_WINDOW_MS / 60_000} 分钟，请校准 HIS 服务器时钟`,
      appid,
      nonce,
    );
  const expected = Buffer.from(passwordDigest(nonce, created, caller.key));
  const got = Buffer.from(pw.text.trim());
  if (expected.length !== got.length || !timingSafeEqual(expected, got))
    return refuse(RESULT.badSign, 'wsse:Password', '签名验证失败：wsse:Password 应为 Base64(SHA-1(Nonce 解码后的字节 + Created 原文 + key))', appid, nonce);
  // Checked after the digest so nobody can burn another caller's nonces with forged tokens.
  if (nonces && !nonces.check(appid, nonce))
    return refuse(RESULT.replayedNoise, 'wsse:Nonce', `WS-Security 随机数 wsse:Nonce ${nonce} 在 10 分钟内已使用过，请每次请求生成新的 Nonce`, appid, nonce);
  return { ok: true, appid, nonce, caller };
}
