/**
 * Which finance CA medbill trusts for the supervisory signature: the PEM files of
 * `finance.supervisorTrustRoots`, and in demo mode the demo PKI's finance CA (the embedded simulator
 * signs with a key it issued). Never the hospital's own roots: a certificate the hospital's CA can
 * mint must not pass as finance's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../src/config';
import { loadOrCreateDemoPki } from '../ca/key-material';

export function supervisorTrustPem(cfg: Config): string {
  const files = cfg.finance.supervisorTrustRoots.map((f) => readFileSync(path.resolve(cfg.projectRoot, f), 'utf8'));
  const demo = cfg.mode === 'demo' ? [loadOrCreateDemoPki(cfg.dataDir, cfg.svs.port).financeCa.certificatePem] : [];
  return [...files, ...demo].join('\n');
}
