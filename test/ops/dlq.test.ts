/**
 * `medbill dlq`, run as on-call staff run it: the real binary against the data dir of a running
 * medbill whose finance was down past the retry horizon. Requeued jobs are delivered to the real
 * finance simulator (once back) by that medbill's worker; discarded ones stay in the table.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FinanceSimulator } from '../../adapters/finance/simulator';
import type { App } from '../../src/app';
import { OutboxStore } from '../../src/store/outbox';
import { financeJob, issueBill, Issued, startMedbill, startSimulator, tempDir, tickWhenDue } from '../finance/harness';

const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'medbill.js');

describe('medbill dlq list | show | requeue | discard (the real CLI)', function () {
  this.timeout(90_000);
  const dir = tempDir();
  let app: App & { baseUrl: string };
  let sim: FinanceSimulator | undefined;
  let port: number;
  let env: NodeJS.ProcessEnv;
  const bills: Issued[] = [];
  const ids: Record<string, number> = {};

  function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, 'dlq', ...args], { env }, (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  before(async () => {
    const probe = await startSimulator(dir);
    port = probe.port;
    await probe.close();
    app = await startMedbill(dir, `http://127.0.0.1:${port}`, { config: { outbox: { retry: { horizon: '300ms' } } } });
    for (const busNo of ['DLQ-A', 'DLQ-B', 'DLQ-C']) {
      bills.push(await issueBill(app.baseUrl, busNo));
      for (let i = 0; i < 20 && (await financeJob(app, busNo)).status !== 'dead'; i++) await tickWhenDue(app, busNo);
      ids[busNo] = (await financeJob(app, busNo)).id;
    }
    const cfgFile = path.join(dir, 'cli.yaml');
    writeFileSync(cfgFile, 'svs: { start: false }\nfinance: { start: false }\n');
    env = { ...process.env, MEDBILL_CONFIG: cfgFile, MEDBILL_DATA_DIR: dir, MEDBILL_LOG_DIR: '', MEDBILL_QUIET: '1' };
  });
  after(async () => {
    await app?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('list: every dead letter with its time in Beijing time, busNo, msgId and reason', async () => {
    // Listing reads only: the two listings run side by side.
    const [r, listed] = await Promise.all([cli('list'), cli('list', '--json', '--topic', 'finance-upload', '--since', '1h')]);
    assert.equal(r.code, 0, r.stderr);
    for (const busNo of ['DLQ-A', 'DLQ-B', 'DLQ-C']) {
      assert.match(r.stdout, new RegExp(`#${ids[busNo]}  finance-upload  dead \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+08:00  attempts \\d+  busNo ${busNo}  msgId \\S+`));
    }
    assert.match(r.stdout, /gave up: retry horizon of 300ms passed .*: finance unreachable: ECONNREFUSED/);
    assert.match(r.stdout, /3 dead letter\(s\)\n$/);
    const json = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { busNo: string });
    assert.deepEqual(json.map((j) => j.busNo), ['DLQ-A', 'DLQ-B', 'DLQ-C']);
  });

  it('list: exit 1 when nothing matches, and for a --since it cannot read', async () => {
    const [r, bad] = await Promise.all([cli('list', '--topic', 'notify-sms', '--since', '2025-01-01T00:00'), cli('list', '--since', 'yesterday')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no dead letters of topic notify-sms since 2025-01-01T00:00/);
    assert.equal(r.stdout, '');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad --since/);
  });

  it('show: payload, last error, attempts, msgId and busNo of one dead letter; exit 1 for an invalid or unknown id', async () => {
    const r = await cli('show', String(ids['DLQ-A']));
    assert.equal(r.code, 0, r.stderr);
    const job = (await new OutboxStore(app.services.db).get(ids['DLQ-A']))!;
    assert.match(r.stdout, new RegExp(`^dead letter #${ids['DLQ-A']} \\(finance-upload\\)`));
    assert.match(r.stdout, /busNo: +DLQ-A\n/);
    assert.match(r.stdout, new RegExp(`msgId: +${job.message_id}\\n`));
    assert.match(r.stdout, new RegExp(`attempts: +${job.attempts}\\n`));
    assert.match(r.stdout, /dead since: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\n/);
    assert.match(r.stdout, /last error: +gave up: retry horizon/);
    assert.match(r.stdout, new RegExp(`"billNo": "${bills[0].billNo}"`));
    for (const id of ['abc', '999999']) {
      const miss = await cli('show', id);
      assert.equal(miss.code, 1, id);
      assert.match(miss.stderr, /not a job id|no dead letter/);
    }
  });

  it('discard: kept with status discarded, its reason and last error; a reason is required', async () => {
    const noReason = await cli('discard', String(ids['DLQ-C']));
    assert.equal(noReason.code, 1, 'a reason is required');
    const r = await cli('discard', String(ids['DLQ-C']), '--reason', '患者已退费，票据已冲红');
    assert.equal(r.code, 0, r.stderr);
    const row = (await new OutboxStore(app.services.db).get(ids['DLQ-C']))!;
    assert.equal(row.status, 'discarded');
    assert.equal(row.discard_reason, '患者已退费，票据已冲红');
    assert.match(row.last_error ?? '', /gave up/, 'the last error is kept');
    const shown = await cli('show', String(ids['DLQ-C']));
    assert.match(shown.stdout, /status: +discarded\n[\s\S]*reason: +患者已退费/);
  });

  it('requeue by id re-drives the job with a fresh horizon; finance gets the bill once', async () => {
    sim = await startSimulator(dir, port);
    const before = Date.now();
    assert.equal((await cli('requeue', String(ids['DLQ-A']), '999999')).code, 1, 'all or nothing');
    assert.equal((await new OutboxStore(app.services.db).get(ids['DLQ-A']))!.status, 'dead', 'nothing requeued by a mistyped list');
    assert.equal((await cli('requeue')).code, 1, 'says which');

    const r = await cli('requeue', String(ids['DLQ-A']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^requeued 1 dead letter/);
    const row = (await new OutboxStore(app.services.db).get(ids['DLQ-A']))!;
    assert.equal(row.status, 'pending');
    assert.ok(row.horizon_start! >= before, 'a fresh horizon');
    assert.equal(row.dead_at, null);
    assert.equal(await app.outbox.tick(), 1);
    assert.equal((await financeJob(app, 'DLQ-A')).status, 'done');
    const bill = await app.services.db('bills').where({ bus_no: 'DLQ-A' }).first();
    assert.equal(bill.finance_state, 'uploaded');
    assert.deepEqual((await sim.uploads()).map((u) => [u.bill_no, u.outcome]), [[bills[0].billNo, 'accepted']]);
  });

  it('requeue --all puts back the remaining dead letters (not the discarded one); afterwards list says none (the discarded one is not listed)', async () => {
    const r = await cli('requeue', '--all');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^requeued 1 dead letter/);
    assert.equal(await app.outbox.tick(), 1);
    assert.equal((await financeJob(app, 'DLQ-B')).status, 'done');
    assert.equal((await financeJob(app, 'DLQ-C')).status, 'discarded');
    const left = await cli('list');
    assert.equal(left.code, 1, 'nothing left: the discarded one is not a dead letter');
    assert.doesNotMatch(left.stdout, /DLQ-C/);
  });
});
