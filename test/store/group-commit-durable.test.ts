/**
 * The group commit answers nobody before the batch is durable: with a `durable` step (SQLite's WAL
 * fsync, db.ts) a unit resolves only after COMMIT and that step have both returned; work submitted
 * meanwhile goes into the next batch, so one fsync covers all of it; and a failing fsync fails every
 * unit of its batch — committed, but nobody is told "done". Real SQLite; the fsync is a stand-in the
 * test releases by hand, plus the real walFsync on a real file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, walFsync } from '../../src/store/db';
import { GroupCommit } from '../../src/store/group-commit';
import { SqlDb, type SqlTx } from '../../src/store/sql';

describe('group commit with a durability step (the WAL fsync off the event loop)', function () {
  this.timeout(20_000);
  let dir: string;
  let url: string;
  let db: ReturnType<typeof openDb>;
  let sql: SqlDb;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-gc-'));
    url = `sqlite:${path.join(dir, 'gc.sqlite')}`;
    db = openDb(url, { walSyncedByCaller: true });
    await db.schema.createTable('t', (t) => t.integer('n'));
    sql = new SqlDb(db, 'sqlite');
  });
  after(async () => {
    await db?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const insert = (n: number) => async (tx: SqlTx): Promise<number> => {
    await tx.run('INSERT INTO t (n) VALUES (?)', [n]);
    return n;
  };
  const count = async () => Number(((await db('t').count({ c: '*' })) as { c: number }[])[0].c);

  it('a unit resolves only after the fsync returns; what arrives meanwhile shares the next fsync', async () => {
    const pending: (() => void)[] = [];
    const fsyncs: number[] = [];
    const writer = new GroupCommit(sql, 256, () => new Promise<void>((r) => pending.push(() => (fsyncs.push(Date.now()), r()))));
    const resolved: number[] = [];
    const first = writer.run(insert(1)).then((n) => resolved.push(n));
    while (!pending.length) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await count(), 1, 'committed');
    assert.equal(resolved.length, 0, 'committed but not yet fsynced: not done');
    // Three more arrive while the fsync is in flight.
    const more = [2, 3, 4].map((n) => writer.run(insert(n)).then((x) => resolved.push(x)));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(resolved.length, 0);
    pending.shift()!();
    await first;
    assert.deepEqual(resolved, [1]);
    while (!pending.length) await new Promise((r) => setTimeout(r, 5));
    assert.equal(writer.batches, 1, 'the three waited for the first fsync');
    pending.shift()!();
    await Promise.all(more);
    assert.deepEqual(resolved.sort(), [1, 2, 3, 4]);
    assert.equal(writer.batches, 2, 'one fsync for the three');
    assert.equal(fsyncs.length, 2);
  });

  it('an fsync that fails fails every unit of its batch (committed, nobody told "done"); the next batch goes on', async () => {
    let fail = true;
    const writer = new GroupCommit(sql, 256, async () => {
      if (fail) throw new Error('EIO: fsync failed');
    });
    const before = await count();
    const results = await Promise.allSettled([writer.run(insert(10)), writer.run(insert(11))]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.match(String((results[0] as PromiseRejectedResult).reason), /EIO/);
    assert.equal(await count(), before + 2, 'the rows were committed; only the promise of durability failed');
    fail = false;
    assert.equal(await writer.run(insert(12)), 12);
  });

  it('walFsync syncs the -wal file of the database (and fails loudly when there is none)', async () => {
    await walFsync(url)();
    await assert.rejects(walFsync(`sqlite:${path.join(dir, 'missing.sqlite')}`)(), /ENOENT/);
  });
});
