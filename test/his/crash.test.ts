/**
 * kill -9 right after S0000 loses nothing, and no kill leaves a number issued twice or stuck reserved
 * (docs/architecture.md#invariants). A real `node bin/medbill.js start` child process takes a burst of
 * issuance requests and is SIGKILLed the instant the first S0000 arrives (and, on the next run, in the
 * middle of the burst); it is restarted on the same data dir and database, whose start-up recovery must
 * complete or void every reservation. Needs the compiled dist (`npx tsc -p .`), as bin/medbill.js does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { callJson, dbKinds, DbKind, freshDb, Reply, TestDb } from '../helpers/app';
import { Json, Medbill, medbillEnv, sample, startMedbill } from './his-helpers';

/** A settlement whose busNo and amounts differ per i (distinct content, balanced sums). */
function settlement(tag: string, i: number): Json {
  const s = sample(`${tag}-${String(i).padStart(3, '0')}`);
  const fen = i + 1;
  const add = (v: unknown) => (Math.round(Number(v) * 100) + fen) / 100;
  s.totalAmt = add(s.totalAmt);
  s.selfCashPay = add(s.selfCashPay);
  const payCash = (s.payChannelDetail as Json[])[1];
  payCash.payChannelValue = add(payCash.payChannelValue);
  const drug = (s.chargeDetail as Json[])[2];
  drug.amt = drug.std = add(drug.amt);
  const line = (s.listDetail as Json[])[4];
  line.amt = line.std = add(line.amt);
  return s;
}

interface Burst {
  payloads: Json[];
  answers: Map<string, Reply>;
  signal: NodeJS.Signals | null;
}

/** Fires all payloads at once and SIGKILLs the child when `killAfter` S0000 answers have arrived. */
async function burstAndKill(m: Medbill, payloads: Json[], killAfter: number): Promise<Burst> {
  const answers = new Map<string, Reply>();
  let ok = 0;
  await Promise.all(
    payloads.map((s) =>
      callJson(m.baseUrl, 'invoiceEBillOutpatient', s).then(
        (r) => {
          answers.set(String(s.busNo), r);
          if (r.result === 'S0000' && ++ok === killAfter) m.proc.kill('SIGKILL');
        },
        () => undefined, // the connection died with the process: no answer, no promise made
      ),
    ),
  );
  if (ok < killAfter) {
    m.proc.kill('SIGKILL');
    await m.exited;
    assert.fail(`only ${ok} S0000 answers of ${payloads.length}: ${[...answers.values()].map((r) => r.text).find((t) => t) ?? ''}`);
  }
  const { signal } = await m.exited;
  return { payloads, answers, signal };
}

/** After a restart: every S0000 answer is still true, and unanswered requests can be retried to one bill. */
async function checkAfterRestart(m: Medbill, b: Burst): Promise<void> {
  const promised = [...b.answers].filter(([, r]) => r.result === 'S0000');
  assert.ok(promised.length >= 1);
  assert.deepEqual(
    [...b.answers.values()].filter((r) => r.result !== 'S0000').map((r) => `${r.result} ${r.text}`),
    [],
    'every answer that arrived before the kill was S0000',
  );
  for (const [busNo, r] of promised) {
    const q = await callJson(m.baseUrl, 'getEBillByBusNo', { busNo, busDateTime: '20261125093015123' });
    assert.equal(q.result, 'S0000', `busNo ${busNo} got S0000 (${String(r.body!.billNo)}) before kill -9 but is lost: ${q.text}`);
    for (const k of ['billBatchCode', 'billNo', 'random', 'createTime']) assert.equal(q.body![k], r.body![k], `${busNo}: ${k}`);
  }
  // The HIS retries what got no answer: each ends with exactly one bill, a resumed or a fresh number.
  const retries = await Promise.all(b.payloads.filter((s) => !b.answers.has(String(s.busNo))).map((s) => callJson(m.baseUrl, 'invoiceEBillOutpatient', s)));
  for (const r of retries) assert.equal(r.result, 'S0000', r.text);
  // and a retry of an answered one gives the promised bill again
  const [busNo, first] = promised[0];
  const again = await callJson(m.baseUrl, 'invoiceEBillOutpatient', b.payloads.find((s) => s.busNo === busNo)!);
  assert.equal(again.body?.billNo, first.body!.billNo);
}

interface BillRow {
  bill_batch_code: string;
  bill_no: string;
  state: string;
  bus_no: string | null;
  void_reason: string | null;
}

/** The number invariants, read straight from the database after the last process has stopped. */
async function checkTables(db: Knex, bursts: Burst[]): Promise<void> {
  const bills = (await db('bills').select('bill_batch_code', 'bill_no', 'state', 'bus_no', 'void_reason')) as BillRow[];
  const range = await db('stock_ranges').where({ place_code: 'MZSF01', medium: 'ebill', bill_kind: 'outpatient' }).first();
  const mine = bills.filter((b) => b.bill_batch_code === range.bill_batch_code);
  assert.equal(new Set(mine.map((b) => b.bill_no)).size, mine.length, 'a number has two rows');
  assert.deepEqual(
    mine.map((b) => Number(b.bill_no)).sort((a, b) => a - b),
    Array.from({ length: Number(range.next_no) - Number(range.start_no) }, (_, i) => Number(range.start_no) + i),
    'every allocated number has a row: no gap',
  );
  assert.deepEqual(mine.filter((b) => b.state === 'reserved'), [], 'no reservation survives start-up recovery');
  for (const b of mine) {
    assert.ok(b.state === 'issued' || b.state === 'voided', `${b.bill_no}: ${b.state}`);
    if (b.state === 'voided') assert.ok(b.void_reason && b.void_reason.length > 0, `${b.bill_no} voided without a reason`);
  }
  const issued = mine.filter((b) => b.state === 'issued');
  assert.equal(new Set(issued.map((b) => b.bus_no)).size, issued.length, 'a busNo has two issued bills');
  for (const burst of bursts) {
    for (const s of burst.payloads) assert.equal(issued.filter((b) => b.bus_no === s.busNo).length, 1, `busNo ${String(s.busNo)} must end with exactly one bill`);
    for (const [busNo, r] of burst.answers) assert.equal(issued.find((b) => b.bus_no === busNo)?.bill_no, r.body!.billNo);
  }
}

for (const kind of dbKinds()) {
  describe(`kill -9 right after S0000 loses nothing (${kind}, real medbill process)`, function () {
    this.timeout(120_000);
    let dir: string;
    let db: TestDb;
    let env: NodeJS.ProcessEnv;
    let current: Medbill | undefined;
    const bursts: Burst[] = [];

    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-crash-'));
      db = kind === 'sqlite' ? { url: `sqlite:${path.join(dir, 'db', 'medbill.sqlite')}`, drop: async () => undefined } : await freshDb(kind as DbKind, dir);
      env = medbillEnv(dir, db.url);
    });

    after(async () => {
      if (current && current.proc.exitCode === null && current.proc.signalCode === null) {
        current.proc.kill('SIGKILL');
        await current.exited;
      }
      await db?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('SIGKILL the instant the first S0000 arrives; after restart every S0000 busNo has its bill', async () => {
      current = await startMedbill(env);
      const b = await burstAndKill(current, Array.from({ length: 40 }, (_, i) => settlement('K1', i)), 1);
      assert.equal(b.signal, 'SIGKILL');
      bursts.push(b);
      current = await startMedbill(env);
      await checkAfterRestart(current, b);
    });

    it('SIGKILL in the middle of a burst; after restart the same holds', async () => {
      assert.ok(current, 'runs after the first case, on the same data');
      const b = await burstAndKill(current, Array.from({ length: 60 }, (_, i) => settlement('K2', i)), 20);
      assert.equal(b.signal, 'SIGKILL');
      bursts.push(b);
      current = await startMedbill(env);
      await checkAfterRestart(current, b);
    });

    it('the tables: no number twice, no gap, nothing left reserved, voids carry a reason, one bill per busNo', async () => {
      assert.equal(bursts.length, 2);
      current!.proc.kill('SIGTERM');
      assert.equal((await current!.exited).code, 0, 'a graceful stop exits 0');
      const knex =
        kind === 'sqlite'
          ? knexFactory({ client: 'better-sqlite3', connection: { filename: db.url.slice('sqlite:'.length) }, useNullAsDefault: true })
          : knexFactory({ client: 'mysql2', connection: db.url });
      try {
        await checkTables(knex, bursts);
      } finally {
        await knex.destroy();
      }
    });
  });
}
