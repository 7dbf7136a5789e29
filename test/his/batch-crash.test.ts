/**
 * A batch survives kill -9 half-way: a real `node bin/medbill.js start` child accepts a batch of 200,
 * is SIGKILLed while its outbox is issuing the items, and is restarted on the same data dir and
 * database. Every item must end issued (status 1, exactly one bill for its busNo) or refused (status 2)
 * exactly once, the bills issued before the kill keep their numbers, and no number is taken twice or
 * left reserved. Needs the compiled dist, as bin/medbill.js does.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { callJson, dbKinds, DbKind, freshDb, TestDb } from '../helpers/app';
import { Json, Medbill, medbillEnv, sample, startMedbill, stopMedbill } from './his-helpers';

const ITEMS = 200;
const REFUSED = new Set([17, 101, 188]); // items without a payer: refused, not retried

async function statuses(m: Medbill, batchNo: string): Promise<Json[]> {
  const r = await callJson(m.baseUrl, 'getBatchInvoiceEBill', { batchNo });
  assert.equal(r.result, 'S0000', r.text);
  return r.body!.eBillList as Json[];
}

for (const kind of dbKinds()) {
  describe(`a batch survives kill -9 half-way (${kind}, real medbill process)`, function () {
    this.timeout(180_000);
    let dir: string;
    let db: TestDb;
    let env: NodeJS.ProcessEnv;
    let current: Medbill | undefined;

    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-batch-crash-'));
      db = kind === 'sqlite' ? { url: `sqlite:${path.join(dir, 'db', 'medbill.sqlite')}`, drop: async () => undefined } : await freshDb(kind as DbKind, dir);
      env = medbillEnv(dir, db.url);
      // poll the outbox often, so the batch is being issued when the kill comes
      appendFileSync(env.MEDBILL_CONFIG!, 'outbox: { pollMs: 20 }\n');
    });

    after(async () => {
      if (current && current.proc.exitCode === null && current.proc.signalCode === null) {
        current.proc.kill('SIGKILL');
        await current.exited;
      }
      await db?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('kill -9 while items are being issued; after restart every item ends issued or refused once, with one bill per busNo', async () => {
      const batchNo = `KB-${process.pid}-${Date.now()}`;
      const items: Json[] = Array.from({ length: ITEMS }, (_, i) => {
        const s = sample(`${batchNo}-${String(i).padStart(3, '0')}`);
        if (REFUSED.has(i)) s.payer = '';
        return s;
      });
      current = await startMedbill(env);
      const accepted = await callJson(current.baseUrl, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: items });
      assert.equal(accepted.result, 'S0000', accepted.text);

      // Half-way: some items issued, some not yet — then SIGKILL.
      let before: Json[] = [];
      for (;;) {
        before = await statuses(current, batchNo);
        const done = before.filter((i) => i.status !== 0).length;
        if (done >= 30) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      current.proc.kill('SIGKILL');
      assert.equal((await current.exited).signal, 'SIGKILL');
      const pendingAtKill = before.filter((i) => i.status === 0).length;
      assert.ok(pendingAtKill > 0, 'the kill came before the batch was done (else this test proves nothing)');

      current = await startMedbill(env);
      const until = Date.now() + 120_000;
      let after: Json[] = [];
      for (;;) {
        after = await statuses(current, batchNo);
        if (after.every((i) => i.status !== 0)) break;
        assert.ok(Date.now() < until, `still not generated after restart: ${after.filter((i) => i.status === 0).length}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(after.length, ITEMS);
      after.forEach((it, i) => {
        assert.equal(it.busNo, items[i].busNo, 'reported in the order sent');
        if (REFUSED.has(i)) {
          assert.equal(it.status, 2, `item ${i}`);
          assert.match(String(it.errMsg), /payer（患者姓名）/);
        } else assert.equal(it.status, 1, `item ${i}: ${String(it.errMsg)}`);
      });
      // what was reported issued before the kill is the same bill after it
      for (const b of before.filter((i) => i.status === 1)) {
        const a = after.find((i) => i.busNo === b.busNo)!;
        for (const k of ['billBatchCode', 'billNo', 'random', 'createTime']) assert.equal(a[k], b[k], `${String(b.busNo)}: ${k}`);
      }
      await stopMedbill(current);

      const knex: Knex =
        kind === 'sqlite'
          ? knexFactory({ client: 'better-sqlite3', connection: { filename: db.url.slice('sqlite:'.length) }, useNullAsDefault: true })
          : knexFactory({ client: 'mysql2', connection: db.url });
      try {
        const bills = (await knex('bills').select('bill_no', 'state', 'bus_no', 'batch_no')) as { bill_no: string; state: string; bus_no: string | null; batch_no: string | null }[];
        assert.equal(new Set(bills.map((b) => b.bill_no)).size, bills.length, 'a number has two rows');
        assert.deepEqual(bills.filter((b) => b.state === 'reserved'), [], 'nothing left reserved');
        const issued = bills.filter((b) => b.state === 'issued');
        for (let i = 0; i < ITEMS; i++) {
          const mine = issued.filter((b) => b.bus_no === items[i].busNo);
          assert.equal(mine.length, REFUSED.has(i) ? 0 : 1, `busNo ${String(items[i].busNo)}: ${mine.length} bills`);
          if (mine[0]) assert.equal(mine[0].batch_no, batchNo);
          const reported = after[i].billNo;
          if (mine[0]) assert.equal(mine[0].bill_no, reported);
        }
        const rows = (await knex('batch_items').select('status', 'bill_id', 'err_msg')) as { status: number; bill_id: number | null; err_msg: string | null }[];
        assert.equal(rows.length, ITEMS);
        assert.equal(rows.filter((r) => Number(r.status) === 1 && r.bill_id).length, ITEMS - REFUSED.size);
        assert.equal(rows.filter((r) => Number(r.status) === 2 && r.err_msg).length, REFUSED.size);
        const jobs = (await knex('outbox').where('topic', 'batch-issue').select('status')) as { status: string }[];
        assert.equal(jobs.length, ITEMS, 'one job per item');
        assert.deepEqual([...new Set(jobs.map((j) => j.status))], ['done'], 'every item job delivered');
      } finally {
        await knex.destroy();
      }
    });
  });
}
