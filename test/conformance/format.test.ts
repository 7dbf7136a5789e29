/**
 * The conformance runner's own rules (no server): a malformed file is refused with every problem
 * listed, templates and `...` inheritance resolve as documented, and judge() catches wrong answers —
 * so a conformance case cannot pass by accident.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { caseValues, judge, needsOf, readConformanceFile, requestOf } from './conformance';

describe('conformance: the file format and the judge', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-conf-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('refuses a file with one bad case, a wrong service, an unknown fixture and a missing code, listing each', () => {
    const r = readConformanceFile(write('x.yaml', 'service: y\nneeds: [bil]\nhappy: { data: {}, expect: {} }\nbad:\n  - { name: a, data: {}, expect: { code: E1001 } }\n'), 'x');
    assert.equal(r.ok, false);
    const text = !r.ok ? r.problems.join('\n') : '';
    for (const p of ['service: must be x', 'needs:', 'happy.expect.code', 'bad: at least two']) assert.ok(text.includes(p), `${p} in ${text}`);
  });

  it('resolves templates and `...` (null removes a field); {{uuid}} is one value per case', () => {
    const r = readConformanceFile(
      write('s.yaml', 'service: s\nneeds: [bill]\nhappy: { data: { a: "{{bill.billNo}}", b: "{{uuid}}", c: "{{uuid}}", d: x }, expect: { code: S0000 } }\nbad:\n  - { name: 一, data: { ..., a: "9", d: ~ }, expect: { code: E2002 } }\n  - { name: 二, data: { z: "at {{today}}" }, expect: { code: E1001 } }\n'),
      's',
    );
    assert.ok(r.ok);
    if (!r.ok) return;
    const values = caseValues({ bill: { billNo: '0000000001' } });
    const happy = requestOf(r.value.happy, r.value.happy, values);
    assert.equal(happy.a, '0000000001');
    assert.equal(happy.b, happy.c);
    assert.deepEqual(requestOf(r.value.bad[0], r.value.happy, values), { a: '9', b: happy.b, c: happy.b });
    assert.match(String(requestOf(r.value.bad[1], r.value.happy, values).z), /^at \d{4}-\d{2}-\d{2}$/);
    assert.throws(() => requestOf({ name: 'n', data: { a: '{{bill.nope}}' }, expect: { code: 'S0000' } }, r.value.happy, values), /names nothing/);
  });

  it("a case's own needs add to the file's; first: true is for bad cases only; unknown case keys and fixtures are refused", () => {
    const good = readConformanceFile(
      write('n.yaml', 'service: n\nneeds: [bill]\nhappy: { needs: [arrearsBill], data: {}, expect: { code: S0000 } }\nbad:\n  - { name: 一, first: true, needs: [bill, voucher], data: {}, expect: { code: E2404 } }\n  - { name: 二, data: {}, expect: { code: E1001 } }\n'),
      'n',
    );
    assert.ok(good.ok, !good.ok ? good.problems.join('\n') : '');
    if (!good.ok) return;
    assert.deepEqual(needsOf(good.value, good.value.happy), ['bill', 'arrearsBill']);
    assert.deepEqual(needsOf(good.value, good.value.bad[0]), ['bill', 'voucher']);
    assert.equal(good.value.bad[0].first, true);
    assert.equal(good.value.bad[1].first, undefined);
    const bad = readConformanceFile(
      write('m.yaml', 'service: m\nhappy: { first: true, data: {}, expect: { code: S0000 } }\nbad:\n  - { name: 一, needs: [vouch], data: {}, expect: { code: E1001 } }\n  - { name: 二, frist: true, data: {}, expect: { code: E1001 } }\n'),
      'm',
    );
    assert.equal(bad.ok, false);
    const text = !bad.ok ? bad.problems.join('\n') : '';
    for (const p of ['happy.first', 'bad[0].needs', 'bad[1].frist: unknown key']) assert.ok(text.includes(p), `${p} in ${text}`);
  });

  it('judge: wrong code, English or leaking message, unnamed field, mismatched keys are each reported', () => {
    const titles = new Map([['billNo', '电子票据号码']]);
    assert.deepEqual(judge({ result: 'E2002', message: '电子票据号码 9 不存在' }, { code: 'E2002', field: 'billNo' }, titles), []);
    assert.equal(judge({ result: 'E1001', message: '字段 x 缺失' }, { code: 'E2002' }, titles).length, 1);
    assert.equal(judge({ result: 'E2002', message: 'not found' }, { code: 'E2002' }, titles).length, 1);
    assert.equal(judge({ result: 'E9999', message: '错误 at Object.run (/work/x.js:1:2)' }, { code: 'E9999' }, titles).length, 1);
    assert.equal(judge({ result: 'E2002', message: '票据不存在' }, { code: 'E2002', field: 'billNo' }, titles).length, 1);
    assert.deepEqual(judge({ result: 'S0000', message: { billNo: '0000000001', n: 3 } }, { code: 'S0000', message: { billNo: '/^\\d{10}$/', n: 3 } }, titles), []);
    assert.equal(judge({ result: 'S0000', message: { billNo: '1' } }, { code: 'S0000', message: { billNo: '/^\\d{10}$/', random: '/./' } }, titles).length, 2);
  });
});
