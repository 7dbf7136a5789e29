/**
 * `medbill replay` of stored SOAP messages, in this process (no server running) and through a running
 * server: a stored call is decoded as the live channel decoded it, checked against the time it arrived,
 * so an hour-old typed request replays to its flow while the same bytes sent live now are refused as stale.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { messageId } from '../../src/domain/ids';
import { startTestApp, TestApp } from '../helpers/app';
import { cliEnv, runCli } from '../helpers/cli';
import { envelopeCall, kid, post, sample, SOAP12_NS, typedCall, uniqueBusNo, usernameToken } from './soap-helpers';

/** Stores a typed call as if it had arrived an hour ago (e.g. interrupted by a crash), with the Created it carried then. */
async function hourOldTypedCall(app: TestApp, busNo: string): Promise<string> {
  const hourAgo = Date.now() - 3_600_000;
  const xml = typedCall(sample(busNo), { header: usernameToken({ created: new Date(hourAgo).toISOString() }) });
  const id = messageId(hourAgo);
  await app.services.messages.insert({ id, receivedAt: hourAgo, channel: 'his-soap', serviceId: 'invoiceEBillOutpatient', raw: xml });
  return id;
}

const fields = (xml: Awaited<ReturnType<typeof post>>) => Object.fromEntries(kid(xml.body, 'response').children.map((c) => [c.local, c.text]));

describe('his-soap: medbill replay of stored SOAP messages', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-soap-replay-'));
  const dbUrl = `sqlite:${path.join(dir, 'medbill.sqlite')}`;
  let app: TestApp | undefined;
  after(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('in this process (no server answers): a live typed call replays to the same bill, an hour-old one to a new bill', async () => {
    app = await startTestApp({ dir, dbUrl });
    const live = uniqueBusNo('rl');
    const liveBill = fields(await post(app.baseUrl, typedCall(sample(live))));
    assert.equal(liveBill.result, 'S0000', liveBill.message);
    await app.services.writer.drain();
    const liveMsg = (await app.services.messages.find({ busNo: live }))[0];
    const old = uniqueBusNo('ro');
    const oldId = await hourOldTypedCall(app, old);
    const oldRaw = (await app.services.messages.get(oldId))!.raw;
    const stale = fields(await post(app.baseUrl, oldRaw));
    assert.equal(stale.result, 'E0003', 'the same bytes sent live now are stale');
    assert.match(stale.message, /wsu:Created/);
    const env = cliEnv(app, undefined);
    await app.stop();
    app = undefined;

    const r = await runCli(['replay', '--id', liveMsg.id, oldId], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^2 message\(s\) selected; replaying in this process with the files \(no medbill answers at http:\/\/127\.0\.0\.1:9\)\n/);
    assert.match(r.stdout, new RegExp(`\\[1/2\\] ${oldId} → S0000 \\(replayed as [0-9A-Z]{26}\\)`));
    assert.match(r.stdout, new RegExp(`\\[2/2\\] ${liveMsg.id} → S0000 \\(replayed as [0-9A-Z]{26}\\)`));
    assert.match(r.stdout, /summary: 2 selected, 2 replayed: 2 succeeded, 0 still failing\n$/);

    app = await startTestApp({ dir, dbUrl });
    const liveBills = await app.services.db('bills').where({ bus_no: live });
    assert.equal(liveBills.length, 1);
    assert.equal(liveBills[0].bill_no, liveBill.billNo, 'a replay of an issued settlement returns the same bill');
    assert.equal((await app.services.db('bills').where({ bus_no: old, state: 'issued' })).length, 1);
    const replays = (await app.services.messages.find({})).filter((m) => m.replay_of === oldId || m.replay_of === liveMsg.id);
    assert.equal(replays.length, 2);
    for (const m of replays) assert.equal(m.channel, 'his-soap');
    for (const id of [oldId, liveMsg.id]) assert.equal((await app.services.messages.get(id))!.status, 'replayed');
  });

  it('through the running server: typed (an hour old) and envelope-style SOAP 1.2 calls replay with the replay-of header, linked', async () => {
    app ??= await startTestApp({ dir, dbUrl });
    const srv = app;
    const old = uniqueBusNo('so');
    const oldId = await hourOldTypedCall(srv, old);
    const env12 = uniqueBusNo('s12');
    const a = await post(srv.baseUrl, envelopeCall('invoiceEBillOutpatient', sample(env12), { version: '1.2' }), { 'content-type': 'application/soap+xml; charset=utf-8' });
    assert.equal(a.ns, SOAP12_NS);
    await srv.services.writer.drain();
    const envId = (await srv.services.messages.find({ busNo: env12 }))[0].id;

    const r = await runCli(['replay', '--id', oldId, envId], cliEnv(srv, srv.port));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`replaying through the server at http://127\\.0\\.0\\.1:${srv.port} \\(its definitions are the files'\\)`));
    const made = [...r.stdout.matchAll(/\[\d\/2\] ([0-9A-Z]{26}) → S0000 \(replayed as ([0-9A-Z]{26})\)/g)].map((m) => [m[1], m[2]]);
    assert.deepEqual(made.map((m) => m[0]).sort(), [oldId, envId].sort(), r.stdout);
    for (const [original, replay] of made) {
      const m = (await srv.services.messages.get(replay))!;
      assert.equal(m.channel, 'his-soap');
      assert.equal(m.replay_of, original);
      assert.equal(m.status, 'done');
      assert.equal((await srv.services.messages.get(original))!.replayed_by, replay);
    }
    assert.equal((await srv.services.db('bills').where({ bus_no: old, state: 'issued' })).length, 1, 'the hour-old call was decoded with the time it arrived');
    assert.equal((await srv.services.db('bills').where({ bus_no: env12, state: 'issued' })).length, 1, 'the envelope call kept its bill');
  });
});
