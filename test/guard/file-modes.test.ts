/**
 * The data directory (bills with patients' ID numbers, the demo keys) is created 0700, and the
 * databases and logs are 0600 — under a umask of 022, where they used to come out 0755/0644. A real
 * `medbill start` with its embedded signature server and finance simulator, on a data dir it creates;
 * then again on an existing install whose files an older version left 0644.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, tempDir } from '../ca/helpers';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

async function startAndStop(dataDir: string, check: () => void, config = ''): Promise<void> {
  const env = {
    ...process.env,
    MEDBILL_CONFIG: config,
    MEDBILL_DATA_DIR: dataDir,
    MEDBILL_DB_URL: '',
    MEDBILL_LOG_DIR: 'logs',
    MEDBILL_PORT: String(await freePort()),
    MEDBILL_SVS_PORT: String(await freePort()),
    MEDBILL_FINANCE_PORT: String(await freePort()),
    MEDBILL_QUIET: '1',
    NODE_ENV: '',
  };
  // umask 022 explicitly: the modes must not depend on the umask of whoever runs medbill.
  const child = spawn('/bin/sh', ['-c', `umask 022; exec "${process.execPath}" bin/medbill.js start`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    const deadline = Date.now() + 40_000;
    const logDir = path.join(dataDir, 'logs');
    const logged = () => existsSync(logDir) && readdirSync(logDir).some((f) => f.endsWith('.log'));
    while (!(/listening on/.test(out) && logged()) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /listening on/, out);
    check();
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

describe('data directory 0700, databases and logs 0600', function () {
  this.timeout(90_000);
  const dir = tempDir('medbill-modes-');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a fresh install: the data dir and every directory under it 0700; medbill, svs-audit and finance databases, the demo PKI and the log file 0600', async () => {
    const data = path.join(dir, 'fresh', 'data');
    await startAndStop(data, () => {
      assert.equal(mode(data), '700');
      for (const d of ['logs', 'pki']) assert.equal(mode(path.join(data, d)), '700', d);
      for (const f of ['medbill.sqlite', 'svs-audit.sqlite', 'finance.sqlite', path.join('pki', 'demo-pki.json')]) assert.equal(mode(path.join(data, f)), '600', f);
      for (const f of readdirSync(data).filter((n) => /\.sqlite-(wal|shm)$/.test(n))) assert.equal(mode(path.join(data, f)), '600', f);
      const logs = readdirSync(path.join(data, 'logs')).filter((f) => f.endsWith('.log'));
      assert.ok(logs.length >= 1);
      for (const f of logs) assert.equal(mode(path.join(data, 'logs', f)), '600', f);
    });
  });

  it('an existing install left 0644 by an older version: its database and today\'s log are tightened to 0600', async () => {
    const data = path.join(dir, 'old');
    mkdirSync(path.join(data, 'logs'), { recursive: true, mode: 0o755 });
    const day = new Date();
    const stamp = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    const log = path.join(data, 'logs', `medbill-${stamp}.log`);
    const db = path.join(data, 'medbill.sqlite');
    // An empty file is an empty SQLite database.
    for (const f of [log, db]) {
      writeFileSync(f, '');
      chmodSync(f, 0o644);
    }
    const cfg = path.join(dir, 'no-peers.yaml');
    writeFileSync(cfg, 'svs: { start: false }\nfinance: { start: false }\n');
    await startAndStop(
      data,
      () => {
        assert.equal(mode(db), '600');
        assert.equal(mode(log), '600');
      },
      cfg,
    );
  });
});
