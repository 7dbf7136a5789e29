/**
 * The on-call commands run as a person runs them: the real `medbill` binary against a data dir that a
 * running medbill (this test's app) writes to.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { callJson, SAMPLE_FILE, startTestApp, TestApp } from '../helpers/app';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'medbill.js');

describe('medbill validate, trace and replay (the real CLI)', function () {
  this.timeout(60_000);
  let app: TestApp;
  let env: NodeJS.ProcessEnv;
  const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;

  before(async () => {
    app = await startTestApp();
    const cfgFile = path.join(app.dir, 'cli.yaml');
    writeFileSync(cfgFile, 'svs: { start: false }\nfinance: { start: false }\n');
    env = { ...process.env, MEDBILL_CONFIG: cfgFile, MEDBILL_DATA_DIR: app.dir, MEDBILL_LOG_DIR: '', MEDBILL_QUIET: '1', MEDBILL_PORT: String(app.port) };
    // One good bill, one amount error, one bad-sign refusal.
    assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'CLI-OK' })).result, 'S0000');
    assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'CLI-BAD', totalAmt: '1.00' })).result, 'E1002');
    assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'CLI-SIGN' }, { key: 'wrong-key' })).result, 'E0001');
    await app.services.writer.drain();
  });
  after(async () => app?.stop());

  it('validate says ok for the shipped definitions', async () => {
    const r = await run(process.execPath, [BIN, 'validate'], { env });
    assert.match(r.stdout, /^ok: \d+ services, \d+ mappings, \d+ flows/);
  });

  it('trace --bus-no shows the message, the steps it took and the issued bill', async () => {
    const r = await run(process.execPath, [BIN, 'trace', '--bus-no', 'CLI-OK'], { env });
    assert.match(r.stdout, /his-json\/invoiceEBillOutpatient +done +flow outpatient-issue@[0-9a-f]{12}/);
    for (const step of ['check', 'to-bill', 'amounts', 'once-per-busno', 'number', 'fiscal-xml', 'sign', 'save', 'reply']) assert.match(r.stdout, new RegExp(`✓ ${step} `));
    assert.match(r.stdout, /bill 44060126-\d{10} \(blue\) issued/);
  });

  it('trace shows where a failed message stopped and why', async () => {
    const r = await run(process.execPath, [BIN, 'trace', '--bus-no', 'CLI-BAD', '--json'], { env });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const m = lines.find((l) => l.type === 'message')!;
    assert.equal(m.status, 'failed');
    assert.equal(m.errorCode, 'E1002');
    assert.match(String(m.error), /金额不平/);
    assert.deepEqual((m.steps as { step: string; error?: string }[]).map((s) => s.step), ['check', 'to-bill', 'amounts']);
    assert.ok(!lines.some((l) => l.type === 'bill'), 'no bill and no number for a refused settlement');
  });

  it('replay --dry-run lists by status without changing anything', async () => {
    const before = await app.services.messages.find({});
    const r = await run(process.execPath, [BIN, 'replay', '--status', 'failed,rejected', '--dry-run'], { env });
    assert.match(r.stdout, /^2 message\(s\) would be replayed \(dry run\)/);
    assert.match(r.stdout, /busNo=CLI-BAD failed E1002/);
    assert.match(r.stdout, /rejected E0001/);
    assert.equal((await app.services.messages.find({})).length, before.length);
  });

  it('replay --bus-no re-runs the stored message through the running server, linked to the original', async () => {
    const original = (await app.services.messages.find({ busNo: 'CLI-OK' }))[0];
    const r = await run(process.execPath, [BIN, 'replay', '--bus-no', 'CLI-OK', '--url', app.baseUrl], { env });
    assert.match(r.stdout, new RegExp(`${original.id} → S0000`));
    await app.services.writer.drain();
    const all = await app.services.messages.find({ busNo: 'CLI-OK' });
    assert.equal(all.length, 2);
    assert.equal(all[1].replay_of, original.id);
    const bills = await app.services.db('bills').where({ bus_no: 'CLI-OK' });
    assert.equal(bills.length, 1, 'a replay of an issued settlement returns the same bill');
  });

  it('replay by id and by time range; a refusal replays to the same refusal', async () => {
    const sign = (await app.services.messages.find({ status: ['rejected'] }))[0];
    const byId = await run(process.execPath, [BIN, 'replay', '--id', sign.id, '--url', app.baseUrl], { env });
    assert.match(byId.stdout, new RegExp(`${sign.id} → E0001 签名验证失败`));
    const from = new Date(sign.received_at - 1).toISOString();
    const to = new Date(sign.received_at + 1).toISOString();
    const range = await run(process.execPath, [BIN, 'replay', '--from', from, '--to', to, '--dry-run'], { env });
    assert.match(range.stdout, /^1 message\(s\)/);
  });

  it('replay without a selector refuses instead of replaying everything', async () => {
    await assert.rejects(run(process.execPath, [BIN, 'replay'], { env }), /say which messages/);
  });
});
