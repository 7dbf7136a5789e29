/**
 * Two recoveries of one reservation at once — two nodes on one database starting together after a
 * crash, or start-up recovery beside the minute schedule. Found by the crash campaign (two MariaDB nodes
 * killed at random): both resumed the same old reservation, one issued it, and the other's save got
 * E2004 and reported — and logged as an error — a void that never happened ("voided: 21" at start-up
 * while the ledger held 0 voided numbers). The number must end issued once, and the loser must say the
 * reservation was finished elsewhere. The signer is a stand-in (fails, then signs slowly for real) so
 * both recoveries are mid-signing together.
 */
import assert from 'node:assert/strict';
import { InProcessSigner } from '../../adapters/ca/in-process-signer';
import { loadUnitSigningKey } from '../../adapters/ca/key-material';
import { recoverReservations } from '../../src/engine/recovery';
import type { SignResult, Signer } from '../../src/engine/signer';
import { callJson, dbKinds, DEMO_APPID, startTestApp, TestApp } from '../helpers/app';
import { sample, uniqueBusNo } from './his-helpers';

/** Down at first (the crash), then a real signature after a pause long enough for two callers to overlap. */
class DownThenSlowSigner implements Signer {
  readonly name = 'down-then-slow-stand-in';
  real?: Signer;
  calls = 0;

  up(app: TestApp): void {
    const k = loadUnitSigningKey(app.config);
    this.real = new InProcessSigner(app.services.pool, k.id, k.serialHex);
  }

  async signDetached(content: string, ctx?: { msgId?: string; busNo?: string }): Promise<SignResult> {
    this.calls++;
    if (!this.real) throw new Error('connect ECONNREFUSED (CA signature server down)');
    await new Promise((r) => setTimeout(r, 300));
    return this.real.signDetached(content, ctx);
  }

  async close(): Promise<void> {}
}

for (const db of dbKinds()) {
  describe(`two recoveries of one reservation at once (${db})`, function () {
    this.timeout(30_000);

    it('one issues the number, the other reports it finished elsewhere — not voided', async () => {
      const signer = new DownThenSlowSigner();
      const app = await startTestApp({ db, signer });
      try {
        const busNo = uniqueBusNo('RACE');
        assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', sample(busNo))).result, 'E3001');
        await app.services.writer.drain();
        const reserved = (await app.services.bills.byBusNo(DEMO_APPID, busNo))!;
        // as if the process had died before answering: recovery's to finish
        await app.services.db('bills').where({ id: reserved.id }).update({ answered_code: null, answered_at: null });
        signer.up(app);
        const calls0 = signer.calls;
        const [a, b] = await Promise.all([recoverReservations(app.services, app.router, 0), recoverReservations(app.services, app.router, 0)]);
        assert.equal(signer.calls - calls0, 2, 'both recoveries were signing the same reservation');
        const sum = { completed: a.completed + b.completed, voided: a.voided + b.voided, left: a.left + b.left, finishedElsewhere: a.finishedElsewhere + b.finishedElsewhere };
        assert.deepEqual(sum, { completed: 1, voided: 0, left: 0, finishedElsewhere: 1 });
        const row = await app.services.bills.byNumber(reserved.bill_batch_code, reserved.bill_no);
        assert.equal(row?.state, 'issued');
        assert.equal(row?.bus_no, busNo);
        assert.equal(row?.void_reason, null);
      } finally {
        await app.stop();
      }
    });
  });
}
