/**
 * The client address a limit is keyed by. Behind a reverse proxy every request comes from the proxy, so
 * X-Forwarded-For is believed only from the configured server.trustedProxies (addresses or CIDR), read
 * right to left: the first hop that is not a trusted proxy is the client. IPv6 clients are keyed by
 * their /64, the smallest block one subscriber gets (one host can pick any of its 2^64 addresses).
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

export function normaliseAddress(ip: string | undefined): string {
  if (!ip) return '';
  const bare = ip.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  return bare.startsWith('::ffff:') && isIP(bare.slice(7)) === 4 ? bare.slice(7) : bare;
}

/** "2001:db8:1:2:a:b:c:d" → "2001:db8:1:2::/64"; IPv4 and non-addresses unchanged. */
export function addressKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return groups.slice(0, 4).map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16).toString(16) : '0')).join(':') + '::/64';
}

export function trustedProxyList(entries: string[] = []): BlockList | undefined {
  if (!entries.length) return undefined;
  const list = new BlockList();
  for (const raw of entries) {
    const e = raw.trim();
    const m = /^(.+)\/(\d{1,3})$/.exec(e);
    const addr = m ? m[1] : e;
    const family = isIP(addr);
    if (!family) throw new Error(`server.trustedProxies: '${raw}' is neither an IP address nor a CIDR block`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (m) list.addSubnet(addr, Number(m[2]), type);
    else list.addAddress(addr, type);
  }
  return list;
}

function trusted(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/** The limit key of the client that sent `req`. */
export function clientKey(req: IncomingMessage, proxies?: BlockList): string {
  let ip = normaliseAddress(req.socket.remoteAddress);
  const xff = req.headers['x-forwarded-for'];
  if (proxies && xff && trusted(proxies, ip)) {
    const hops = (Array.isArray(xff) ? xff.join(',') : xff).split(',').map(normaliseAddress).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      ip = hops[i];
      if (!trusted(proxies, ip)) break;
    }
  }
  return addressKey(ip);
}
