/** `medbill validate` (the real command) on a copy of the project with broken definition files. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { copyProject, ProjectCopy } from '../helpers/project-copy';

describe('medbill validate: every problem of every file in one run', function () {
  this.timeout(60_000);
  let p: ProjectCopy;
  before(() => {
    p = copyProject();
  });
  after(() => p?.remove());

  it('the shipped definitions are clean: exit 0', async () => {
    const r = await p.medbill(['validate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ok: \d+ services, \d+ mappings, \d+ flows/);
  });

  it('a flow and a mapping broken at once are both listed, compiler-style, and the exit code is 1', async () => {
    const flow = p.file('flows/outpatient/issue.flow.yaml');
    const text = readFileSync(flow, 'utf8');
    // allocate moved before dedupe — the reorder that used to pass
    const dedupe = /  - id: once-per-busno\n(?:    .*\n)+/.exec(text)![0];
    const number = /  - id: number\n(?:    .*\n)+/.exec(text)![0];
    writeFileSync(flow, text.replace(dedupe + number, number + dedupe));
    const mapping = p.file('mappings/his-v32/bill-to-issue-response.map.yaml');
    writeFileSync(mapping, readFileSync(mapping, 'utf8').replace('"bill.billNo"', '"$strr(bill.billNo)"'));

    const r = await p.medbill(['validate']);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.some((l) => /^flows\/outpatient\/issue\.flow\.yaml:\d+:\d+  error  FLOW_DEDUPE_AFTER_ALLOCATE  steps\[\d+\] \(number\): /.test(l)), r.stderr);
    assert.ok(lines.some((l) => /^mappings\/his-v32\/bill-to-issue-response\.map\.yaml:\d+:\d+  error  MAP_UNKNOWN_FUNCTION  fields\.billNo: 未知的函数 \$strr/.test(l)), r.stderr);
    assert.match(lines[lines.length - 1], /^\d+ error\(s\)/);

    const j = await p.medbill(['validate', '--format', 'json']);
    assert.equal(j.code, 1);
    const out = JSON.parse(j.stdout) as { ok: boolean; problems: { code: string; file: string; line: number }[] };
    assert.equal(out.ok, false);
    assert.ok(out.problems.some((x) => x.code === 'FLOW_DEDUPE_AFTER_ALLOCATE' && x.line > 0));
    assert.ok(out.problems.some((x) => x.code === 'MAP_UNKNOWN_FUNCTION'));
  });

  it('the server refuses to start with any of them, listing them', async () => {
    const r = await p.medbill(['start'], { MEDBILL_PORT: '0', MEDBILL_DATA_DIR: p.file('data') });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /FLOW_DEDUPE_AFTER_ALLOCATE/);
    assert.match(r.stderr, /MAP_UNKNOWN_FUNCTION/);
  });
});

describe('medbill validate and start: a catalogue entry, the config file and an environment variable broken at once', function () {
  this.timeout(120_000);
  let p: ProjectCopy;
  let env: NodeJS.ProcessEnv;
  const entry = 'config/catalogue/getEBillByBusNo.yaml';
  before(() => {
    p = copyProject();
    const text = readFileSync(p.file(entry), 'utf8');
    assert.match(text, /busNo: \{ type: string, identifier: true, maxLength: 50, /);
    writeFileSync(p.file(entry), text.replace("busNo: { type: string, identifier: true, maxLength: 50, ", "busNo: { type: string, identifier: true, maxLenght: 50, "));
    writeFileSync(p.file('hospital.yaml'), 'svs: { start: false }\nfinance: { start: false }\nserver:\n  prot: 18001\n');
    env = { MEDBILL_CONFIG: p.file('hospital.yaml'), MEDBILL_PORT: 'abc', MEDBILL_DATA_DIR: p.file('data'), MEDBILL_QUIET: '1' };
  });
  after(() => p?.remove());

  it('validate lists all three — files sorted, then the environment — with position, code and hint, and exits 1', async () => {
    const r = await p.medbill(['validate'], env);
    assert.equal(r.code, 1);
    const lines = readFileSync(p.file(entry), 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('maxLenght'));
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `${entry}:${at + 1}:${lines[at].indexOf('maxLenght') + 1}  error  CAT_UNKNOWN_KEYWORD  request.busNo.maxLenght: 未知的 JSON Schema 关键字 “maxLenght”（该规则不会生效） — 是否应为 “maxLength”？`,
      'hospital.yaml:4:3  error  CONFIG_UNKNOWN_KEY  server.prot: 未知的配置项 “prot” — 是否应为 “port”？',
      'env MEDBILL_PORT=abc  error  CONFIG_TYPE  server.port: 应为整数',
      '3 error(s)',
    ]);
    const j = await p.medbill(['validate', '--format', 'json'], env);
    assert.equal(j.code, 1);
    const out = JSON.parse(j.stdout) as { ok: boolean; problems: { code: string; file: string; line: number }[] };
    assert.deepEqual(
      out.problems.map((x) => [x.code, x.line]),
      [
        ['CAT_UNKNOWN_KEYWORD', at + 1],
        ['CONFIG_UNKNOWN_KEY', 4],
        ['CONFIG_TYPE', 0],
      ],
    );
  });

  it('start refuses to start and prints every problem; the SVS and finance processes refuse their configuration errors', async () => {
    const r = await p.medbill(['start'], env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^medbill: refusing to start, 3 error\(s\):\n/);
    for (const code of ['CAT_UNKNOWN_KEYWORD', 'CONFIG_TYPE', 'CONFIG_UNKNOWN_KEY']) assert.match(r.stderr, new RegExp(`  error  ${code}  `));
    assert.doesNotMatch(r.stdout, /listening/);
    for (const cmd of ['svs', 'finance']) {
      const s = await p.medbill([cmd], env);
      assert.equal(s.code, 1, cmd);
      assert.match(s.stderr, /^medbill: configuration has 2 error\(s\):\n/, cmd);
      assert.match(s.stderr, /env MEDBILL_PORT=abc {2}error {2}CONFIG_TYPE/, cmd);
      assert.doesNotMatch(s.stdout, /listening/, cmd);
    }
  });
});
