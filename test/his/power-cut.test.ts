/**
 * A power cut after S0000 loses nothing (issue 7 §3). kill -9 cannot show it — the kernel keeps what a
 * killed process wrote — so the power cut is simulated: a real `medbill start` runs with an LD_PRELOAD
 * shim (bench/campaign/power-cut.c) that keeps, beside the SQLite files, the image their last fsync
 * made durable; after kill -9 the files are put back to those images, as a power cut at that instant
 * would leave them, and medbill starts again on them.
 *
 * With the default db.sqliteSynchronous: full — whether the group commit fsyncs the WAL (sqliteWalSync:
 * writer, the default) or SQLite does in COMMIT (commit) — every acknowledged bill is there and the next
 * number follows the last one. With normal (the old setting) the same run loses acknowledged bills and
 * hands their numbers out again — which is also what shows the simulation bites. Needs a C compiler (cc).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { outpatientSettlement } from '../../bench/settlement';
import { buildPowerCutShim, cutPower, powerCutEnv } from '../../bench/campaign/power-cut';
import { callJson, Reply } from '../helpers/app';
import { medbillEnv, startMedbill, stopMedbill } from './his-helpers';

interface Acked {
  busNo: string;
  billNo: string;
  random: string;
}

/** Starts medbill on `dir` under the shim, issues `n` bills at once, then kill -9 the instant the last S0000 arrives. */
async function issueThenCut(env: NodeJS.ProcessEnv, dbFile: string, tag: string, n: number): Promise<Acked[]> {
  const m = await startMedbill(env);
  const replies = await Promise.all(Array.from({ length: n }, (_, i) => callJson(m.baseUrl, 'invoiceEBillOutpatient', outpatientSettlement(`${tag}-${i}`, i))));
  m.proc.kill('SIGKILL');
  await m.exited;
  cutPower(dbFile);
  const bad = replies.filter((r: Reply) => r.result !== 'S0000');
  assert.deepEqual(bad.map((r) => r.text), [], 'every request was answered S0000 before the cut');
  return replies.map((r, i) => ({ busNo: `${tag}-${i}`, billNo: String(r.body!.billNo), random: String(r.body!.random) }));
}

/** After the cut and a restart: which acknowledged bills getEBillByBusNo still gives, and the number a new bill takes. */
async function afterRestart(env: NodeJS.ProcessEnv, acked: Acked[]): Promise<{ kept: Acked[]; lost: Acked[]; nextNo: string }> {
  const m = await startMedbill(env);
  try {
    const kept: Acked[] = [];
    const lost: Acked[] = [];
    for (const a of acked) {
      const q = await callJson(m.baseUrl, 'getEBillByBusNo', { busNo: a.busNo, busDateTime: '20261125093015123' });
      (q.result === 'S0000' && q.body!.billNo === a.billNo && q.body!.random === a.random ? kept : lost).push(a);
    }
    const next = await callJson(m.baseUrl, 'invoiceEBillOutpatient', outpatientSettlement(`NEXT-${Date.now()}`, 999));
    assert.equal(next.result, 'S0000', next.text);
    return { kept, lost, nextNo: String(next.body!.billNo) };
  } finally {
    await stopMedbill(m);
  }
}

describe('power cut right after S0000 (simulated: only fsynced bytes survive; SQLite, real medbill process)', function () {
  this.timeout(120_000);
  let dir: string;
  let shim: string | undefined;

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-powercut-'));
    shim = buildPowerCutShim(dir);
    if (!shim) this.skip(); // no C compiler on this machine
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  /** A data dir whose database exists and was closed cleanly (checkpointed), then the load under the shim. */
  async function prepared(name: string, synchronous: 'full' | 'normal', walSync: 'writer' | 'commit' = 'writer'): Promise<{ env: NodeJS.ProcessEnv; dbFile: string }> {
    const d = path.join(dir, name);
    const dbFile = path.join(d, 'db', 'medbill.sqlite');
    mkdirSync(d);
    const env = { ...medbillEnv(d, `sqlite:${dbFile}`), ...powerCutEnv(shim!, dbFile) };
    writeFileSync(env.MEDBILL_CONFIG!, `svs: { start: false }\nfinance: { start: false }\nlog: { dir: "" }\ndb: { sqliteSynchronous: ${synchronous}, sqliteWalSync: ${walSync} }\n`);
    await stopMedbill(await startMedbill(env));
    return { env, dbFile };
  }

  for (const walSync of ['writer', 'commit'] as const) {
    it(`full, the WAL fsynced by ${walSync === 'writer' ? 'the group commit (the default)' : 'SQLite in COMMIT'}: every acknowledged bill survives, and the next number follows the last one`, async () => {
      const { env, dbFile } = await prepared(`full-${walSync}`, 'full', walSync);
      const acked = await issueThenCut(env, dbFile, `PCF${walSync[0]}`, 30);
      const { kept, lost, nextNo } = await afterRestart(env, acked);
      assert.deepEqual(lost, [], 'acknowledged bills lost by the power cut');
      assert.equal(kept.length, 30);
      const last = Math.max(...acked.map((a) => Number(a.billNo)));
      assert.equal(Number(nextNo), last + 1, 'the number pointer did not go back');
    });
  }

  it('normal loses acknowledged bills and hands their numbers out again (why FULL is the default)', async () => {
    const { env, dbFile } = await prepared('normal', 'normal');
    const acked = await issueThenCut(env, dbFile, 'PCN', 30);
    const { lost, nextNo } = await afterRestart(env, acked);
    assert.ok(lost.length > 0, 'NORMAL kept every bill: the simulation no longer drops unsynced writes');
    assert.ok(acked.some((a) => a.billNo === nextNo), `the next bill (${nextNo}) should reuse a number the HIS already holds`);
  });
});
