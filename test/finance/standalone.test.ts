/**
 * The simulator as a peer of its own: started by `medbill start` through startEmbeddedFinance, and
 * alone as `medbill finance` (a real child process that a test can stop and start again).
 */
import { strict as assert } from 'node:assert';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startEmbeddedFinance } from '../../adapters/finance/embedded';
import { loadConfig } from '../../src/config';
import { configureLogging } from '../../src/log';
import { tempDir } from './harness';

const BIN = path.resolve(__dirname, '../../../bin/medbill.js');

/** Runs `medbill finance` and resolves with the URL it prints once listening. */
function runFinanceCommand(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'finance'], {
    env: { ...process.env, MEDBILL_CONFIG: '', MEDBILL_DATA_DIR: dataDir, MEDBILL_LOG_DIR: path.join(dataDir, 'logs'), MEDBILL_FINANCE_PORT: '0', MEDBILL_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`medbill finance exited (${code}) before listening: ${err}`)));
  });
}

describe('finance simulator as a standalone peer', function () {
  this.timeout(60_000);
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('startEmbeddedFinance serves /healthz and the check page on its own port and closes cleanly', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const cfg = loadConfig({ ...process.env, MEDBILL_CONFIG: '' }, { dataDir: dir, log: { level: 'error', dir: '', stdout: false }, finance: { host: '127.0.0.1', port: 0 } });
    configureLogging(cfg.log);
    const peer = await startEmbeddedFinance(cfg);
    assert.ok(peer);
    assert.equal(peer.name, 'finance simulator');
    assert.match(peer.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const health = await fetch(`${peer.url}healthz`);
    assert.deepEqual(await health.json(), { status: 'ok', service: 'finance-simulator' });
    const page = await fetch(`${peer.url}billcheck`);
    assert.match(await page.text(), /财政电子票据查验/);
    await peer.close();
    await assert.rejects(fetch(`${peer.url}healthz`));
  });

  it('`medbill finance` runs alone, stops on SIGTERM, and starts again on the same data', async () => {
    const dir = tempDir();
    dirs.push(dir);
    for (let run = 0; run < 2; run++) {
      const { child, url } = await runFinanceCommand(dir);
      try {
        const health = await fetch(`${url}/healthz`);
        assert.equal(health.status, 200);
        const refused = await fetch(`${url}/api/bills`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        assert.equal(refused.status, 400);
      } finally {
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
      }
    }
    assert.ok(existsSync(path.join(dir, 'finance.sqlite')), 'its own database file under the data dir');
  });
});
