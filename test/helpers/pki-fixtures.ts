/** Small builders for PKI tests: CAs and leaves (SM2 or RSA), loopback servers, openssl runner. */
import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  buildCertificate,
  CertificateTemplate,
  generateSm2KeyPair,
  KeyUsageName,
  mustParseCertificate,
  ParsedCertificate,
  PublicKey,
  SigningKey,
} from '../../src/crypto';

export const DAY = 86400_000;

export interface Identity {
  cert: ParsedCertificate;
  key: SigningKey;
}

export function newKey(kind: 'sm2' | 'rsa' = 'sm2'): { key: SigningKey; pub: PublicKey } {
  if (kind === 'sm2') {
    const kp = generateSm2KeyPair();
    return { key: { kind: 'sm2', privateKey: kp.privateKey, publicKey: kp.publicKey }, pub: { kind: 'sm2', hex: kp.publicKey } };
  }
  const kp = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { key: { kind: 'rsa', privateKey: kp.privateKey }, pub: { kind: 'rsa', key: kp.publicKey } };
}

export function makeRoot(cn: string, opts: { kind?: 'sm2' | 'rsa'; now?: Date; pathLen?: number; days?: number } = {}): Identity {
  const now = opts.now ?? new Date();
  const { key } = newKey(opts.kind);
  const der = buildCertificate({
    subject: `CN=${cn}, O=medbill test, C=CN`,
    signingKey: key,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + (opts.days ?? 3650) * DAY),
    ca: opts.pathLen === undefined ? true : { pathLen: opts.pathLen },
    keyUsage: ['keyCertSign', 'cRLSign'],
  });
  return { cert: mustParseCertificate(der), key };
}

export function makeCert(
  issuer: Identity,
  cn: string,
  opts: Partial<Omit<CertificateTemplate, 'subject' | 'signingKey' | 'issuer'>> & { kind?: 'sm2' | 'rsa'; now?: Date; keyUsage?: KeyUsageName[] } = {},
): Identity {
  const now = opts.now ?? new Date();
  const { key, pub } = newKey(opts.kind ?? (issuer.key.kind === 'rsa' ? 'rsa' : 'sm2'));
  const der = buildCertificate({
    keyUsage: ['digitalSignature', 'nonRepudiation'],
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 365 * DAY),
    ...opts,
    subject: `CN=${cn}, O=medbill test, C=CN`,
    publicKey: pub,
    signingKey: issuer.key,
    issuer: issuer.cert,
  });
  return { cert: mustParseCertificate(der), key };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP server on 127.0.0.1, random port. */
export async function listen(handler: Handler): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that was free a moment ago and is now closed: connecting to it is refused. */
export async function deadUrl(path = '/'): Promise<string> {
  const s = await listen((_q, r) => r.end());
  await s.close();
  return s.url + path;
}

export function openssl(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}
