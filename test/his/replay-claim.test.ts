/**
 * x-medbill-replay-of on the HIS port: a replay through the running server is accepted only for a body
 * medbill stored under that id on that channel, and is then decoded as on arrival (no noise window), so
 * the header is no way round freshness or noise checks for anything medbill has not already stored.
 */
import assert from 'node:assert/strict';
import { messageId } from '../../src/domain/ids';
import { decodeReply, envelope, Reply, startTestApp, TestApp } from '../helpers/app';
import { kid, post, sample as soapSample, typedCall, usernameToken } from '../his-soap/soap-helpers';
import { postRaw, sample, uniqueBusNo } from './his-helpers';

const RP = { appid: 'RP-HIS', key: 'rp-key-0123456789abcdef0123' };

describe('HIS channels: replays through the server (x-medbill-replay-of)', function () {
  this.timeout(30_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ config: { callers: [{ appid: 'MEDBILL-DEMO', key: 'demo-key-0123456789abcdef', demo: true }, { ...RP, replayProtection: true }] } });
  });
  after(async () => app?.stop());

  const stored = async (busNo: string) => {
    await app.services.writer.drain();
    return (await app.services.messages.find({ busNo }))[0];
  };

  it('JSON: a caller with noise replay protection replays its stored request (same noise) and the message id comes back', async () => {
    const busNo = uniqueBusNo('RPJ');
    const body = JSON.stringify(envelope(sample(busNo), RP.appid, RP.key));
    assert.equal((await postRaw(app.baseUrl, 'invoiceEBillOutpatient', body, RP)).result, 'S0000');
    assert.equal((await postRaw(app.baseUrl, 'invoiceEBillOutpatient', body, RP)).result, 'E0006', 'the same noise sent live again is refused');
    const original = await stored(busNo);
    const res = await fetch(`${app.baseUrl}/medical-web/api/medical/invoiceEBillOutpatient`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-medbill-replay-of': original.id }, body });
    assert.equal(decodeReply(res.status, (await res.json()) as Reply['raw'], RP.appid, RP.key).result, 'S0000', 'not E0006: a replay repeats its noise by design');
    const id = res.headers.get('x-medbill-message-id');
    assert.ok(id);
    const m = (await app.services.messages.get(id))!;
    assert.equal(m.status, 'done');
    assert.equal(m.replay_of, original.id);
    assert.equal((await app.services.messages.get(original.id))!.replayed_by, id);
  });

  it('JSON: an unknown id, another body or another service under the header is refused (E0003), stored, and links nothing', async () => {
    const busNo = uniqueBusNo('RPF');
    const body = JSON.stringify(envelope(sample(busNo)));
    assert.equal((await postRaw(app.baseUrl, 'invoiceEBillOutpatient', body)).result, 'S0000');
    const original = await stored(busNo);
    const other = JSON.stringify(envelope(sample(uniqueBusNo('RPX'))));
    for (const [service, id, b] of [
      ['invoiceEBillOutpatient', messageId(), body],
      ['invoiceEBillOutpatient', original.id, other],
      ['getEBillByBusNo', original.id, body],
      ['invoiceEBillOutpatient', 'not-an-id', body],
    ] as const) {
      const r = await postRaw(app.baseUrl, service, b, { headers: { 'x-medbill-replay-of': id } });
      assert.equal(r.result, 'E0003', `${service} ${id}`);
      assert.match(r.text, /x-medbill-replay-of/);
    }
    await app.services.writer.drain();
    const now = (await app.services.messages.get(original.id))!;
    assert.equal(now.status, 'done');
    assert.equal(now.replayed_by, null);
    assert.equal((await app.services.messages.find({ status: ['rejected'], limit: 100 })).filter((m) => m.error_code === 'E0003' && /x-medbill-replay-of/.test(m.error ?? '')).length, 4);
    assert.equal((await app.services.messages.find({ busNo: uniqueBusNo('none') })).length, 0);
  });

  it('SOAP: a stale typed call is refused live; under the header with another id it is refused too, with its own id accepted', async () => {
    const busNo = uniqueBusNo('RPS');
    const hourAgo = Date.now() - 3_600_000;
    const xml = typedCall(soapSample(busNo), { header: usernameToken({ created: new Date(hourAgo).toISOString() }) });
    const id = messageId(hourAgo);
    await app.services.messages.insert({ id, receivedAt: hourAgo, channel: 'his-soap', serviceId: 'invoiceEBillOutpatient', raw: xml });
    const headers = (replayOf: string) => ({ 'content-type': 'text/xml; charset=utf-8', soapaction: '""', 'x-medbill-replay-of': replayOf });
    const forged = await post(app.baseUrl, xml, headers(messageId()));
    assert.equal(forged.body.local, 'Fault');
    assert.match(forged.text, /x-medbill-replay-of/);
    const ok = await post(app.baseUrl, xml, headers(id));
    const f = Object.fromEntries(kid(ok.body, 'response').children.map((c) => [c.local, c.text]));
    assert.equal(f.result, 'S0000', f.message);
    assert.equal((await app.services.messages.get(id))!.status, 'replayed');
  });
});
