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
    assert.ok(lines.some((l) => /^flows\/outpatient\/issue\.flow\.yaml:\d+:\d+  error  FLOW_DEDUPE_AFTER_ALLOCATE  steps\[3\] \(number\): /.test(l)), r.stderr);
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
