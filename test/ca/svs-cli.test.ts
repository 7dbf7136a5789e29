/**
 * `medbill svs` as its own process (each peer runs alone so tests can stop and restart it):
 * it serves the WSDL and signs, stops cleanly on SIGTERM with its audit committed, restarts on the same
 * port and data dir with the same keys; `medbill svs --hash-password` makes a hash the server accepts.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkPasswordHash } from '../../adapters/ca/svs/password';
import { verifyP7 } from '../../src/crypto';
import { b64, callSvs, freePort, tempDir } from './helpers';

const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'medbill.js');

describe('medbill svs (the signature server as its own process)', function () {
  this.timeout(60_000);
  const dir = tempDir('medbill-svs-cli-');
  let port: number;
  let env: NodeJS.ProcessEnv;
  let child: ChildProcess | undefined;

  const start = async (): Promise<string> => {
    child = spawn(process.execPath, [BIN, 'svs'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (out.includes('listening')) return out;
      if (child.exitCode !== null) throw new Error(`medbill svs exited ${child.exitCode}: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`medbill svs did not start: ${out}`);
  };
  const stop = async (): Promise<number | null> => {
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  };

  before(async () => {
    port = await freePort();
    const cfgFile = path.join(dir, 'svs.yaml');
    writeFileSync(cfgFile, `svs: { port: ${port}, host: 127.0.0.1 }\nlog: { dir: "", stdout: false }\n`);
    env = { ...process.env, MEDBILL_CONFIG: cfgFile, MEDBILL_DATA_DIR: dir, MEDBILL_QUIET: '1' };
  });
  after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, prints its endpoints, serves the WSDL and signs', async () => {
    const out = await start();
    assert.match(out, new RegExp(`WSDL: +http://127.0.0.1:${port}/svs\\?wsdl`));
    assert.match(out, /audit: +sqlite:.*svs-audit\.sqlite/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/svs?wsdl`)).status, 200);
    const r = await callSvs(`http://127.0.0.1:${port}/svs`, 'SVS_SignMessage', { keyIndex: 1, data: Buffer.from('x') });
    assert.equal(r.fields.result, '0', r.fields.message);
  });

  it('stops on SIGTERM (exit 0) and restarts on the same port with the same key', async () => {
    const before = await callSvs(`http://127.0.0.1:${port}/svs`, 'SVS_ExportCert', { keyIndex: 1 });
    assert.equal(await stop(), 0);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
    await start();
    const after = await callSvs(`http://127.0.0.1:${port}/svs`, 'SVS_ExportCert', { keyIndex: 1 });
    assert.equal(after.fields.cert, before.fields.cert, 'same demo PKI from the data dir');
    const r = await callSvs(`http://127.0.0.1:${port}/svs`, 'SVS_SignMessage', { keyIndex: 1, data: Buffer.from('again'), isOriginalText: true });
    assert.equal(verifyP7(b64(r.fields.signedMessage)).valid, true);
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string; audited: number };
    assert.equal(health.status, 'ok');
  });

  it('--hash-password prints an scrypt hash of the password on stdin', () => {
    const r = spawnSync(process.execPath, [BIN, 'svs', '--hash-password'], { env, input: 'a new app password\n', encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const hash = r.stdout.trim();
    assert.match(hash, /^scrypt\$16384\$8\$1\$/);
    assert.equal(checkPasswordHash('a new app password', hash), true);
    assert.equal(checkPasswordHash('a new app password\n', hash), false, 'the trailing newline is not part of it');
  });
});
