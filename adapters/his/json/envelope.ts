/**
 * The Bosssoft v3.2.0 envelope (docs/reference/bosssoft-api.md#envelope, #what-real-clients-do):
 *   request  {appid, data, noise, version, sign}   response {data, noise, sign}
 *   sign = UPPER(MD5("appid=…&data=…&noise=…&key=…&version=…")) over `data` exactly as transmitted.
 * Real clients send JSON or form-encoded bodies whatever the Content-Type says, Base64 with line
 * breaks, and (one ZLHIS option) UTF-16LE JSON inside the Base64: all are accepted here.
 */
import { createHash, randomUUID } from 'node:crypto';
import { sameSecret } from '../../../src/crypto';
import { FlowError, hisError } from '../../../src/engine/errors';

export interface Envelope {
  appid: string;
  data: string;
  noise: string;
  version: string;
  sign: string;
}

/** A refusal carries its FlowError from the code table (E0003, field envelope). */
export type Parsed = { ok: true; env: Envelope; form: boolean } | { ok: false; error: FlowError };

const bad = (e: FlowError): { ok: false; error: FlowError } => ({ ok: false, error: e });

const FIELDS = ['appid', 'data', 'noise', 'version', 'sign'] as const;

export function md5Sign(appid: string, data: string, noise: string, key: string, version = '1.0'): string {
  return createHash('md5').update(`appid=${appid}&data=${data}&noise=${noise}&key=${key}&version=${version}`, 'utf8').digest('hex').toUpperCase();
}

/** Decides by the body, not the Content-Type header (kiosks post form bodies labelled application/json). */
export function parseEnvelope(body: string): Parsed {
  const text = body.replace(/^\uFEFF/, '').trim();
  if (!text) return bad(hisError('E0003', 'emptyBody', {}, 'envelope'));
  let obj: Record<string, unknown> | undefined;
  let form = false;
  if (text.startsWith('{')) {
    try {
      obj = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return bad(hisError('E0003', 'notJson', {}, 'envelope'));
    }
  } else if (/^[A-Za-z_]+=/.test(text)) {
    form = true;
    obj = {};
    for (const part of text.split('&')) {
      const i = part.indexOf('=');
      if (i < 0) continue;
      let k = part.slice(0, i);
      try {
        k = decodeURIComponent(k.replace(/\+/g, ' '));
      } catch {
        return bad(hisError('E0003', 'formKey', { key: k.slice(0, 40) }, 'envelope'));
      }
      // A raw '+' in a form value is a space by the form rules, but Base64 never holds spaces: clients
      // that skipped URL-encoding meant '+'. Keep '+' literally; only %XX escapes are decoded.
      let v = part.slice(i + 1);
      try {
        v = decodeURIComponent(v);
      } catch {
        return bad(hisError('E0003', 'formValue', { key: k.slice(0, 40) }, 'envelope'));
      }
      obj[k] = v;
    }
  } else return bad(hisError('E0003', 'notJsonOrForm', {}, 'envelope'));
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return bad(hisError('E0003', 'notObject', {}, 'envelope'));
  return envelopeFromFields(obj, form);
}

/** The field checks alone, for channels that carry the envelope fields in another syntax (SOAP). */
export function envelopeFromFields(obj: Record<string, unknown>, form = false): Parsed {
  const env = {} as Record<(typeof FIELDS)[number], string>;
  for (const f of FIELDS) {
    const v = obj[f];
    if (v === undefined || v === null || v === '') return bad(hisError('E0003', 'missingField', { field: f }, f));
    if (typeof v !== 'string' && typeof v !== 'number') return bad(hisError('E0003', 'fieldType', { field: f }, f));
    env[f] = String(v);
  }
  return { ok: true, env, form };
}

/** Compared in constant time: the response time must not tell a forger how many sign characters matched. */
export function verifySign(env: Envelope, key: string): boolean {
  const expected = md5Sign(env.appid, env.data, env.noise, key, env.version);
  return sameSecret(env.sign.trim().toUpperCase(), expected);
}

export type Decoded = { ok: true; value: unknown; text: string } | { ok: false; error: FlowError };

/** Base64 (line breaks tolerated) → UTF-8 (or UTF-16LE when the bytes say so) → JSON. */
export function decodeData(data: string): Decoded {
  const b64 = data.replace(/[\s\r\n]+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64) || b64.length % 4 === 1) return bad(hisError('E0005', 'notBase64', {}, 'data'));
  const bytes = Buffer.from(b64, b64.includes('-') || b64.includes('_') ? 'base64url' : 'base64');
  let text: string;
  try {
    text = looksUtf16le(bytes) ? bytes.toString('utf16le') : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bad(hisError('E0005', 'notUtf8', {}, 'data'));
  }
  text = text.replace(/^\uFEFF/, '');
  try {
    return { ok: true, value: JSON.parse(text), text };
  } catch {
    return bad(hisError('E0005', 'notJson', {}, 'data'));
  }
}

function looksUtf16le(b: Buffer): boolean {
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return true;
  // JSON in UTF-16LE starts "{\0" and has a zero high byte in most ASCII positions.
  if (b.length < 4 || b[1] !== 0) return false;
  let zeros = 0;
  for (let i = 1; i < Math.min(b.length, 64); i += 2) if (b[i] === 0) zeros++;
  return zeros >= Math.min(b.length, 64) / 4;
}

export interface ResponseEnvelope {
  data: string;
  noise: string;
  sign: string;
}

/**
 * The signed answer. `message` is Base64 of the business JSON on success, or of the Chinese text
 * (success text or error message) otherwise. Signed with the caller's appid and key, version 1.0.
 */
export function buildResponse(appid: string, key: string | undefined, result: string, message: unknown): ResponseEnvelope {
  const text = typeof message === 'string' ? message : JSON.stringify(message);
  const data = Buffer.from(JSON.stringify({ result, message: Buffer.from(text, 'utf8').toString('base64') }), 'utf8').toString('base64');
  const noise = randomUUID();
  return { data, noise, sign: key === undefined ? '' : md5Sign(appid, data, noise, key, '1.0') };
}

export function encodeData(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64');
}
