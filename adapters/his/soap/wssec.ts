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
import { createHash } from 'node:crypto';
import type { CallerConfig } from '../../../src/config';
import { sameSecret } from '../../../src/crypto';
import { type FlowError, hisError } from '../../../src/engine/errors';
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

const refuse = (error: FlowError, appid?: string, nonce?: string): TokenResult => ({ ok: false, appid, nonce, error });

export function checkUsernameToken(headers: XNode[], callers: Map<string, CallerConfig>, nonces: NonceCheck | undefined, now = Date.now()): TokenResult {
  const sec = headers.find((h) => h.local === 'Security' && h.ns === WSSE_NS);
  const token = sec?.children.find((c) => c.local === 'UsernameToken' && c.ns === WSSE_NS);
  if (!token) return refuse(hisError('E0003', 'wssMissing', {}, 'wsse:Security'));
  const el = (local: string, ns = WSSE_NS) => token.children.find((c) => c.local === local && c.ns === ns);
  const appid = el('Username')?.text.trim() ?? '';
  if (!appid) return refuse(hisError('E0003', 'wssUsername', {}, 'wsse:Username'));
  const caller = callers.get(appid);
  if (!caller) return refuse(hisError('E0002', 'unknownApp', { appid: appid.slice(0, 64) }, 'wsse:Username'), appid);
  const pw = el('Password');
  const nonce = el('Nonce')?.text.trim() ?? '';
  const created = (el('Created', WSU_NS) ?? el('Created'))?.text.trim() ?? '';
  if (!pw) return refuse(hisError('E0003', 'wssPassword', {}, 'wsse:Password'), appid, nonce);
  const type = attr(pw, 'Type') ?? '';
  if (type !== DIGEST) return refuse(hisError('E0001', 'wssPlainText', {}, 'wsse:Password'), appid, nonce);
  if (!nonce) return refuse(hisError('E0003', 'wssNonce', {}, 'wsse:Nonce'), appid);
  if (!created) return refuse(hisError('E0003', 'wssCreated', {}, 'wsu:Created'), appid, nonce);
  const t = Date.parse(created);
  if (Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(created))
    return refuse(hisError('E0003', 'wssCreatedFormat', { created: created.slice(0, 40) }, 'wsu:Created'), appid, nonce);
  if (Math.abs(now - t) > CREATED_WINDOW_MS)
    return refuse(hisError('E0003', 'wssClock', { created, now: new Date(now).toISOString(), minutes: CREATED_WINDOW_MS / 60_000 }, 'wsu:Created'), appid, nonce);
  if (!sameSecret(pw.text.trim(), passwordDigest(nonce, created, caller.key))) return refuse(hisError('E0001', 'wssDigest', {}, 'wsse:Password'), appid, nonce);
  // Checked after the digest so nobody can burn another caller's nonces with forged tokens.
  if (nonces && !nonces.check(appid, nonce)) return refuse(hisError('E0006', 'nonce', { nonce: nonce.slice(0, 128) }, 'wsse:Nonce'), appid, nonce);
  return { ok: true, appid, nonce, caller };
}
