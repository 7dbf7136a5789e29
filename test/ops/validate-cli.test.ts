/**
 * `medbill validate` and `medbill start` as an operator runs them (the real binary, a child process) on
 * an installation with two broken files at once — a catalogue entry and the MEDBILL_CONFIG file — plus a
 * bad environment variable: every problem is listed in one run, compiler-style, and nothing starts.
 * The installation is a copy of the built project (dist, bin, config, flows, mappings) in a temp dir,
 * since the definitions are read from the project root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..', '..');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function medbill(root: string, args: string[], env: NodeJS.ProcessEnv): Promise<Result> {
  try {
    const r = await run(process.execPath, [path.join(root, 'bin', 'medbill.js'), ...args], { env, timeout: 60_000 });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('medbill validate lists every problem of every file in one run (the real CLI)', function () {
  this.timeout(120_000);
  let root: string;
  let env: NodeJS.ProcessEnv;
  let cfgFile: string;

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medbill-install-'));
    for (const d of ['bin', 'config', 'flows', 'mappings', 'wsdl', 'dist/src', 'dist/adapters']) cpSync(path.join(ROOT, d), path.join(root, d), { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    cfgFile = path.join(root, 'hospital.yaml');
    // Only the variables this test sets: a MEDBILL_* of the caller's shell must not change the outcome.
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MEDBILL_') && k !== 'NODE_ENV'));
    env.MEDBILL_CONFIG = cfgFile;
    env.MEDBILL_QUIET = '1';
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('the copied installation validates clean before it is broken', async () => {
    writeFileSync(cfgFile, 'svs: { start: false }\nfinance: { start: false }\n');
    const r = await medbill(root, ['validate'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ok: 3 services/);
  });

  describe('broken: a catalogue entry, the config file and MEDBILL_PORT', () => {
    before(() => {
      const entry = path.join(root, 'config', 'catalogue', 'getEBillByBusNo.yaml');
      const text = readFileSync(entry, 'utf8');
      assert.match(text, /busNo: \{ type: string, maxLength: 50, /);
      writeFileSync(entry, text.replace('busNo: { type: string, maxLength: 50, ', 'busNo: { type: string, maxLenght: 50, '));
      writeFileSync(cfgFile, 'svs: { start: false }\nfinance: { start: false }\nserver:\n  prot: 18001\n');
      env.MEDBILL_PORT = 'abc';
    });

    it('validate prints all three, sorted, at file:line:col with code and hint, and exits 1', async () => {
      const r = await medbill(root, ['validate'], env);
      assert.equal(r.code, 1);
      const lines = r.stderr.trim().split('\n');
      const entryFile = path.join(root, 'config', 'catalogue', 'getEBillByBusNo.yaml');
      const text = readFileSync(entryFile, 'utf8').split('\n');
      const line = text.findIndex((l) => l.includes('maxLenght'));
      // Sorted by file (absolute paths before the environment), then line and column.
      assert.deepEqual(lines, [
        `${entryFile}:${line + 1}:${text[line].indexOf('maxLenght') + 1}  error  CAT_UNKNOWN_KEYWORD  request.busNo.maxLenght: 未知的 JSON Schema 关键字 “maxLenght”（该规则不会生效） — 是否应为 “maxLength”？`,
        `${cfgFile}:4:3  error  CONFIG_UNKNOWN_KEY  server.prot: 未知的配置项 “prot” — 是否应为 “port”？`,
        'env MEDBILL_PORT=abc  error  CONFIG_TYPE  server.port: 应为整数',
        '3 error(s)',
      ]);
    });

    it('--format json carries the same problems with file, line, col and code', async () => {
      const r = await medbill(root, ['validate', '--format', 'json'], env);
      assert.equal(r.code, 1);
      const out = JSON.parse(r.stdout) as { ok: boolean; problems: { file: string; line: number; col: number; code: string }[] };
      assert.equal(out.ok, false);
      assert.deepEqual(
        out.problems.map((p) => [path.basename(p.file), p.line, p.code]),
        [
          ['getEBillByBusNo.yaml', 10, 'CAT_UNKNOWN_KEYWORD'],
          ['hospital.yaml', 4, 'CONFIG_UNKNOWN_KEY'],
          ['env MEDBILL_PORT=abc', 0, 'CONFIG_TYPE'],
        ],
      );
    });

    it('start refuses to start and prints every problem (nothing listens)', async () => {
      const r = await medbill(root, ['start'], env);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^medbill: refusing to start, 3 error\(s\):\n/);
      for (const code of ['CAT_UNKNOWN_KEYWORD', 'CONFIG_TYPE', 'CONFIG_UNKNOWN_KEY']) assert.match(r.stderr, new RegExp(`  error  ${code}  `));
      assert.doesNotMatch(r.stdout, /listening/);
    });

    it('the signature server and the finance simulator refuse their configuration errors too', async () => {
      for (const cmd of ['svs', 'finance']) {
        const r = await medbill(root, [cmd], env);
        assert.equal(r.code, 1, cmd);
        assert.match(r.stderr, /^medbill: configuration has 2 error\(s\):\n/, cmd);
        assert.match(r.stderr, /env MEDBILL_PORT=abc {2}error {2}CONFIG_TYPE/, cmd);
        assert.doesNotMatch(r.stdout, /listening/, cmd);
      }
    });
  });
});
