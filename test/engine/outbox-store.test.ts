/**
 * The outbox table and worker on every database in use (SQLite, and MariaDB when
 * MEDBILL_TEST_MYSQL_URL is set): retries to the horizon, dead letters with their time, the backlog
 * counts behind the gauges, the latest failure behind /readyz, requeue and discard. Real store, real
 * worker; the job handlers are the test's own (a topic that fails on demand), not a peer.
 */
import { strict as assert } from 'node:assert';
import { OutboxWorker, PermanentJobError } from '../../src/engine/outbox';
import { retryPolicy } from '../../src/engine/retry';
import { OutboxStore } from '../../src/store/outbox';
import { dbKinds, startTestApp, TestApp } from '../helpers/app';

const POLICY = retryPolicy({ initialInterval: '20ms', backoffCoefficient: 2, maximumInterval: '40ms', jitter: 0, horizon: '600ms' });

for (const db of dbKinds()) {
  describe(`outbox store and worker (${db})`, function () {
    this.timeout(60_000);
    let app: TestApp;
    let store: OutboxStore;
    /** what the test's topics do on the next attempt */
    const behaviour: Record<string, 'ok' | 'transient' | 'permanent'> = { 'topic-a': 'transient', 'topic-b': 'permanent' };
    let worker: OutboxWorker;

    async function enqueue(topic: string, key: string, createdAt = Date.now()): Promise<number> {
      const [id] = await app.services.db('outbox').insert({
        topic, job_key: key, payload: JSON.stringify({ key }), status: 'pending', attempts: 0, max_attempts: 0,
        next_attempt_at: createdAt, horizon_start: createdAt, bus_no: `BUS-${key}`, message_id: `MSG-${key}`, created_at: createdAt, updated_at: createdAt,
      });
      return Number(id);
    }
    async function runUntilSettled(): Promise<void> {
      for (let i = 0; i < 50; i++) {
        const open = await app.services.db('outbox').whereIn('status', ['pending', 'running']).whereIn('topic', Object.keys(behaviour)).count({ n: '*' });
        if (Number(open[0].n) === 0) return;
        await new Promise((r) => setTimeout(r, 25));
        await worker.tick();
      }
    }

    before(async () => {
      app = await startTestApp({ db });
      store = new OutboxStore(app.services.db);
      const handler = (topic: string) => async () => {
        const b = behaviour[topic];
        if (b === 'transient') throw new Error(`${topic} peer unreachable`);
        if (b === 'permanent') throw new PermanentJobError(`${topic} refused`);
      };
      worker = new OutboxWorker(app.services.db, new Map(Object.keys(behaviour).map((t) => [t, handler(t)])), POLICY, 10, 50);
    });
    after(async () => app?.stop());

    it('counts undelivered (pending, running) and dead jobs per topic, with the oldest undelivered; done ones do not count', async () => {
      const old = Date.now() - 60_000;
      const done = await enqueue('topic-a', 'a0', old - 1000);
      await store.markDone(done, 1);
      await enqueue('topic-a', 'a1', old);
      await enqueue('topic-a', 'a2');
      await enqueue('topic-b', 'b1');
      await app.services.db('outbox').where({ job_key: 'a2' }).update({ status: 'running' });
      const backlog = new Map((await store.backlog()).map((b) => [b.topic, b]));
      assert.deepEqual(backlog.get('topic-a'), { topic: 'topic-a', pending: 2, dead: 0, oldestPendingAt: old });
      assert.equal(backlog.get('topic-b')!.pending, 1);
      await store.resetRunning();
    });

    it('delivers up to `concurrency` jobs of one round at once, each exactly once', async () => {
      let inFlight = 0;
      let most = 0;
      const seen: string[] = [];
      const slow = async (payload: unknown) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 30));
        seen.push((payload as { key: string }).key);
        inFlight--;
      };
      const parallel = new OutboxWorker(app.services.db, new Map([['topic-slow', slow]]), POLICY, 10, 50, 3);
      for (let i = 0; i < 7; i++) await enqueue('topic-slow', `s${i}`);
      assert.equal(await parallel.tick(), 7);
      assert.equal(most, 3, 'three lanes, never more');
      assert.deepEqual([...seen].sort(), ['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
      const open = await app.services.db('outbox').where('topic', 'topic-slow').whereNot('status', 'done').count({ n: '*' });
      assert.equal(Number(open[0].n), 0);
    });

    it('retries a transient failure until the horizon, then dead-letters it with the time and reason; a permanent one at once', async () => {
      await app.services.db('outbox').where({ job_key: 'a2' }).update({ horizon_start: Date.now() });
      await runUntilSettled();
      const a1 = (await app.services.db('outbox').where({ job_key: 'a1' }).first()) as { id: number };
      const dead = await store.get(Number(a1.id));
      assert.equal(dead!.status, 'dead');
      assert.match(dead!.last_error!, /^gave up: retry horizon of 600ms passed \(1 attempts since .*\+08:00\): topic-a peer unreachable$/, 'enqueued a minute ago: its horizon was over at the first failure');
      const a2 = (await store.deadLetters({ topic: 'topic-a' })).find((j) => j.job_key === 'a2')!;
      assert.ok(a2.attempts >= 3, `a2 was retried inside its horizon (${a2.attempts} attempts)`);
      assert.ok(a2.dead_at! - a2.horizon_start! >= 600);
      const b1 = (await store.deadLetters({ topic: 'topic-b' }))[0];
      assert.deepEqual([b1.attempts, b1.last_error], [1, 'permanent: topic-b refused']);

      const backlog = new Map((await store.backlog()).map((b) => [b.topic, b]));
      assert.deepEqual([backlog.get('topic-a')!.pending, backlog.get('topic-a')!.dead, backlog.get('topic-a')!.oldestPendingAt], [0, 2, null]);
    });

    it('dead-letters a payload that is not JSON at once: a retry cannot fix it', async () => {
      const id = await enqueue('topic-a', 'corrupt');
      await app.services.db('outbox').where({ id }).update({ payload: '{"billId":' });
      await worker.tick();
      const j = (await store.get(id))!;
      assert.equal(j.status, 'dead');
      assert.equal(j.attempts, 1);
      assert.match(j.last_error!, /^permanent: payload is not JSON/);
      assert.equal(await store.discard(id, 'test: corrupt payload'), true);
    });

    it('lists dead letters by topic and since, oldest first', async () => {
      const all = await store.deadLetters();
      assert.deepEqual(all.map((j) => j.job_key).filter((k) => ['a1', 'a2', 'b1'].includes(k)).sort(), ['a1', 'a2', 'b1']);
      assert.ok(all.every((j, i) => i === 0 || j.dead_at! >= all[i - 1].dead_at!));
      assert.deepEqual(await store.deadLetters({ since: Date.now() + 1000 }), []);
      assert.equal((await store.deadLetters({ topic: 'topic-b', since: 0 })).length, 1);
    });

    it('latest failure: the newest job still waiting for a retry', async () => {
      behaviour['topic-a'] = 'transient';
      const id = await enqueue('topic-a', 'a3');
      await worker.tick();
      const f = await store.latestFailure('topic-a');
      assert.equal(f?.error, 'topic-a peer unreachable');
      assert.equal(await store.latestFailure('topic-b'), undefined);
      behaviour['topic-a'] = 'ok';
      await runUntilSettled();
      assert.equal((await store.get(id))!.status, 'done');
      assert.equal(await store.latestFailure('topic-a'), undefined);
      assert.ok(worker.lastDeliveredAt('topic-a')! > 0);
    });

    it('requeue gives a fresh horizon and a new count; discard keeps the row and the last error', async () => {
      const [a1, a2] = (await store.deadLetters({ topic: 'topic-a' })).map((j) => j.id);
      const b1 = (await store.deadLetters({ topic: 'topic-b' }))[0].id;
      assert.equal(await store.discard(b1, '财政已手工补录'), true);
      assert.equal(await store.discard(b1, 'twice'), false, 'only a dead letter can be discarded');
      const kept = (await store.get(b1))!;
      assert.deepEqual([kept.status, kept.discard_reason, kept.last_error], ['discarded', '财政已手工补录', 'permanent: topic-b refused']);
      assert.ok(kept.discarded_at! > 0);

      const before = Date.now();
      assert.equal(await store.requeue({ ids: [a1, b1] }), 1, 'the discarded one is not requeued');
      const r = (await store.get(a1))!;
      assert.deepEqual([r.status, r.attempts, r.last_error, r.dead_at], ['pending', 0, null, null]);
      assert.ok(r.horizon_start! >= before && r.next_attempt_at <= Date.now());
      assert.equal(await store.requeue({ topic: 'topic-b' }), 0);
      assert.equal(await store.requeue({ all: true }), 1, 'a2');
      await runUntilSettled();
      assert.deepEqual([(await store.get(a1))!.status, (await store.get(a2))!.status, (await store.get(b1))!.status], ['done', 'done', 'discarded']);
    });
  });
}
