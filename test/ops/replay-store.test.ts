/** The message store's side of replay and trace: the replay link, result filters and chains (SQLite and MariaDB). */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { messageId } from '../../src/domain/ids';
import { codesOfKind } from '../../src/engine/codes';
import { Db, dialectOf, migrate, openDb } from '../../src/store/db';
import { GroupCommit } from '../../src/store/group-commit';
import { MessageStore } from '../../src/store/messages';
import { SqlDb } from '../../src/store/sql';
import { dbKinds, freshDb, TestDb } from '../helpers/app';

for (const kind of dbKinds()) {
  describe(`message store: replay links, result filters, chains (${kind})`, function () {
    this.timeout(30_000);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-replay-store-'));
    let tdb: TestDb;
    let db: Db;
    let store: MessageStore;
    let t = Date.UTC(2026, 10, 25, 1, 0);
    const add = async (status: 'done' | 'failed' | 'rejected' | 'received', code?: string, replayOf?: string, busNo = 'B1') => {
      const id = messageId((t += 1000));
      await store.insert({ id, receivedAt: t, channel: 'his-json', serviceId: 'invoiceEBillOutpatient', raw: '{}', busNo, replayOf });
      if (status !== 'received') await store.finish(id, { status, errorCode: code });
      return id;
    };

    before(async () => {
      tdb = await freshDb(kind, dir);
      db = openDb(tdb.url);
      await migrate(db);
      store = new MessageStore(db, new GroupCommit(new SqlDb(db, dialectOf(tdb.url))));
    });
    after(async () => {
      await db?.destroy();
      await tdb?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a replay marks its original replayed (replayed_by) when it is stored, whatever it comes to', async () => {
      const a = await add('failed', 'E3001');
      const b = await add('received', undefined, a);
      const original = await store.get(a);
      assert.equal(original!.status, 'replayed');
      assert.equal(original!.replayed_by, b);
      assert.equal(original!.error_code, 'E3001');
      await store.finish(b, { status: 'failed', errorCode: 'E3001' });
      assert.deepEqual((await store.find({ busNo: 'B1', status: ['failed'] })).map((m) => m.id), [b]);
      // A crash while the replay ran: interrupted, the original still linked.
      const c = await add('received', undefined, b);
      assert.equal(await store.markInterrupted(), 1);
      assert.equal((await store.get(c))!.status, 'interrupted');
      assert.equal((await store.get(b))!.replayed_by, c);
    });

    it('code filters: faults, refusals, a code list, the default that leaves refusals out; counts by code', async () => {
      const q = { busNo: 'F1' };
      const ok = await add('done', undefined, undefined, 'F1');
      const fault = await add('failed', 'E3002', undefined, 'F1');
      const odd = await add('failed', 'E4711', undefined, 'F1');
      const refusal = await add('failed', 'E1001', undefined, 'F1');
      const rejected = await add('rejected', 'E0001', undefined, 'F1');
      const flight = await add('received', undefined, undefined, 'F1');
      await store.markInterrupted();
      const ids = async (codes: Parameters<MessageStore['find']>[0]['codes']) => (await store.find({ ...q, codes })).map((m) => m.id);
      const refusals = codesOfKind('refusal');
      assert.deepEqual(await ids({ notIn: [...refusals, 'S0000'], noCode: ['interrupted', 'received', 'processing'] }), [fault, odd, flight]);
      assert.deepEqual(await ids({ in: refusals }), [refusal, rejected]);
      assert.deepEqual(await ids({ in: ['E3002'] }), [fault]);
      assert.deepEqual(await ids({ notIn: refusals, noCode: 'any' }), [ok, fault, odd, flight]);
      assert.deepEqual(await store.countByCode({ ...q, codes: { in: refusals } }), [
        { code: 'E0001', n: 1 },
        { code: 'E1001', n: 1 },
      ]);
    });

    it('replayed messages are left out or the only ones; a chain is found from any of its messages, --again siblings included', async () => {
      const a = await add('failed', 'E3001', undefined, 'C1');
      const b = await add('failed', 'E3001', a, 'C1');
      const c = await add('done', undefined, b, 'C1');
      const again = await add('done', undefined, a, 'C1');
      const other = await add('failed', 'E3001', undefined, 'C1');
      assert.deepEqual((await store.find({ busNo: 'C1', replayed: 'exclude' })).map((m) => m.id), [c, again, other]);
      assert.deepEqual((await store.find({ busNo: 'C1', replayed: 'only' })).map((m) => m.id), [a, b]);
      for (const from of [a, b, c, again]) assert.deepEqual((await store.chainOf([from])).map((m) => m.id), [a, b, c, again], from);
      assert.deepEqual((await store.chainOf([other])).map((m) => m.id), [other]);
      assert.equal((await store.get(a))!.replayed_by, again, 'the latest replay');
      assert.equal(typeof (await store.chainOf([a]))[0].received_at, 'number');
    });
  });
}
