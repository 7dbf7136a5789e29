/**
 * `medbill replay` of stored SOAP messages (in process, no server running): a stored call is decoded as
 * the live channel decoded it, checked against the time it arrived, so an hour-old typed request
 * replays to its flow while the same bytes sent live now are refused as stale.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { messageId } from '../../src/domain/ids';
import { startTestApp, TestApp } from '../helpers/app';
import { kid, post, sample, typedCall, uniqueBusNo, usernameToken } from './soap-helpers';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'medbill.js');

describe('his-soap: medbill replay of stored SOAP messages', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-soap-replay-'));
  const dbUrl = `sqlite:${path.join(dir, 'medbill.sqlite')}`;
  let app: TestApp | undefined;
  after(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays a live typed call to the same bill and an hour-old typed call to a new bill', async () => {
    app = await startTestApp({ dir, dbUrl });
    const live = uniqueBusNo('rl');
    const a = await post(app.baseUrl, typedCall(sample(live)));
    const liveBill = Object.fromEntries(kid(a.body, 'response').children.map((c) => [c.local, c.text]));
    assert.equal(liveBill.result, 'S0000', liveBill.message);
    await app.services.writer.drain();
    const liveMsg = (await app.services.messages.find({ busNo: live }))[0];

    // A typed request received an hour ago (e.g. interrupted by a crash), with the Created it carried then.
    const old = uniqueBusNo('ro');
    const hourAgo = Date.now() - 3_600_000;
    const oldXml = typedCall(sample(old), { header: usernameToken({ created: new Date(hourAgo).toISOString() }) });
    const oldId = messageId(hourAgo);
    await app.services.messages.insert({ id: oldId, receivedAt: hourAgo, channel: 'his-soap', serviceId: 'invoiceEBillOutpatient', raw: oldXml });
    const stale = Object.fromEntries(kid((await post(app.baseUrl, oldXml)).body, 'response').children.map((c) => [c.local, c.text]));
    assert.equal(stale.result, 'E0003', 'the same bytes sent live now are stale');
    assert.match(stale.message, /wsu:Created/);
    await app.stop();
    app = undefined;

    const cfgFile = path.join(dir, 'cli.yaml');
    writeFileSync(cfgFile, 'svs: { start: false }\nfinance: { start: false }\n');
    const env = { ...process.env, MEDBILL_CONFIG: cfgFile, MEDBILL_DATA_DIR: dir, MEDBILL_DB_URL: dbUrl, MEDBILL_LOG_DIR: '', MEDBILL_QUIET: '1' };
    const r = await run(process.execPath, [BIN, 'replay', '--id', liveMsg.id, oldId, '--url', 'http://127.0.0.1:9'], { env });
    assert.match(r.stdout, /via this process/);
    assert.match(r.stdout, new RegExp(`${liveMsg.id} → S0000`));
    assert.match(r.stdout, new RegExp(`${oldId} → S0000`));

    app = await startTestApp({ dir, dbUrl });
    const liveBills = await app.services.db('bills').where({ bus_no: live });
    assert.equal(liveBills.length, 1);
    assert.equal(liveBills[0].bill_no, liveBill.billNo, 'a replay of an issued settlement returns the same bill');
    const oldBills = await app.services.db('bills').where({ bus_no: old, state: 'issued' });
    assert.equal(oldBills.length, 1);
    const replays = (await app.services.messages.find({})).filter((m) => m.replay_of === oldId || m.replay_of === liveMsg.id);
    assert.equal(replays.length, 2);
    for (const m of replays) assert.equal(m.channel, 'his-soap');
  });
});
