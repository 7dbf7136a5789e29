/**
 * DESIGN §5.1 across processes: three real `medbill start` processes on one MariaDB issue concurrently
 * from the same place's ranges (shared stock) while one of them is killed -9 mid-burst and restarted;
 * the HIS retries what got no answer. Then the ledger walk over the database: no number twice, every
 * number of every range in exactly one state, nothing left reserved, every S0000 still true.
 * MariaDB only (several nodes on one SQLite file is not a supported set-up): runs when
 * MEDBILL_TEST_MYSQL_URL is set, as in CI.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { callJson, freshDb, Reply, TestDb } from '../helpers/app';
import { runCli } from '../helpers/cli';
import { walkLedger } from '../helpers/stock-ledger';
import { Json, Medbill, medbillEnv, sample, startMedbill, stopMedbill } from '../his/his-helpers';

const PLACE = 'P-SHARED';

(process.env.MEDBILL_TEST_MYSQL_URL ? describe : describe.skip)('stock across three medbill processes on one MariaDB, one killed -9 and restarted', function () {
  this.timeout(240_000);
  let root: string;
  let db: TestDb;
  const envs: NodeJS.ProcessEnv[] = [];
  const nodes: (Medbill | undefined)[] = [];

  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medbill-stock-mp-'));
    db = await freshDb('mysql', root);
    for (let i = 0; i < 3; i++) {
      const dir = path.join(root, `node-${i}`);
      mkdirSync(dir);
      const env = medbillEnv(dir, db.url);
      // Several nodes on one database: start-up recovery leaves the other nodes' fresh reservations alone.
      appendFileSync(String(env.MEDBILL_CONFIG), 'recovery: { startupMinAgeMs: 60000 }\n');
      envs.push(env);
    }
    // The administrator loads the shared stock with the CLI: three ranges of one code for one place.
    const cli = async (...args: string[]) => {
      const r = await runCli(['stock', ...args], envs[0]);
      assert.equal(r.code, 0, `medbill stock ${args.join(' ')}: ${r.stderr}`);
    };
    await cli('place', 'add', PLACE, '--name', '共享窗口', '--type', 'window');
    await cli('receive', '--kind', 'outpatient', '--code', '44060128', '--from', '0000000001', '--to', '0000000400');
    await cli('distribute', '--place', PLACE, '--code', '44060128', '--from', '0000000001', '--to', '0000000060');
    await cli('distribute', '--place', PLACE, '--code', '44060128', '--from', '0000000061', '--to', '0000000150');
    await cli('distribute', '--place', PLACE, '--code', '44060128', '--from', '0000000151', '--to', '0000000400');
    // One after the other: the first start seeds the demo stock, the others find it.
    for (let i = 0; i < 3; i++) nodes.push(await startMedbill(envs[i]));
  });

  after(async () => {
    for (const n of nodes) {
      if (n && n.proc.exitCode === null && n.proc.signalCode === null) {
        n.proc.kill('SIGKILL');
        await n.exited;
      }
    }
    await db?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('concurrent issuance from shared ranges with a kill -9: no number twice, none unaccounted for', async () => {
    const payload = (i: number): Json => {
      const p = sample(`MP-${String(i).padStart(3, '0')}`);
      p.placeCode = PLACE;
      return p;
    };
    const payloads = Array.from({ length: 240 }, (_, i) => payload(i));
    const answers = new Map<string, Reply>();
    let okOnVictim = 0;
    const victim = nodes[1]!;
    await Promise.all(
      payloads.map((p, i) => {
        const node = nodes[i % 3]!;
        return callJson(node.baseUrl, 'invoiceEBillOutpatient', p).then(
          (r) => {
            answers.set(String(p.busNo), r);
            if (node === victim && r.result === 'S0000' && ++okOnVictim === 20) victim.proc.kill('SIGKILL');
          },
          () => undefined, // the victim's connections die with it: no answer, no promise made
        );
      }),
    );
    assert.equal((await victim.exited).signal, 'SIGKILL', 'the victim was killed mid-burst');
    assert.deepEqual([...answers.values()].filter((r) => r.result !== 'S0000').map((r) => `${r.result} ${r.text}`), [], 'every answer that arrived was S0000');
    const unanswered = payloads.filter((p) => !answers.has(String(p.busNo)));
    assert.ok(unanswered.length > 0, 'the kill left requests without an answer');

    nodes[1] = await startMedbill(envs[1]);
    // The HIS retries what got no answer, on any node: each ends with one bill (resumed or fresh).
    const retried = await Promise.all(unanswered.map((p, i) => callJson(nodes[i % 3]!.baseUrl, 'invoiceEBillOutpatient', p)));
    for (const r of retried) assert.equal(r.result, 'S0000', r.text);
    unanswered.forEach((p, i) => answers.set(String(p.busNo), retried[i]));
    for (const n of nodes) await stopMedbill(n);

    const knex = knexFactory({ client: 'mysql2', connection: db.url });
    try {
      const walk = await walkLedger(knex);
      assert.deepEqual(walk.problems, []);
      assert.equal(walk.counts.reserved, 0, 'nothing left reserved');
      const issued = (await knex('bills').where({ bill_batch_code: '44060128', state: 'issued' }).select('bus_no', 'bill_no')) as { bus_no: string; bill_no: string }[];
      assert.equal(issued.length, 240, 'one bill per busNo');
      for (const [busNo, r] of answers) assert.equal(issued.find((b) => b.bus_no === busNo)?.bill_no, r.body!.billNo, `${busNo}: the answered number is the stored one`);
      const voided = await knex('bills').where({ bill_batch_code: '44060128', state: 'voided' }).count({ n: '*' });
      // Numbers only ever move forward: 240 bills plus any voided reservation, all below the unused tail.
      const unused = await knex('stock_ranges').where({ place_code: PLACE, state: 'active' }).min({ n: 'next_no' });
      assert.equal(Number(unused[0].n), 241 + Number(voided[0].n), 'the unused numbers start right after the used ones');
    } finally {
      await knex.destroy();
    }
  });
});
