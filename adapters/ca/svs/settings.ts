/**
 * From medbill's Config to what the SVS worker threads need (EngineSettings), on the main thread:
 * key files are read and decrypted here once, so workers receive plain key material and never a
 * passphrase; demo keys come from the same demo PKI file medbill uses (key-material.ts), so bills
 * signed through the SVS carry the unit certificate.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, DEMO_CA_PASSWORD, type Config } from '../../../src/config';
import { DemoPki } from '../../../src/crypto';
import { loadOrCreateDemoPki, parseIdentityPem } from '../key-material';
import type { EngineSettings } from './engine';
import type { KeySpec } from './keystore';
import { checkPasswordHash } from './password';

function keySpecs(cfg: Config, demo: () => DemoPki): KeySpec[] {
  const seen = new Set<number>();
  return cfg.svs.keys.map((k) => {
    if (!Number.isInteger(k.index) || k.index < 0) throw new Error(`svs.keys: index '${k.index}' must be a non-negative integer`);
    if (seen.has(k.index)) throw new Error(`svs.keys: index ${k.index} is configured twice`);
    seen.add(k.index);
    if (k.demo && cfg.mode === 'production') throw new ConfigError(`production mode refuses demo settings: svs key index ${k.index} is a demo PKI key`);
    if (k.demo) {
      const pki = demo();
      const id = pki[k.demo];
      if (!id) throw new Error(`svs.keys[${k.index}]: demo identity '${k.demo}' does not exist`);
      return { index: k.index, privateKey: id.privateKey, certPem: id.certificatePem, chainPem: [pki.rootCa.certificatePem] };
    }
    if (!k.file) throw new Error(`svs.keys[${k.index}]: give either demo or file`);
    const file = path.resolve(cfg.projectRoot, k.file);
    const passphrase = k.passphraseEnv ? process.env[k.passphraseEnv] : undefined;
    const id = parseIdentityPem(readFileSync(file, 'utf8'), file, passphrase);
    const privateKey = id.key.kind === 'sm2' ? id.key.privateKey : id.key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return { index: k.index, privateKey, certPem: id.certPem, chainPem: id.chainPem };
  });
}

export function auditDbUrl(cfg: Config): string {
  const url = cfg.svs.audit.dbUrl;
  if (!url) return `sqlite:${path.join(cfg.dataDir, 'svs-audit.sqlite')}`;
  if (url.startsWith('sqlite:') && url !== 'sqlite::memory:') return 'sqlite:' + path.resolve(cfg.projectRoot, url.slice('sqlite:'.length));
  return url;
}

/**
 * In production no application may open with the demo password, whatever its `demo` flag says: a hash
 * made anew from demo-svs-password (`medbill svs --hash-password`) is as public as the shipped one.
 */
function refuseDemoPasswords(cfg: Config): void {
  if (cfg.mode !== 'production') return;
  const open = cfg.svs.applications.filter((a) => checkPasswordHash(DEMO_CA_PASSWORD, a.passwordHash)).map((a) => a.appName);
  if (open.length) throw new ConfigError(`production mode refuses demo settings: svs application ${open.join(', ')} accepts the demo password ${DEMO_CA_PASSWORD}`);
}

export function svsEngineSettings(cfg: Config): EngineSettings {
  refuseDemoPasswords(cfg);
  let pki: DemoPki | undefined;
  const demo = (): DemoPki => (pki ??= loadOrCreateDemoPki(cfg.dataDir, cfg.svs.port));
  const keys = keySpecs(cfg, demo);
  const trustRootsPem = cfg.svs.validation.trustRoots.map((f) => readFileSync(path.resolve(cfg.projectRoot, f), 'utf8'));
  if (cfg.mode === 'demo') trustRootsPem.unshift(demo().trustRootsPem);
  const d = cfg.mode === 'demo' ? demo() : undefined;
  return {
    keys,
    applications: cfg.svs.applications,
    certs: { trustRootsPem, revocation: cfg.svs.validation.revocation, softFail: cfg.svs.validation.softFail, timeoutMs: cfg.svs.validation.timeoutMs },
    demoCa: d && {
      rootCertPem: d.rootCa.certificatePem,
      rootPrivateKey: d.rootCa.privateKey,
      rootPublicKey: d.rootCa.publicKey,
      ocspCertPem: d.ocspResponder.certificatePem,
      ocspPrivateKey: d.ocspResponder.privateKey,
      ocspPublicKey: d.ocspResponder.publicKey,
      issuedSerials: [d.unitSigning.serialHex, d.unitEncryption.serialHex, d.ocspResponder.serialHex],
      crlValidityHours: cfg.svs.demoCa.crlValidityHours,
      revoked: cfg.svs.demoCa.revoked,
    },
  };
}
