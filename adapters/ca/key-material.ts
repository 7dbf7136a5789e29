/**
 * Where the unit signing key comes from. Production: `signer.keyFile` — a PEM file holding the signing
 * certificate and its SM2 private key (PKCS#8 or SEC1), or a JSON identity {certificatePem, privateKey}.
 * Demo (the embedded default): a demo PKI generated on first start under <dataDir>/pki/ and reused,
 * shared with the embedded signature server. Production mode refuses the demo PKI (src/config.ts).
 */
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  certificateDer,
  DemoPki,
  generateDemoPki,
  loadPrivateKey,
  loadSm2PrivateKey,
  mustParseCertificate,
  pemDecode,
  PrivateKey,
} from '../../src/crypto';
import { ConfigError, type Config } from '../../src/config';
import { privateDir } from '../../src/private-fs';

export interface UnitKey {
  id: string;
  privateKey: string;
  publicKey: string;
  certDer: Buffer;
  serialHex: string;
  subject: string;
}

export function demoPkiFile(dataDir: string): string {
  return path.join(dataDir, 'pki', 'demo-pki.json');
}

/**
 * Loads the demo PKI, creating it once (0600: it holds private keys). medbill and a separately started
 * `medbill svs` may both get here first on a fresh data dir; the file is published with link(), which
 * fails if it already exists, so exactly one PKI wins and both processes use it.
 */
export function loadOrCreateDemoPki(dataDir: string, svsPort = 17002): DemoPki {
  const file = demoPkiFile(dataDir);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DemoPki;
  privateDir(path.dirname(file));
  const pki = generateDemoPki({ crlUrls: [`http://127.0.0.1:${svsPort}/crl/root.crl`], ocspUrl: `http://127.0.0.1:${svsPort}/ocsp` });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, JSON.stringify(pki, null, 2), { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  return JSON.parse(readFileSync(file, 'utf8')) as DemoPki;
}

/** A PEM bundle holding a private key, its certificate and optionally the issuing CA certificates. */
export interface PemIdentity {
  key: PrivateKey;
  certPem: string;
  /** the other certificates of the bundle (issuing CAs), in file order */
  chainPem: string[];
}

export function parseIdentityPem(text: string, source: string, passphrase?: string): PemIdentity {
  const blocks = text.split(/(?=-----BEGIN )/).filter((b) => b.includes('-----BEGIN'));
  const keyPem = blocks.find((b) => /PRIVATE KEY/.test(pemDecode(b)?.label ?? ''));
  const certs = blocks.filter((b) => pemDecode(b)?.label === 'CERTIFICATE').map((b) => b.trim() + '\n');
  if (!keyPem || !certs.length) throw new Error(`${source}: needs a CERTIFICATE and a PRIVATE KEY PEM block`);
  const key = loadPrivateKey(keyPem, passphrase);
  const pubOf = (pem: string) => mustParseCertificate(certificateDer(pem)).publicKey;
  const own = certs.find((c) => {
    const p = pubOf(c);
    if (key.kind === 'sm2') return p.kind === 'sm2' && p.hex === key.publicKey;
    return p.kind === 'rsa' && p.key.export({ format: 'der', type: 'spki' }).equals(key.publicKey.export({ format: 'der', type: 'spki' }));
  });
  if (!own) throw new Error(`${source}: no certificate in the file belongs to its private key`);
  return { key, certPem: own, chainPem: certs.filter((c) => c !== own) };
}

function fromIdentity(certPem: string, privateKey: string, publicKey?: string): UnitKey {
  const cert = mustParseCertificate(certificateDer(certPem));
  const pub = publicKey ?? (cert.publicKey.kind === 'sm2' ? cert.publicKey.hex : '');
  if (!pub) throw new Error('the unit signing certificate must carry an SM2 key');
  return { id: 'unit', privateKey, publicKey: pub, certDer: cert.der, serialHex: cert.serialHex, subject: cert.subject.text };
}

export function loadUnitSigningKey(cfg: Config): UnitKey {
  if (!cfg.signer.keyFile && cfg.mode === 'production') throw new ConfigError('production mode refuses demo settings: signer.keyFile is empty (demo PKI unit key)');
  if (!cfg.signer.keyFile) {
    const pki = loadOrCreateDemoPki(cfg.dataDir, cfg.svs.port);
    return fromIdentity(pki.unitSigning.certificatePem, pki.unitSigning.privateKey, pki.unitSigning.publicKey);
  }
  const text = readFileSync(path.resolve(cfg.projectRoot, cfg.signer.keyFile), 'utf8');
  if (text.trim().startsWith('{')) {
    const j = JSON.parse(text) as { certificatePem: string; privateKey: string; publicKey?: string };
    return fromIdentity(j.certificatePem, j.privateKey, j.publicKey);
  }
  const blocks = text.split(/(?=-----BEGIN )/).filter((b) => b.includes('-----BEGIN'));
  const certPem = blocks.find((b) => pemDecode(b)?.label === 'CERTIFICATE');
  const keyPem = blocks.find((b) => /PRIVATE KEY/.test(pemDecode(b)?.label ?? ''));
  if (!certPem || !keyPem) throw new Error(`${cfg.signer.keyFile}: needs a CERTIFICATE and a PRIVATE KEY PEM block`);
  const key = loadSm2PrivateKey(keyPem, process.env.MEDBILL_SIGNER_KEY_PASSPHRASE);
  return fromIdentity(certPem, key.privateKey, key.publicKey);
}
