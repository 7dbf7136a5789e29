/**
 * Limits of the HIS channels, over real HTTP from distinct loopback addresses:
 *   - per client address and per appid: E0007 with Retry-After, nothing stored, and the limit
 *     recovers; forged requests under a real appid do not spend that appid's budget;
 *   - past limits.maxInFlight: E3003 at once while the admitted requests are still working — no queue.
 * The CA is replaced by a stand-in that holds signatures until the test releases them (outside the
 * hospital: the signature server).
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import { InProcessSigner } from '../../adapters/ca/in-process-signer';
import { loadUnitSigningKey } from '../../adapters/ca/key-material';
import { md5Sign } from '../../adapters/his/json/envelope';
import type { SignResult, Signer } from '../../src/engine/signer';
import { DEMO_APPID, DEMO_KEY, decodeReply, envelope, startTestApp, TestApp } from '../helpers/app';
import { envelopeCall } from '../his-soap/soap-helpers';
import { sample, uniqueBusNo } from '../his/his-helpers';
import { jsonResult, request, sleep } from './helpers';

const CJK = /[\u4e00-\u9fff]/;
const ping = (from: string, app: TestApp, o: { appid?: string; key?: string; sign?: string } = {}) => {
  const env = envelope({ testValue: 'x' }, o.appid ?? DEMO_APPID, o.key ?? DEMO_KEY);
  if (o.sign) env.sign = o.sign;
  return request(`${app.baseUrl}/medical-web/api/medical/testServerConnect`, { body: JSON.stringify(env), from });
};

async function storedCount(app: TestApp): Promise<number> {
  await app.services.writer.drain();
  return (await app.services.messages.find({ limit: 100_000 })).length;
}

describe('HIS channel rate limits (per client address, per appid)', function () {
  this.timeout(60_000);

  describe('per client address', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ config: { limits: { maxInFlight: 0, his: { perIp: { rate: 1, burst: 4 }, perAppid: { rate: 0, burst: 0 } } } } });
    });
    after(async () => app?.stop());

    it('past the burst one address gets E0007 (Retry-After, not stored), others are served, and it recovers', async () => {
      const stored0 = await storedCount(app);
      const t0 = Date.now();
      const replies = await Promise.all(Array.from({ length: 10 }, () => ping('127.0.4.1', app)));
      const elapsed = (Date.now() - t0) / 1000;
      const results = replies.map((r) => ({ r, j: jsonResult(r.text) }));
      const ok = results.filter((x) => x.j.result === 'S0000').length;
      const limited = results.filter((x) => x.j.result === 'E0007');
      assert.equal(ok + limited.length, 10);
      assert.ok(ok >= 4 && ok <= 4 + Math.ceil(elapsed), `${ok} served in ${elapsed}s`);
      for (const { r, j } of limited) {
        assert.equal(r.status, 200, 'the JSON channel always answers 200 with an envelope');
        assert.ok(Number(r.headers['retry-after']) >= 1);
        assert.match(j.message, CJK);
        assert.match(j.message, /每秒最多 1 次/);
      }
      assert.equal(await storedCount(app), stored0 + ok, 'refusals by the limit are not stored');
      assert.equal(jsonResult((await ping('127.0.4.2', app)).text).result, 'S0000', 'another address is served');
      await sleep(Number(limited[0].r.headers['retry-after']) * 1000 + 200);
      assert.equal(jsonResult((await ping('127.0.4.1', app)).text).result, 'S0000', 'recovered');
    });

    it('the SOAP channel shares the limit: a fault carrying E0007 and Retry-After', async () => {
      const soap = () =>
        request(`${app.baseUrl}/medical-web/ws/EBillService`, { body: envelopeCall('testServerConnect', { testValue: 'x' }), headers: { 'content-type': 'text/xml; charset=utf-8' }, from: '127.0.4.3' });
      const replies = await Promise.all(Array.from({ length: 10 }, soap));
      const limited = replies.filter((r) => r.text.includes('<tns:result>E0007</tns:result>'));
      assert.ok(limited.length >= 1, replies.map((r) => r.status).join(','));
      for (const r of limited) {
        assert.equal(r.status, 500);
        assert.match(r.text, /soap:Server/);
        assert.match(r.text, /请求过于频繁/);
        assert.ok(Number(r.headers['retry-after']) >= 1);
      }
    });
  });

  describe('per appid', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ config: { limits: { maxInFlight: 0, his: { perIp: { rate: 0, burst: 0 }, perAppid: { rate: 1, burst: 3 } } } } });
    });
    after(async () => app?.stop());

    it('one appid from many addresses: past its burst E0007 naming the appid, signed with its key; it recovers', async () => {
      const t0 = Date.now();
      const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => ping(`127.0.5.${i + 1}`, app)));
      const elapsed = (Date.now() - t0) / 1000;
      const decoded = replies.map((r) => ({ r, d: decodeReply(r.status, JSON.parse(r.text) as Record<string, string>) }));
      const ok = decoded.filter((x) => x.d.result === 'S0000').length;
      const limited = decoded.filter((x) => x.d.result === 'E0007');
      assert.ok(ok >= 3 && ok <= 3 + Math.ceil(elapsed), `${ok} served in ${elapsed}s`);
      assert.ok(limited.length >= 1);
      for (const { r, d } of limited) {
        assert.ok(d.signOk, 'the caller authenticated, so the refusal is signed with its key');
        assert.match(d.text, new RegExp(`appid ${DEMO_APPID} 每秒最多 1 次`));
        assert.ok(Number(r.headers['retry-after']) >= 1);
      }
      await sleep(Number(limited[0].r.headers['retry-after']) * 1000 + 1200);
      assert.equal(jsonResult((await ping('127.0.5.9', app)).text).result, 'S0000', 'recovered');
    });

    it('forged requests under the appid (bad sign) do not spend its budget', async () => {
      await sleep(3200); // a full bucket
      const forged = await Promise.all(Array.from({ length: 20 }, (_, i) => ping(`127.0.6.${i + 1}`, app, { sign: md5Sign(DEMO_APPID, 'x', 'y', 'not-the-key') })));
      assert.ok(forged.every((r) => jsonResult(r.text).result === 'E0001'));
      assert.equal(jsonResult((await ping('127.0.6.99', app)).text).result, 'S0000');
    });
  });
});

/** Holds every signature until released, then signs for real with the app's own pool and unit key. */
class HeldSigner implements Signer {
  readonly name = 'held-ca-stand-in';
  real?: Signer;
  held: (() => void)[] = [];
  signDetached(content: string): Promise<SignResult> {
    return new Promise<void>((resolve) => this.held.push(resolve)).then(() => this.real!.signDetached(content));
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
  async close(): Promise<void> {
    this.release();
  }
}

describe('max in-flight: busy at once, no queue', function () {
  this.timeout(60_000);
  const signer = new HeldSigner();
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ signer, config: { limits: { maxInFlight: 4, his: { perIp: { rate: 0, burst: 0 }, perAppid: { rate: 0, burst: 0 } } } } });
    const k = loadUnitSigningKey(app.config);
    signer.real = new InProcessSigner(app.services.pool, k.id, k.serialHex);
  });
  after(async () => app?.stop());

  it('4 issues held at the CA fill maxInFlight 4: 20 more JSON and SOAP requests get E3003 before any of the 4 finishes; then all 4 issue', async () => {
    const stored0 = await storedCount(app);
    const issues = Array.from({ length: 3 }, () =>
      request(`${app.baseUrl}/medical-web/api/medical/invoiceEBillOutpatient`, { body: JSON.stringify(envelope(sample(uniqueBusNo('BUSY')))) }),
    );
    // The fourth client hangs up while its bill is at the CA: the work goes on, and holds its slot.
    const goneBusNo = uniqueBusNo('GONE');
    const gone = http.request({ host: '127.0.0.1', port: app.port, path: '/medical-web/api/medical/invoiceEBillOutpatient', method: 'POST', headers: { 'content-type': 'application/json' } });
    gone.on('error', () => undefined);
    gone.end(JSON.stringify(envelope(sample(goneBusNo))));
    const deadline = Date.now() + 20_000;
    while (signer.held.length < 4 && Date.now() < deadline) await sleep(20);
    assert.equal(signer.held.length, 4, 'the four are at the CA');
    gone.destroy();
    await sleep(100);
    assert.equal(app.admission!.current, 4, 'a hung-up request keeps its slot while its bill is being issued');

    const busy = await Promise.all([
      ...Array.from({ length: 15 }, (_, i) => ping(`127.0.7.${i + 1}`, app)),
      ...Array.from({ length: 5 }, () =>
        request(`${app.baseUrl}/medical-web/ws/EBillService`, { body: envelopeCall('testServerConnect', { testValue: 'x' }), headers: { 'content-type': 'application/soap+xml; charset=utf-8' } }),
      ),
    ]);
    for (const r of busy.slice(0, 15)) {
      const j = jsonResult(r.text);
      assert.equal(j.result, 'E3003');
      assert.match(j.message, /同时处理的请求已达上限 4/);
      assert.equal(r.headers['retry-after'], '1');
    }
    for (const r of busy.slice(15)) {
      assert.equal(r.status, 500, 'SOAP 1.2 Receiver fault');
      assert.match(r.text, /<tns:result>E3003<\/tns:result>/);
    }
    assert.equal(signer.held.length, 4, 'nothing else reached the CA');
    assert.equal(app.admission!.current, 4, 'no queue: the refused requests hold no slot');
    const metrics = (await request(`${app.baseUrl}/metrics`)).text;
    assert.match(metrics, /^medbill_http_in_flight_requests 4$/m);
    assert.match(metrics, /^medbill_limited_total\{limit="busy"\} (\d+)$/m);

    signer.release();
    const done = await Promise.all(issues);
    for (const r of done) assert.equal(jsonResult(r.text).result, 'S0000', r.text);
    while (!(await app.services.bills.byBusNo(DEMO_APPID, goneBusNo))?.fiscal_xml && Date.now() < deadline) await sleep(20);
    assert.equal((await app.services.bills.byBusNo(DEMO_APPID, goneBusNo))?.state, 'issued', 'the hung-up request finished its bill');
    assert.equal(await storedCount(app), stored0 + 4, 'the busy refusals were not stored');
    await sleep(50);
    assert.equal(app.admission!.current, 0, 'every slot came back');
    assert.equal(jsonResult((await ping('127.0.7.99', app)).text).result, 'S0000');
  });
});
