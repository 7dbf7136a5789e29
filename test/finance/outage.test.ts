/**
 * An outage strands nothing (docs/architecture.md#invariants): the real finance simulator is stopped for longer
 * than the old policy's give-up time while the HIS keeps issuing bills, then started again on the same
 * port and data; every bill and every paper event reaches finance exactly once, as the simulator's own
 * upload and event records show.
 * Time is accelerated by configuration: the default policy's shape (doubling, capped) in milliseconds.
 * Real servers on sockets, medbill's own worker polling in the background.
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import type { FinanceSimulator } from '../../adapters/finance/simulator';
import type { App } from '../../src/app';
import { backoffDelay, retryPolicy } from '../../src/engine/retry';
import { callJson } from '../helpers/app';
import { financeJob, issueBill, Issued, metric, readyz, startMedbill, startSimulator, tempDir, waitFor } from './harness';

const RETRY = { initialInterval: '10ms', backoffCoefficient: 2, maximumInterval: '80ms', jitter: 0.2, horizon: '10m' };
/** The policy this replaced gave up after 8 attempts; its give-up time under these intervals, jitter at its longest (+20%). */
const OLD_MAX_ATTEMPTS = 8;
const OLD_GIVE_UP_MS = (() => {
  const p = retryPolicy(RETRY);
  let ms = 0;
  for (let n = 1; n < OLD_MAX_ATTEMPTS; n++) ms += backoffDelay(p, n, () => 0) * 1.2;
  return ms;
})();

describe('finance outage longer than the old give-up time (real simulator stopped and restarted)', function () {
  this.timeout(120_000);
  const dir = tempDir();
  let sim: FinanceSimulator | undefined;
  let app: (App & { baseUrl: string }) | undefined;

  after(async () => {
    await app?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function jobs(): Promise<{ bus_no: string; status: string; attempts: number; last_error: string | null }[]> {
    return app!.services.db('outbox').where({ topic: 'finance-upload' }).select('bus_no', 'status', 'attempts', 'last_error');
  }

  it('retries every job through the outage, then delivers each bill exactly once', async () => {
    sim = await startSimulator(dir);
    const port = sim.port;
    app = await startMedbill(dir, sim.url, { opts: { background: true }, config: { outbox: { pollMs: 10, retry: RETRY, monitor: { interval: '50ms' } } } });
    const before: Issued[] = [];
    for (let i = 0; i < 3; i++) before.push(await issueBill(app.baseUrl, `OUT-UP-${i}`));
    await waitFor('the first bills delivered', async () => (await jobs()).every((j) => j.status === 'done'));

    await sim.close();
    sim = undefined;
    const downAt = Date.now();
    const during: Issued[] = [];
    for (let i = 0; i < 12; i++) during.push(await issueBill(app.baseUrl, `OUT-DOWN-${i}`));
    // Paper conversions of bills finance already holds happen meanwhile too: their events wait in the outbox.
    const eventIds: string[] = [];
    for (const b of before.slice(0, 2)) {
      const next = await callJson(app.baseUrl, 'getPaperBillNo', { placeCode: 'MZSF01', pBillBatchCode: '' });
      const p = { pBillBatchCode: String(next.body!.pBillBatchCode), pBillNo: String(next.body!.pBillNo) };
      const r = await callJson(app.baseUrl, 'turnPaper', { billBatchCode: b.billBatchCode, billNo: b.billNo, ...p, busDateTime: '20261125093015123', placeCode: 'MZSF01', operator: '张三' });
      assert.equal(r.result, 'S0000', r.text);
      eventIds.push(`paper-convert:${b.billBatchCode}/${b.billNo}:${p.pBillBatchCode}/${p.pBillNo}`);
    }

    // Long past the old give-up: every job has been tried more often than the old limit allowed, and
    // none is dead.
    await waitFor(
      `every job past ${OLD_MAX_ATTEMPTS} attempts and ${Math.round(3 * OLD_GIVE_UP_MS)} ms of outage`,
      async () => {
        const waiting = (await jobs()).filter((j) => j.bus_no.startsWith('OUT-DOWN-'));
        const dead = waiting.filter((j) => j.status === 'dead');
        assert.deepEqual(dead, [], 'a transient outage dead-lettered jobs');
        return Date.now() - downAt > 3 * OLD_GIVE_UP_MS && waiting.every((j) => j.attempts > OLD_MAX_ATTEMPTS + 2);
      },
      30_000,
    );
    for (const j of (await jobs()).filter((x) => x.bus_no.startsWith('OUT-DOWN-'))) {
      assert.equal(j.status === 'pending' || j.status === 'running', true);
      assert.match(j.last_error ?? '', /^finance unreachable: ECONNREFUSED$/, 'the reason names the failure, not the address');
    }

    // What on-call staff see meanwhile: degraded (not down), the backlog, the last error.
    const r = await readyz(app.baseUrl);
    assert.equal(r.http, 200);
    assert.equal(r.body.status, 'degraded');
    assert.equal(r.body.checks.db, 'ok');
    assert.equal(r.body.peers.finance.status, 'down');
    assert.equal(r.body.peers.finance.pending, 12);
    assert.equal(r.body.peers.finance.dead, 0);
    assert.match(String(r.body.peers.finance.lastError), /ECONNREFUSED/);
    assert.match(String(r.body.peers.finance.lastErrorAt), /\+08:00$/);
    assert.doesNotMatch(JSON.stringify(r.body.peers), new RegExp(`127\\.0\\.0\\.1|:${port}\\b`), 'no internal address in /readyz');
    const m = await (await fetch(`${app.baseUrl}/metrics`)).text();
    assert.equal(metric(m, 'medbill_outbox_pending', { topic: 'finance-upload' }), 12);
    assert.equal(metric(m, 'medbill_outbox_dead', { topic: 'finance-upload' }), 0);
    assert.ok(metric(m, 'medbill_outbox_oldest_pending_age_seconds', { topic: 'finance-upload' })! >= 0);

    // Finance is back, on the same port and data.
    sim = await startSimulator(dir, port);
    await waitFor('the backlog delivered', async () => (await jobs()).every((j) => j.status === 'done'), 30_000);

    const uploads = await sim.uploads();
    const all = [...before, ...during];
    for (const b of all) {
      const seen = uploads.filter((u) => u.bill_batch_code === b.billBatchCode && u.bill_no === b.billNo);
      assert.deepEqual(
        seen.map((u) => u.outcome),
        ['accepted'],
        `${b.busNo} (${b.billNo}) reached finance exactly once`,
      );
    }
    assert.equal(uploads.length, all.length, 'no other upload reached finance');
    await waitFor('the paper events delivered', async () => Number((await app!.services.db('outbox').where({ topic: 'finance-event', status: 'done' }).count({ n: '*' }))[0].n) === eventIds.length, 10_000);
    const receipts = await sim.eventReceipts();
    for (const id of eventIds) assert.deepEqual(receipts.filter((r) => r.event_id === id).map((r) => r.outcome), ['accepted'], `${id} reached finance exactly once`);
    assert.equal(receipts.length, eventIds.length, 'no other event reached finance');
    const bills = await app.services.db('bills').whereIn('bus_no', all.map((b) => b.busNo)).select('finance_state', 'supervisor_signature');
    assert.equal(bills.length, all.length);
    assert.ok(bills.every((b: { finance_state: string; supervisor_signature: string | null }) => b.finance_state === 'uploaded' && !!b.supervisor_signature));
    assert.equal((await financeJob(app, 'OUT-DOWN-0')).status, 'done');

    await waitFor('/readyz ready again', async () => (await readyz(app!.baseUrl)).body.status === 'ready', 5_000);
    const after = await (await fetch(`${app.baseUrl}/metrics`)).text();
    assert.equal(metric(after, 'medbill_outbox_pending', { topic: 'finance-upload' }), 0);
    assert.equal(metric(after, 'medbill_outbox_oldest_pending_age_seconds', { topic: 'finance-upload' }), 0);
  });
});
