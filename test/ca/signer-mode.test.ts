/**
 * Which signer issuance uses (signer.mode, default auto): the CA client when medbill starts the embedded
 * signature server or ca.url names one, in-process otherwise — decided from configuration alone; and
 * production mode refuses the demo CA password and demo SVS accounts and keys.
 */
import { strict as assert } from 'node:assert';
import { ConfigError, effectiveSignerMode, loadConfig } from '../../src/config';

const load = (over: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => loadConfig({ MEDBILL_CONFIG: '', ...env }, over);

describe('signer mode', () => {
  it('auto: svs when the embedded SVS starts with medbill (npm start) or ca.url is set, else in-process', () => {
    assert.equal(load({}).signer.mode, 'auto');
    assert.equal(effectiveSignerMode(load({})), 'svs', 'the shipped defaults sign through the embedded SVS');
    assert.equal(effectiveSignerMode(load({ svs: { start: false } })), 'in-process');
    assert.equal(effectiveSignerMode(load({ svs: { start: false }, ca: { url: 'https://gdca.hospital.local:8443/svs' } })), 'svs');
  });

  it('explicit modes win, also from MEDBILL_SIGNER_MODE', () => {
    assert.equal(effectiveSignerMode(load({ signer: { mode: 'in-process' } })), 'in-process');
    assert.equal(effectiveSignerMode(load({ svs: { start: false }, signer: { mode: 'svs' } })), 'svs');
    assert.equal(effectiveSignerMode(load({}, { MEDBILL_SIGNER_MODE: 'in-process' })), 'in-process');
  });

  it('production refuses the demo CA password, the demo SVS account and demo SVS keys', () => {
    const prod = (over: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => () =>
      load(
        {
          callers: [{ appid: 'HIS', key: 'k-0123456789abcdef0123' }],
          unit: { checkCodeSecret: 'real-secret' },
          ...over,
        },
        { NODE_ENV: 'production', ...env },
      );
    assert.throws(prod({ svs: { start: false }, ca: { url: 'https://gdca.local/svs' } }), (e: unknown) => e instanceof ConfigError && /ca\.password is the demo value/.test(e.message));
    assert.doesNotThrow(prod({ svs: { start: false }, finance: { start: false }, ca: { url: 'https://gdca.local/svs' } }, { MEDBILL_CA_PASSWORD: 'from-the-vault' }));
    assert.throws(prod({}, { MEDBILL_CA_PASSWORD: 'from-the-vault' }), (e: unknown) => e instanceof ConfigError && /svs application medbill is the demo account/.test(e.message) && /demo PKI key/.test(e.message));
  });
});
