/**
 * A stop (SIGTERM, a deploy) lets requests in flight finish and answer: a HIS whose bill was being
 * signed gets its S0000 instead of a reset connection and an orphaned reservation.
 */
import assert from 'node:assert/strict';
import { InProcessSigner } from '../../adapters/ca/in-process-signer';
import { loadUnitSigningKey } from '../../adapters/ca/key-material';
import type { SignResult, Signer } from '../../src/engine/signer';
import { callJson, DEMO_APPID, startTestApp } from '../helpers/app';
import { sample, uniqueBusNo } from './his-helpers';

/** Signs for real, slowly (a CA answering in 400 ms). */
class SlowSigner implements Signer {
  readonly name = 'slow-ca-stand-in';
  real?: Signer;
  async signDetached(content: string): Promise<SignResult> {
    await new Promise((r) => setTimeout(r, 400));
    return this.real!.signDetached(content);
  }
  async close(): Promise<void> {}
}

describe('stopping medbill with requests in flight', function () {
  this.timeout(30_000);

  it('a request being signed when the stop begins still answers S0000, and its bill is issued', async () => {
    const signer = new SlowSigner();
    const app = await startTestApp({ signer, config: { server: { port: 0, host: '127.0.0.1', publicBaseUrl: 'http://127.0.0.1:17001', shutdownGraceMs: 5000 } } });
    const k = loadUnitSigningKey(app.config);
    signer.real = new InProcessSigner(app.services.pool, k.id, k.serialHex);
    const busNo = uniqueBusNo('STOP');
    const answer = callJson(app.baseUrl, 'invoiceEBillOutpatient', sample(busNo));
    for (let i = 0; i < 200 && !(await app.services.bills.byBusNo(DEMO_APPID, busNo)); i++) await new Promise((r) => setTimeout(r, 5));
    const stopping = app.close();
    const r = await answer;
    assert.equal(r.result, 'S0000', r.text);
    await stopping;
  });
});
