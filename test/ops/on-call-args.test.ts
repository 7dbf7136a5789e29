/** The values trace and replay accept, and what they say about the ones they refuse (CLI runs: cli.test.ts). */
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import { codesArg, limitArg, resultFilter, statusesArg, timeArg } from '../../src/cli/on-call-args';
import { codesOfKind, resultKind } from '../../src/engine/codes';
import { beijingDisplay, isoBeijing, parseBeijingTime } from '../../src/domain/time';

const refused = (fn: () => unknown, message: RegExp) => assert.throws(fn, (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message));

describe('on-call arguments and times', () => {
  it('times without an offset are Beijing time, whatever the machine TZ; with one they mean what they say', () => {
    const t = Date.UTC(2026, 10, 25, 1, 30, 15, 123); // 09:30:15.123 in Beijing
    for (const s of ['2026-11-25 09:30:15.123', '2026-11-25T09:30:15.123', '20261125093015123', '2026-11-25T01:30:15.123Z', '2026-11-25 09:30:15.123 +08:00', '2026-11-25T09:30:15.123+0800'])
      assert.equal(parseBeijingTime(s), t, s);
    assert.equal(parseBeijingTime('2026-11-25 09:30'), Date.UTC(2026, 10, 25, 1, 30));
    assert.equal(parseBeijingTime('2026-11-25'), Date.UTC(2026, 10, 24, 16, 0), 'a day starts at midnight Beijing time');
    assert.equal(parseBeijingTime('2026-11-25 09:30:15.1'), Date.UTC(2026, 10, 25, 1, 30, 15, 100), '.1 is 100 ms');
    for (const s of ['yesterday', '2026-02-30 09:00', '2026-11-25 24:00', '2026-11-25 09:60', '20260230093015123', '2026-11-25 09:30 +25:00', '1700000000000', ''])
      assert.equal(parseBeijingTime(s), null, s);
    assert.equal(beijingDisplay(t), '2026-11-25 09:30:15.123 +08:00');
    assert.equal(isoBeijing(t, 'ms'), '2026-11-25T09:30:15.123+08:00');
    assert.equal(Date.parse(isoBeijing(t, 'ms')), t);
    assert.equal(beijingDisplay(Date.UTC(2026, 11, 31, 16, 0, 0, 5)), '2027-01-01 00:00:00.005 +08:00', 'the date rolls over in Beijing, not in UTC');
    refused(() => timeArg('yesterday'), /'yesterday' is not a time: use 2026-11-25 09:30 \(Beijing time\)/);
  });

  it('result codes come from the code table: lower case is fine, unknown codes and S0000 are refused', () => {
    assert.deepEqual(codesArg('e3001, E3002'), ['E3001', 'E3002']);
    refused(() => codesArg('E3001,E3009'), /unknown result code E3009 \(codes: E0001, .*E9999\)/);
    refused(() => codesArg('S0000'), /S0000 is success and done messages carry no code: select them with --status done/);
    refused(() => codesArg(' , '), /no result code given/);
  });

  it('statuses and limits', () => {
    assert.deepEqual(statusesArg('failed, Interrupted'), ['failed', 'interrupted']);
    refused(() => statusesArg('failed,broken'), /unknown status broken \(statuses: received, processing, done, failed, rejected, interrupted, replayed\)/);
    refused(() => statusesArg(','), /unknown status/);
    assert.equal(limitArg('50'), 50);
    for (const v of ['0', '-1', '1.5', 'ten', '100001']) refused(() => limitArg(v), /is not a limit: a whole number from 1 to 100000/);
  });

  it('faults and refusals split the code table by class: refusals replay to the same answer, faults may not', () => {
    // The faults are the short list that matters (they may be replayed); every other code is a refusal.
    assert.deepEqual(codesOfKind('fault'), ['E0007', 'E2632', 'E2750', 'E3001', 'E3002', 'E3003', 'E9999']);
    const refusals = codesOfKind('refusal');
    for (const c of ['E0001', 'E0004', 'E1001', 'E1002', 'E2001', 'E2002', 'E2003', 'E2004']) assert.ok(refusals.includes(c), c);
    assert.ok(!refusals.some((c) => codesOfKind('fault').includes(c) || c === 'S0000'));
    assert.equal(resultKind('S0000'), 'ok');
    assert.equal(resultKind('E4711'), 'fault', 'a code outside the table is unexpected: a fault to look at');
  });

  it('replay takes data refusals only when asked: --refusals, --code, --id or --status rejected', () => {
    const refusals = codesOfKind('refusal');
    assert.deepEqual(resultFilter({ status: ['failed'] }), { codes: { notIn: refusals, noCode: 'any' }, refusalsLeftOut: true });
    assert.deepEqual(resultFilter({}), { codes: { notIn: refusals, noCode: 'any' }, refusalsLeftOut: true });
    assert.deepEqual(resultFilter({ status: ['failed'], refusals: true }), { codes: { in: refusals }, refusalsLeftOut: false });
    assert.deepEqual(resultFilter({ status: ['failed'], code: ['E1002'] }), { codes: { in: ['E1002'] }, refusalsLeftOut: false });
    assert.deepEqual(resultFilter({ status: ['failed'], faults: true }), { codes: { notIn: [...refusals, 'S0000'], noCode: ['interrupted', 'received', 'processing'] }, refusalsLeftOut: false });
    assert.deepEqual(resultFilter({ id: ['X'] }), { refusalsLeftOut: false });
    assert.deepEqual(resultFilter({ status: ['failed', 'rejected'] }), { refusalsLeftOut: false });
  });
});
