/**
 * Fetching CRLs from their distribution points: HTTP(S) with the global fetch, LDAP with ldapts
 * (search for `certificateRevocationList;binary` on the entry named in the URL, RFC 4516 / RFC 4523).
 *
 * These are I/O functions: they reject with an Error naming the URL on any failure (refused
 * connection, timeout, HTTP status, missing attribute). The cache above turns that into a result.
 */
import { Client, Entry } from 'ldapts';
import { pemDecode } from '../asn1/pem';

export interface FetchOptions {
  timeoutMs?: number;
  /** Replaceable for tests and for proxies; defaults to the global fetch. */
  fetchImpl?: typeof fetch;
  /** Refuse bodies larger than this (a CRL server under an attacker's control could stream forever). */
  maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

/** Accepts a DER body or a PEM "X509 CRL" body (some CAs publish PEM under .crl). */
function crlBody(buf: Buffer): Buffer {
  if (buf.length && buf[0] === 0x2d) {
    const pem = pemDecode(buf.toString('latin1'), 'X509 CRL');
    if (pem) return pem.der;
  }
  return buf;
}

export async function fetchCrlHttp(url: string, opts: FetchOptions = {}): Promise<Buffer> {
  const f = opts.fetchImpl ?? fetch;
  const res = await f(url, {
    signal: AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    headers: { accept: 'application/pkix-crl, application/octet-stream;q=0.9, */*;q=0.1' },
  });
  if (!res.ok) throw new Error(`CRL ${url}: HTTP ${res.status}`);
  const len = Number(res.headers.get('content-length') ?? '0');
  if (len > (opts.maxBytes ?? DEFAULT_MAX_BYTES)) throw new Error(`CRL ${url}: ${len} bytes is too large`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > (opts.maxBytes ?? DEFAULT_MAX_BYTES)) throw new Error(`CRL ${url}: body too large`);
  return crlBody(body);
}

export interface LdapUrl {
  /** ldap://host:port or ldaps://host:port, for the client. */
  server: string;
  dn: string;
  attribute: string;
  scope: 'base' | 'one' | 'sub';
  filter: string;
}

export const CRL_ATTRIBUTE = 'certificateRevocationList;binary';

/**
 * RFC 4516: ldap://host:port/dn?attributes?scope?filter. The DN may be percent-encoded or, as
 * several CAs print it, contain literal spaces and UTF-8.
 */
export function parseLdapUrl(url: string): LdapUrl | null {
  const m = /^(ldaps?):\/\/([^/?]*)(?:\/([^?]*))?(?:\?([^?]*))?(?:\?([^?]*))?(?:\?([^?]*))?/i.exec(url.trim());
  if (!m) return null;
  const scheme = m[1].toLowerCase();
  let hostPort = m[2] || 'localhost';
  if (!/:\d+$/.test(hostPort) && !hostPort.endsWith(']')) hostPort += scheme === 'ldaps' ? ':636' : ':389';
  let dn: string;
  let attrs: string;
  let filter: string;
  try {
    dn = decodeURIComponent(m[3] ?? '');
    attrs = decodeURIComponent(m[4] ?? '');
    filter = decodeURIComponent(m[6] ?? '');
  } catch {
    return null;
  }
  const scope = (m[5] || 'base').toLowerCase();
  if (scope !== 'base' && scope !== 'one' && scope !== 'sub') return null;
  if (!dn) return null;
  return {
    server: `${scheme}://${hostPort}`,
    dn,
    attribute: attrs.split(',')[0]?.trim() || CRL_ATTRIBUTE,
    scope,
    filter: filter || '(objectClass=*)',
  };
}

/** Strips an attribute option (";binary") and lower-cases, for comparing attribute names. */
const baseAttr = (a: string): string => a.split(';')[0].toLowerCase();

/** Anonymous LDAP search for the CRL attribute; first value of the first entry that has it. */
export async function fetchCrlLdap(url: string, opts: FetchOptions = {}): Promise<Buffer> {
  const u = parseLdapUrl(url);
  if (!u) throw new Error(`CRL ${url}: not an LDAP URL with a DN`);
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = new Client({ url: u.server, timeout, connectTimeout: timeout });
  // ldapts hands back values as Buffers only for ";binary" types and the ones named here; a CRL is DER,
  // so every spelling the server may answer with is named (a UTF-8 decode would corrupt it).
  const name = u.attribute.split(';')[0];
  let entries: Entry[];
  try {
    ({ searchEntries: entries } = await client.search(u.dn, {
      scope: u.scope,
      filter: u.filter,
      attributes: [u.attribute],
      explicitBufferAttributes: [u.attribute, name, `${name};binary`],
    }));
  } catch (e) {
    throw new Error(`CRL ${url}: LDAP ${(e as Error).message}`);
  } finally {
    await client.unbind().catch(() => undefined);
  }
  for (const entry of entries) {
    for (const [type, value] of Object.entries(entry)) {
      if (type === 'dn' || baseAttr(type) !== baseAttr(u.attribute)) continue;
      const first = Array.isArray(value) ? value[0] : value;
      if (Buffer.isBuffer(first) && first.length) return crlBody(first);
    }
  }
  throw new Error(`CRL ${url}: no ${u.attribute} on ${u.dn}`);
}

/** Fetches by scheme. */
export function fetchCrl(url: string, opts: FetchOptions = {}): Promise<Buffer> {
  if (/^https?:\/\//i.test(url)) return fetchCrlHttp(url, opts);
  if (/^ldaps?:\/\//i.test(url)) return fetchCrlLdap(url, opts);
  return Promise.reject(new Error(`CRL ${url}: unsupported scheme`));
}
