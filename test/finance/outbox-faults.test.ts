/**
 * What the outbox promises under faults, medbill against the real finance simulator (or a closed port
 * where finance is down): a transient failure is retried up to the horizon and then dead-lettered with
 * a reason saying so; a refusal is dead at once; the backlog and the dead letters show as gauges and
 * as one alert line per edge; /readyz says "degraded" with finance's detail while finance is down.
 */
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { App } from '../../src/app';
import { log } from '../../src/log';
import { OutboxStore } from '../../src/store/outbox';
import { financeJob, issueBill, metric, readyz, startMedbill, startSimulator, suiteResources, tickWhenDue } from './harness';

type TestApp = App & { baseUrl: string };

type LogLine = { level: string; message: string; [k: string]: unknown };

/** Log lines from now on, parsed (the logger writes JSON lines), appended to `lines`. */
function captureLog(lines: LogLine[] = []): { lines: LogLine[]; stop(): void } {
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as LogLine);
      cb();
    },
  });
  const t = new winston.transports.Stream({ stream });
  // The test apps log errors only; the alert edges are warn and info lines.
  const level = log().level;
  log().level = 'info';
  log().add(t);
  return {
    lines,
    stop: () => {
      log().remove(t);
      log().level = level;
    },
  };
}

async function scrape(app: TestApp): Promise<string> {
  return (await fetch(`${app.baseUrl}/metrics`)).text();
}

describe('outbox under faults (finance simulator, or a closed port for finance down)', function () {
  this.timeout(60_000);
  const suite = suiteResources();
  const { dir, sim } = suite;
  const medbill = (d: string, url: string, config: Record<string, unknown> = {}): Promise<TestApp> => suite.medbill(d, url, { config });
  /** A port where finance would listen, closed: finance is down. */
  async function downPort(d: string): Promise<number> {
    const probe = await startSimulator(d);
    await probe.close();
    return probe.port;
  }
  after(() => suite.cleanup());

  it('dead-letters a transient failure once the horizon has passed, with a reason saying so', async () => {
    const d = dir();
    const app = await medbill(d, `http://127.0.0.1:${await downPort(d)}`, { outbox: { retry: { horizon: '400ms' } } });
    const issued = await issueBill(app.baseUrl, 'FLT-HOR-1');
    for (let i = 0; i < 20 && (await financeJob(app, 'FLT-HOR-1')).status !== 'dead'; i++) await tickWhenDue(app, 'FLT-HOR-1');

    const job = (await new OutboxStore(app.services.db).get((await financeJob(app, 'FLT-HOR-1')).id))!;
    assert.equal(job.status, 'dead');
    assert.ok(job.attempts >= 3, `retried before giving up (${job.attempts} attempts)`);
    assert.match(job.last_error ?? '', /^gave up: retry horizon of 400ms passed \(\d+ attempts since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\): finance unreachable: ECONNREFUSED$/);
    const lived = job.dead_at! - job.horizon_start!;
    // The last retry is pulled in to the horizon: dead at it, not one backoff interval (300 ms here) later.
    assert.ok(lived >= 400 && lived < 400 + 250, `dead ${lived} ms after enqueue (horizon 400 ms)`);
    const bill = await app.services.db('bills').where({ bill_no: issued.billNo }).first();
    assert.equal(bill.finance_state, null, 'an outage is not a refusal: the bill is not marked rejected');
    assert.equal(metric(await scrape(app), 'medbill_outbox_dead', { topic: 'finance-upload' }), 1);
  });

  it('keeps retrying a transient failure inside the horizon, however many attempts', async () => {
    const d = dir();
    const app = await medbill(d, `http://127.0.0.1:${await downPort(d)}`, { outbox: { retry: { initialInterval: '5ms', maximumInterval: '5ms', horizon: '1h' } } });
    await issueBill(app.baseUrl, 'FLT-MANY-1');
    for (let i = 0; i < 12; i++) await tickWhenDue(app, 'FLT-MANY-1');
    const job = await financeJob(app, 'FLT-MANY-1');
    assert.equal(job.status, 'pending');
    assert.equal(job.attempts, 12, 'more than the 8 attempts the old policy allowed');
    assert.ok(job.next_attempt_at - job.updated_at <= 5, 'backoff capped at maximumInterval');
  });

  it('dead-letters a refusal at its last attempt (finance.refusalAttempts 1: at once) even with days of horizon left, and counts it in the dead gauge', async () => {
    // A finance simulator with its own demo PKI does not trust this hospital's CA: 422 unit-cert-untrusted.
    const s = await sim(dir());
    const app = await medbill(dir(), s.url, { outbox: { retry: { horizon: '7d' } }, finance: { refusalAttempts: 1 } });
    await issueBill(app.baseUrl, 'FLT-REF-1');
    assert.equal(metric(await scrape(app), 'medbill_outbox_pending', { topic: 'finance-upload' }), 1);
    assert.equal(await app.outbox.tick(), 1);
    const job = await financeJob(app, 'FLT-REF-1');
    assert.equal(job.status, 'dead');
    assert.equal(job.attempts, 1);
    assert.match(job.last_error ?? '', /^permanent: finance refused \(HTTP 422 unit-cert-untrusted\)/);
    const m = await scrape(app);
    assert.equal(metric(m, 'medbill_outbox_dead', { topic: 'finance-upload' }), 1);
    assert.equal(metric(m, 'medbill_outbox_pending', { topic: 'finance-upload' }), 0);
    assert.equal(metric(m, 'medbill_outbox_attempts_total', { topic: 'finance-upload', outcome: 'dead' })! >= 1, true);
    const r = await readyz(app.baseUrl);
    assert.equal(r.body.peers.finance.status, 'ok', 'a refusal means finance answered: it is up');
    assert.equal(r.body.peers.finance.dead, 1);
  });

  it('shows the backlog as gauges: undelivered count and the age of the oldest', async () => {
    const d = dir();
    const app = await medbill(d, `http://127.0.0.1:${await downPort(d)}`);
    await issueBill(app.baseUrl, 'FLT-GAUGE-1');
    await issueBill(app.baseUrl, 'FLT-GAUGE-2');
    await app.outbox.tick();
    await new Promise((r) => setTimeout(r, 1100));
    const m = await scrape(app);
    assert.equal(metric(m, 'medbill_outbox_pending', { topic: 'finance-upload' }), 2);
    assert.equal(metric(m, 'medbill_outbox_dead', { topic: 'finance-upload' }), 0);
    assert.ok(metric(m, 'medbill_outbox_oldest_pending_age_seconds', { topic: 'finance-upload' })! >= 1);
    assert.equal(metric(m, 'medbill_outbox_attempts_total', { topic: 'finance-upload', outcome: 'retry' })! >= 2, true);
  });

  it('logs one alert line per edge: dead letters appear and clear, the backlog crosses its threshold and clears', async () => {
    const d = dir();
    const port = await downPort(d);
    const app = await medbill(d, `http://127.0.0.1:${port}`, { outbox: { monitor: { backlogPending: 2, backlogAge: '1h' } } });
    let cap = captureLog();
    try {
      const alerts = () => cap.lines.filter((l) => l.message.startsWith('outbox alert'));
      const refresh = async (n = 3) => {
        for (let i = 0; i < n; i++) await app.outboxMonitor.refresh();
      };
      await issueBill(app.baseUrl, 'FLT-ALERT-1');
      await refresh();
      assert.deepEqual(alerts(), [], 'one waiting job is under the threshold');
      await issueBill(app.baseUrl, 'FLT-ALERT-2');
      await refresh();
      assert.deepEqual(alerts().map((l) => [l.level, l.message, l.pending]), [['warn', 'outbox alert: backlog over threshold', 2]]);

      // A job that names no bill is dead at once.
      const now = Date.now();
      await app.services.db('outbox').insert({
        topic: 'finance-upload', job_key: 'bogus', payload: JSON.stringify({ billId: 999, billBatchCode: '44060126', billNo: '0000000999' }),
        status: 'pending', attempts: 0, max_attempts: 0, next_attempt_at: now, horizon_start: now, bus_no: 'FLT-ALERT-BOGUS', created_at: now, updated_at: now,
      });
      await app.outbox.tick();
      await refresh();
      const dead = alerts().filter((l) => l.message.includes('dead letters'));
      assert.deepEqual(dead.map((l) => [l.level, l.message, l.topic, l.dead]), [['error', 'outbox alert: dead letters present', 'finance-upload', 1]]);

      assert.equal(await new OutboxStore(app.services.db).discard((await financeJob(app, 'FLT-ALERT-BOGUS')).id, 'test: no such bill'), true);
      await refresh();
      assert.deepEqual(alerts().filter((l) => l.message.includes('dead letters')).map((l) => l.message), ['outbox alert: dead letters present', 'outbox alert cleared: no dead letters']);

      await sim(d, port);
      // Starting the simulator reconfigured the process's logger: listen on the new one.
      cap.stop();
      cap = captureLog(cap.lines);
      await tickWhenDue(app, 'FLT-ALERT-1');
      await tickWhenDue(app, 'FLT-ALERT-2');
      await refresh();
      assert.deepEqual(alerts().filter((l) => l.message.includes('backlog')).map((l) => [l.level, l.message]), [
        ['warn', 'outbox alert: backlog over threshold'],
        ['info', 'outbox alert cleared: backlog under threshold'],
      ]);
      assert.equal(alerts().length, 4, 'no line per poll');
    } finally {
      cap.stop();
    }
  });

  it('/readyz: 200 degraded with finance detail while finance is down, ready again once a delivery succeeds', async () => {
    const d = dir();
    const port = await downPort(d);
    const app = await medbill(d, `http://127.0.0.1:${port}`);
    let r = await readyz(app.baseUrl);
    assert.deepEqual([r.http, r.body.status, r.body.peers.finance.status], [200, 'ready', 'ok']);
    assert.equal(r.body.peers.ca, undefined, 'the in-process signer has no signature server to report');

    await issueBill(app.baseUrl, 'FLT-READY-1');
    await app.outbox.tick();
    r = await readyz(app.baseUrl);
    assert.equal(r.http, 200);
    assert.equal(r.body.status, 'degraded');
    const f = r.body.peers.finance;
    assert.equal(f.status, 'down');
    assert.equal(f.pending, 1);
    assert.equal(f.lastError, 'finance unreachable: ECONNREFUSED');
    assert.match(String(f.lastErrorAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);

    await sim(d, port);
    await tickWhenDue(app, 'FLT-READY-1');
    r = await readyz(app.baseUrl);
    assert.deepEqual([r.http, r.body.status, r.body.peers.finance.status, r.body.peers.finance.pending], [200, 'ready', 'ok', 0]);
    assert.match(String(r.body.peers.finance.lastDeliveredAt), /\+08:00$/);
  });

  it('/readyz: 503 not-ready when the database does not answer, whatever the peers', async () => {
    const d = dir();
    const app = await startMedbill(d, `http://127.0.0.1:${await downPort(d)}`);
    await app.services.db.destroy();
    const r = await readyz(app.baseUrl);
    assert.equal(r.http, 503);
    assert.equal(r.body.status, 'not-ready');
    assert.notEqual(r.body.checks.db, 'ok');
    await app.close().catch(() => undefined);
  });
});
