/**
 * A throwaway OpenLDAP server for tests: minimal slapd.conf (core schema, one mdb database, anonymous
 * read) in a temp dir, entries loaded with slapadd before start, listening on 127.0.0.1 on a free
 * port, stopped (by its own pid) and deleted by stop().
 *
 * Needs Debian's `slapd` package (CI installs it in .ci/run). `slapdBinary()` returns null when it
 * is absent so a test can skip with a clear message.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';

export const BASE_DN = 'dc=medbill,dc=test';
const ADMIN_DN = `cn=admin,${BASE_DN}`;
const ADMIN_PW = 'test-only-secret';

const BINARIES = ['/usr/sbin/slapd', '/usr/local/sbin/slapd', '/usr/libexec/slapd', '/usr/local/libexec/slapd'];
const SCHEMA_DIRS = ['/etc/ldap/schema', '/etc/openldap/schema', '/usr/local/etc/openldap/schema'];
const MODULE_DIRS = ['/usr/lib/ldap', '/usr/lib64/openldap', '/usr/lib/openldap'];

export function slapdBinary(): string | null {
  const found = BINARIES.find((b) => existsSync(b));
  if (found) return found;
  const w = spawnSync('sh', ['-c', 'command -v slapd'], { encoding: 'utf8' });
  return w.status === 0 && w.stdout.trim() ? w.stdout.trim() : null;
}

function slapaddBinary(slapd: string): string {
  const sibling = join(slapd, '..', 'slapadd');
  return existsSync(sibling) ? sibling : 'slapadd';
}

export interface LdapEntrySpec {
  /** Relative to BASE_DN, e.g. "cn=Demo CA". */
  rdn: string;
  crl?: Buffer;
  caCertificate?: Buffer;
}

export interface Slapd {
  url: string;
  port: number;
  /** Replace `certificateRevocationList;binary` on an entry (as the CA would when publishing). */
  publishCrl(dn: string, crl: Buffer): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

function ldif(entries: LdapEntrySpec[]): string {
  const out = [`dn: ${BASE_DN}`, 'objectClass: dcObject', 'objectClass: organization', 'dc: medbill', 'o: medbill test', ''];
  for (const e of entries) {
    const cn = /^cn=(.*)$/i.exec(e.rdn)?.[1] ?? e.rdn;
    // certificationAuthority is AUXILIARY and MUSTs all three attributes; an empty SEQUENCE stands in for
    // those a test does not care about.
    const empty = Buffer.from([0x30, 0x00]).toString('base64');
    out.push(
      `dn: ${e.rdn},${BASE_DN}`,
      'objectClass: applicationProcess',
      'objectClass: certificationAuthority',
      `cn: ${cn}`,
      `cACertificate;binary:: ${e.caCertificate ? e.caCertificate.toString('base64') : empty}`,
      `authorityRevocationList;binary:: ${empty}`,
      `certificateRevocationList;binary:: ${e.crl ? e.crl.toString('base64') : empty}`,
      '',
    );
  }
  return out.join('\n');
}

export async function startSlapd(entries: LdapEntrySpec[]): Promise<Slapd> {
  const bin = slapdBinary();
  if (!bin) throw new Error('slapd is not installed (apt-get install slapd ldap-utils)');
  const schemaDir = SCHEMA_DIRS.find((d) => existsSync(join(d, 'core.schema')));
  if (!schemaDir) throw new Error('OpenLDAP core.schema not found');
  const moduleDir = MODULE_DIRS.find((d) => existsSync(join(d, 'back_mdb.so')) || existsSync(join(d, 'back_mdb.la')));

  const dir = mkdtempSync(join(tmpdir(), 'medbill-slapd-'));
  const conf = join(dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      `include ${schemaDir}/core.schema`,
      `pidfile ${dir}/slapd.pid`,
      `argsfile ${dir}/slapd.args`,
      ...(moduleDir ? [`modulepath ${moduleDir}`, 'moduleload back_mdb'] : []),
      'database mdb',
      `suffix "${BASE_DN}"`,
      `rootdn "${ADMIN_DN}"`,
      `rootpw ${ADMIN_PW}`,
      `directory ${dir}`,
      'maxsize 10485760',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'data.ldif'), ldif(entries));
  const add = spawnSync(slapaddBinary(bin), ['-f', conf, '-l', join(dir, 'data.ldif')], { encoding: 'utf8' });
  if (add.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`slapadd failed: ${add.stderr}`);
  }

  let child: ChildProcess | undefined;
  let port = 0;
  let stderr = '';
  for (let attempt = 0; attempt < 3 && !child; attempt++) {
    port = await freePort();
    // -d 0 keeps slapd in the foreground, so the pid we hold is the server's and stop() can end it.
    const c = spawn(bin, ['-f', conf, '-h', `ldap://127.0.0.1:${port}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    let exited = false;
    c.once('exit', () => (exited = true));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !exited) {
      if (await canConnect(port)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!exited && (await canConnect(port))) child = c;
    else if (!exited) c.kill('SIGKILL');
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`slapd did not start: ${stderr.slice(-2000)}`);
  }
  const proc = child;
  const url = `ldap://127.0.0.1:${port}`;

  return {
    url,
    port,
    async publishCrl(dn: string, crl: Buffer): Promise<void> {
      const client = new Client({ url });
      try {
        await client.bind(ADMIN_DN, ADMIN_PW);
        await client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'certificateRevocationList;binary', values: [crl] }) }));
      } finally {
        await client.unbind().catch(() => undefined);
      }
    },
    async stop(): Promise<void> {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
