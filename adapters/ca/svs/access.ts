/**
 * Who may do what on the signature server. Every request names an application (appName + password);
 * its rule lists the operations it may call, the key indexes it may use and, optionally, the client
 * addresses it may call from. Each refusal has its own return code (codes.ts) so a client — and the
 * person reading its log — can tell a wrong password from a missing permission.
 */
import { isIP } from 'node:net';
import { SvsError } from './codes';
import { PasswordVerifier } from './password';

export interface AppRuleSpec {
  appName: string;
  passwordHash: string;
  keyIndexes: number[];
  operations: string[];
  clientIps?: string[];
}

interface AppRule {
  appName: string;
  passwordHash: string;
  keyIndexes: Set<number>;
  anyOperation: boolean;
  operations: Set<string>;
  allowIp: ((ip: string) => boolean) | undefined;
}

/** "::ffff:10.1.2.3" → "10.1.2.3": IPv4 clients on a dual-stack socket. */
export function normaliseIp(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

export function ipMatcher(entries: string[]): ((ip: string) => boolean) | undefined {
  if (!entries.length) return undefined;
  const exact = new Set<string>();
  const nets: Array<{ net: number; mask: number }> = [];
  for (const e of entries) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(e.trim());
    if (m && isIP(m[1]) === 4 && Number(m[2]) <= 32) {
      const bits = Number(m[2]);
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      nets.push({ net: ipv4ToInt(m[1]) & mask, mask });
    } else if (isIP(e.trim())) exact.add(normaliseIp(e.trim()));
    else throw new Error(`svs clientIps: '${e}' is neither an IP address nor an IPv4 CIDR`);
  }
  return (ip) => exact.has(ip) || (isIP(ip) === 4 && nets.some((n) => (ipv4ToInt(ip) & n.mask) === n.net));
}

export interface AccessRequest {
  op: string;
  appName: string | undefined;
  password: string | undefined;
  clientIp: string;
  /** set when the operation uses a private key */
  keyIndex?: number;
}

export class AccessControl {
  private readonly apps = new Map<string, AppRule>();
  private readonly passwords = new PasswordVerifier();

  constructor(specs: AppRuleSpec[]) {
    for (const s of specs) {
      this.apps.set(s.appName, {
        appName: s.appName,
        passwordHash: s.passwordHash,
        keyIndexes: new Set(s.keyIndexes),
        anyOperation: s.operations.includes('*'),
        operations: new Set(s.operations),
        allowIp: ipMatcher(s.clientIps ?? []),
      });
    }
  }

  /** Throws SvsError with the specific refusal; returns the application name on success. */
  check(r: AccessRequest): string {
    const app = r.appName ? this.apps.get(r.appName) : undefined;
    if (!app) throw new SvsError('APP_UNKNOWN', `应用 '${(r.appName ?? '').slice(0, 64)}' 未在签名服务器配置`);
    if (!this.passwords.verify(app.appName, r.password ?? '', app.passwordHash)) throw new SvsError('APP_PASSWORD', `应用 ${app.appName}`);
    if (app.allowIp && !app.allowIp(r.clientIp)) throw new SvsError('IP_DENIED', `应用 ${app.appName} 不允许从 ${r.clientIp} 调用`);
    if (!app.anyOperation && !app.operations.has(r.op)) throw new SvsError('OP_DENIED', `应用 ${app.appName} 不能调用 ${r.op}`);
    if (r.keyIndex !== undefined && !app.keyIndexes.has(r.keyIndex)) throw new SvsError('KEY_DENIED', `应用 ${app.appName} 不能使用密钥索引 ${r.keyIndex}`);
    return app.appName;
  }
}
