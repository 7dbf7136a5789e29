/**
 * Production means production, for every process (real `medbill` child processes, exit code and
 * stderr): NODE_ENV=production refuses each demo secret by name — for `medbill start`, `medbill svs`
 * (before the fix it started with the demo PKI keys and the demo account and signed with
 * demo-svs-password) and `medbill finance` (the simulator signs with the demo PKI) — and
 * NODE_ENV=production with MEDBILL_MODE=demo refuses instead of starting in demo mode. A clean
 * production configuration does start, so the refusals are about the secrets, not about production.
 * The peers bind 127.0.0.1 unless configured: a socket bound there refuses connections to 127.0.0.2.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { hashPassword } from '../../adapters/ca/svs/password';
import { certificateToPem, sm2PrivateKey, sm2PrivateKeyToPem } from '../../src/crypto';
import { makeCert, makeRoot } from '../helpers/pki-fixtures';
import { freePort, tempDir } from '../ca/helpers';

const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'medbill.js');
type Plain = Record<string, unknown>;

describe('production refuses demo secrets in every process', function () {
  this.timeout(120_000);
  const dir = tempDir('medbill-prod-');
  let keyFile: string;
  let n = 0;
  before(() => {
    const root = makeRoot('Hospital CA');
    const leaf = makeCert(root, 'medbill unit signing');
    if (leaf.key.kind !== 'sm2') throw new Error('fixture');
    keyFile = path.join(dir, 'unit.pem');
    writeFileSync(keyFile, certificateToPem(leaf.cert.der) + sm2PrivateKeyToPem(sm2PrivateKey(leaf.key.privateKey, leaf.key.publicKey)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `medbill <command>` on a config file; resolves with the exit code and output, or 'listening' once it serves. */
  async function run(command: string, config: Plain, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; listening: boolean }> {
    const file = path.join(dir, `cfg-${n++}.yaml`);
    writeFileSync(file, JSON.stringify(config));
    const child = spawn(process.execPath, [BIN, command], {
      env: { ...process.env, NODE_ENV: 'production', MEDBILL_CONFIG: file, MEDBILL_DATA_DIR: path.join(dir, `data-${n}`), MEDBILL_QUIET: '1', MEDBILL_LOG_DIR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    return new Promise((resolve) => {
      let listening = false;
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout!.on('data', () => {
        if (!listening && /listening/.test(out)) {
          listening = true;
          child.kill('SIGTERM');
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out, listening });
      });
    });
  }

  async function assertRefused(command: string, config: Plain, secret: RegExp, env: NodeJS.ProcessEnv = {}): Promise<void> {
    const r = await run(command, config, env);
    assert.equal(r.listening, false, `medbill ${command} started with ${secret}:\n${r.out}`);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, secret);
  }

  // medbill start: a clean production set-up signs through the hospital's CA box, with real secrets.
  const cleanStart = async (): Promise<Plain> => ({
    server: { port: await freePort(), host: '127.0.0.1' },
    callers: [{ appid: 'HIS-ZL', key: 'a-real-key-0123456789abcdef0123' }],
    unit: { checkCodeSecret: 'a-real-check-code-secret' },
    svs: { start: false },
    finance: { start: false, url: 'http://127.0.0.1:9' },
    ca: { url: 'http://127.0.0.1:9/svs' },
    log: { dir: '' },
  });
  const real = { MEDBILL_CA_PASSWORD: 'from-the-vault' };

  it('medbill start: the clean production set-up starts', async () => {
    const r = await run('start', await cleanStart(), real);
    assert.ok(r.listening, r.out);
    assert.doesNotMatch(r.out, /demo mode/);
  });

  it('medbill start refuses each demo secret, naming it', async () => {
    const cases: Array<[string, (c: Plain) => void, RegExp, NodeJS.ProcessEnv?]> = [
      ['the demo caller key', (c) => (c.callers = [{ appid: 'HIS-ZL', key: 'demo-key-0123456789abcdef' }]), /caller HIS-ZL uses the demo key/],
      ['the demo caller from MEDBILL_CALLERS', () => undefined, /caller MEDBILL-DEMO uses the demo key/, { MEDBILL_CALLERS: 'MEDBILL-DEMO:demo-key-0123456789abcdef' }],
      ['the demo check-code secret', (c) => (c.unit = {}), /unit\.checkCodeSecret is the demo value/],
      ['the demo CA password', () => undefined, /ca\.password is the demo value/, { MEDBILL_CA_PASSWORD: '' }],
      ['the demo PKI unit key (in-process signer, no key file)', (c) => (c.signer = { mode: 'in-process' }), /signer\.keyFile is empty/],
      ['the embedded SVS with its demo keys and account', (c) => (c.svs = { start: true }), /(?=[\s\S]*svs application medbill is the demo account)(?=[\s\S]*svs key index 1 is a demo PKI key)/],
      ['the embedded finance simulator', (c) => (c.finance = { start: true }), /finance\.start runs the finance simulator/],
    ];
    // Each case is its own process (own config file, data folder and port): two at a time, one core each.
    for (let i = 0; i < cases.length; i += 2)
      await Promise.all(
        cases.slice(i, i + 2).map(async ([what, change, secret, env]) => {
          const c = await cleanStart();
          change(c);
          await assertRefused('start', c, secret, { ...real, ...(env ?? {}) }).catch((e: Error) => assert.fail(`${what}: ${e.message}`));
        }),
      );
  });

  it('NODE_ENV=production with MEDBILL_MODE=demo refuses instead of starting in demo mode (a file saying mode: demo is overruled, as before)', async () => {
    await assertRefused('start', await cleanStart(), /NODE_ENV=production but mode is 'demo'/, { ...real, MEDBILL_MODE: 'demo' });
    await assertRefused('svs', { svs: { port: await freePort() } }, /NODE_ENV=production but mode is 'demo'/, { MEDBILL_MODE: 'demo' });
    const file = await run('start', { ...(await cleanStart()), mode: 'demo' }, real);
    assert.ok(file.listening, file.out);
    assert.doesNotMatch(file.out, /demo mode/, 'NODE_ENV=production wins over the file: production checks, production mode');
  });

  // medbill svs: keys from a PEM file and an application with its own password.
  const cleanSvs = async (): Promise<Plain> => ({
    svs: {
      port: await freePort(),
      keys: [{ index: 1, file: keyFile }],
      applications: [{ appName: 'medbill', passwordHash: hashPassword('a real svs password'), keyIndexes: [1], operations: ['*'] }],
      validation: { revocation: 'none' },
    },
    log: { dir: '' },
  });

  it('medbill svs: the clean production set-up starts; the demo keys, the demo account and the demo password are refused', async () => {
    const ok = await run('svs', await cleanSvs());
    assert.ok(ok.listening, ok.out);

    const demoKey = await cleanSvs();
    (demoKey.svs as Plain).keys = [{ index: 1, demo: 'unitSigning' }];
    await assertRefused('svs', demoKey, /svs key index 1 is a demo PKI key/);

    const demoAccount = await cleanSvs();
    (demoAccount.svs as Plain).applications = [{ appName: 'medbill', passwordHash: hashPassword('x'), keyIndexes: [1], operations: ['*'], demo: true }];
    await assertRefused('svs', demoAccount, /svs application medbill is the demo account/);

    // Without the demo flag, but a hash made anew from demo-svs-password: refused by the key loader itself.
    const demoPassword = await cleanSvs();
    (demoPassword.svs as Plain).applications = [{ appName: 'billing', passwordHash: hashPassword('demo-svs-password'), keyIndexes: [1], operations: ['*'] }];
    await assertRefused('svs', demoPassword, /svs application billing accepts the demo password demo-svs-password/);

    // The shipped defaults, as the issue found them.
    await assertRefused('svs', { svs: { port: await freePort() }, log: { dir: '' } }, /(?=[\s\S]*svs application medbill is the demo account)(?=[\s\S]*demo PKI key)/);
  });

  it('medbill finance (the simulator, which signs with the demo PKI) refuses in production', async () => {
    await assertRefused('finance', { finance: { port: await freePort() }, log: { dir: '' } }, /finance simulator.*demo PKI/);
  });
});

describe('the peers bind 127.0.0.1 unless configured', function () {
  this.timeout(60_000);
  const dir = tempDir('medbill-bind-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  const connects = (host: string, port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });

  for (const [command, portVar] of [
    ['svs', 'MEDBILL_SVS_PORT'],
    ['finance', 'MEDBILL_FINANCE_PORT'],
  ] as const) {
    it(`medbill ${command} with the shipped defaults listens on 127.0.0.1 only`, async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [BIN, command], {
        env: { ...process.env, NODE_ENV: '', MEDBILL_CONFIG: '', MEDBILL_DATA_DIR: path.join(dir, command), [portVar]: String(port), MEDBILL_QUIET: '1', MEDBILL_LOG_DIR: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        let out = '';
        child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
        child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
        const deadline = Date.now() + 30_000;
        while (!/listening/.test(out) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.match(out, /listening/, out);
        assert.equal(await connects('127.0.0.1', port), true);
        assert.equal(await connects('127.0.0.2', port), false, 'not reachable on other addresses of the machine');
      } finally {
        child.kill('SIGTERM');
      }
    });
  }

});
