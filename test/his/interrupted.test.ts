/**
 * An interrupted request leaves no half state (docs/architecture.md#invariants). A Signer that throws or hangs stands in
 * for a CA signature server outage: the number is already reserved when signing fails, so the HIS must
 * get a non-S0000, getEBillByBusNo must say "not issued", nothing must be downloadable — and the
 * reservation is finished later with that same number: by a retry of the busNo when the HIS got a
 * failure answer (and voided after a window if it never retries), by recovery when it got no answer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InProcessSigner } from '../../adapters/ca/in-process-signer';
import { loadUnitSigningKey } from '../../adapters/ca/key-material';
import type { SignResult, Signer } from '../../src/engine/signer';
import { recoverReservations } from '../../src/engine/recovery';
import { callJson, dbKinds, DbKind, DEMO_APPID, freshDb, startTestApp } from '../helpers/app';
import { CHINESE, Json, nextOutpatientNo, sample, TestApp, uniqueBusNo } from './his-helpers';

/** A CA that is down (throws), unreachable (hangs), or back (signs with the unit key). */
class CaOutageSigner implements Signer {
  readonly name = 'ca-outage-stand-in';
  mode: 'fail' | 'hang' | 'ok';
  real?: Signer;
  calls = 0;
  private hanging: { content: string; resolve(r: SignResult): void; reject(e: Error): void }[] = [];

  constructor(mode: 'fail' | 'hang' | 'ok') {
    this.mode = mode;
  }

  /** Signs for real from now on, with the app's own pool and unit key (what InProcessSigner does). */
  recover(app: TestApp): void {
    const k = loadUnitSigningKey(app.config);
    this.real = new InProcessSigner(app.services.pool, k.id, k.serialHex);
    this.mode = 'ok';
  }

  signDetached(content: string, ctx?: { msgId?: string; busNo?: string }): Promise<SignResult> {
    this.calls++;
    if (this.mode === 'fail') return Promise.reject(new Error('connect ECONNREFUSED 10.0.0.8:8080 (CA signature server down)'));
    if (this.mode === 'hang') return new Promise<SignResult>((resolve, reject) => this.hanging.push({ content, resolve, reject }));
    return this.real!.signDetached(content, ctx);
  }

  /** The CA finally answers the calls that hung: with valid signatures, long after the HIS gave up. */
  async answerHungCalls(): Promise<number> {
    const hung = this.hanging.splice(0);
    for (const h of hung) h.resolve(await this.real!.signDetached(h.content));
    return hung.length;
  }

  async close(): Promise<void> {
    for (const h of this.hanging.splice(0)) h.reject(new Error('CA connection closed'));
  }
}

/** A CA call in a process that is then killed: it never returns, not even with an error (no pool task either). */
class DeadProcessSigner implements Signer {
  readonly name = 'killed-while-signing';
  signDetached(): Promise<SignResult> {
    return new Promise<SignResult>(() => undefined);
  }
  signDetachedWithQr(): Promise<SignResult & { qrPng: string }> {
    return new Promise<SignResult & { qrPng: string }>(() => undefined);
  }
  async close(): Promise<void> {}
}

const BUS_DATE = '20261125093015123';
const issue = (app: TestApp, s: Json) => callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
const lookup = (app: TestApp, busNo: string) => callJson(app.baseUrl, 'getEBillByBusNo', { busNo, busDateTime: BUS_DATE });

/** The stored row of a busNo (reserved rows included: getEBillByBusNo must not show those). */
async function row(app: TestApp, busNo: string) {
  await app.services.writer.drain();
  return app.services.bills.byBusNo(DEMO_APPID, busNo);
}

/** Nothing of a reserved number is visible: not by busNo, not as a document. */
async function assertNotVisible(app: TestApp, busNo: string, billNo: string): Promise<void> {
  const q = await lookup(app, busNo);
  assert.equal(q.result, 'E2002', `getEBillByBusNo must say "not issued": ${q.result} ${q.text}`);
  const r = await row(app, busNo);
  const res = await fetch(`${app.baseUrl}/medical-web/ebill/${r!.bill_batch_code}/${billNo}.xml?random=${r!.random ?? ''}`);
  assert.equal(res.status, 404, 'no fiscal XML for a reservation');
  await res.arrayBuffer();
}

for (const db of dbKinds()) {
  describe(`interrupted issuance leaves no half state (${db})`, function () {
    this.timeout(30_000);

    describe('signer throws (stand-in for a CA outage)', () => {
      let app: TestApp;
      const signer = new CaOutageSigner('fail');
      before(async () => {
        app = await startTestApp({ db, signer });
      });
      after(async () => app?.stop());

      it('E3001 to the HIS, getEBillByBusNo says not issued, the number stays reserved; a retry once the CA is back completes that same number', async () => {
        const busNo = uniqueBusNo('CAFAIL');
        const next0 = await nextOutpatientNo(app);
        const r = await issue(app, sample(busNo));
        assert.equal(r.result, 'E3001', r.text);
        assert.match(r.text, /签名/);
        assert.match(r.text, CHINESE);
        assert.ok(r.signOk);
        const reserved = await row(app, busNo);
        assert.equal(reserved?.state, 'reserved');
        assert.equal(Number(reserved!.bill_no), next0);
        assert.equal(await nextOutpatientNo(app), next0 + 1);
        await assertNotVisible(app, busNo, reserved!.bill_no);

        // The HIS retries while the CA is still down: same refusal, same reservation, no new number.
        const [a, b, c] = await Promise.all([issue(app, sample(busNo)), issue(app, sample(busNo)), issue(app, sample(busNo))]);
        assert.deepEqual([a.result, b.result, c.result], ['E3001', 'E3001', 'E3001']);
        assert.equal(await nextOutpatientNo(app), next0 + 1);
        assert.equal((await row(app, busNo))?.id, reserved!.id);

        signer.recover(app);
        const ok = await issue(app, sample(busNo));
        assert.equal(ok.result, 'S0000', ok.text);
        assert.equal(ok.body!.billNo, reserved!.bill_no, 'the reserved number, not a new one');
        assert.equal(await nextOutpatientNo(app), next0 + 1);
        const q = await lookup(app, busNo);
        assert.equal(q.result, 'S0000', q.text);
        assert.equal(q.body!.random, ok.body!.random);
        assert.equal((await row(app, busNo))?.state, 'issued');
        // the failed attempts are in the message store with their code
        const msgs = (await app.services.messages.find({ busNo, serviceId: 'invoiceEBillOutpatient' })).map((m) => `${m.status}:${m.error_code ?? ''}`);
        assert.deepEqual(msgs, ['failed:E3001', 'failed:E3001', 'failed:E3001', 'failed:E3001', 'done:']);
      });

      it('a retry with different content under the reserved busNo is refused (E2001), the reservation untouched', async () => {
        signer.mode = 'fail';
        const busNo = uniqueBusNo('CACONF');
        assert.equal((await issue(app, sample(busNo))).result, 'E3001');
        const before = await row(app, busNo);
        const changed = sample(busNo);
        changed.payer = '王五';
        signer.mode = 'ok';
        const r = await issue(app, changed);
        assert.equal(r.result, 'E2001', r.text);
        const after = await row(app, busNo);
        assert.equal(after?.state, 'reserved');
        assert.equal(after?.bill_no, before?.bill_no);
        // the original content still completes it
        const ok = await issue(app, sample(busNo));
        assert.equal(ok.body?.billNo, before?.bill_no);
      });
    });

    describe('signer hangs past the sign step timeout (stand-in for an unreachable CA)', () => {
      let app: TestApp;
      const signer = new CaOutageSigner('hang');
      before(async () => {
        app = await startTestApp({ db, signer, ownDefinitions: true });
        // flows/outpatient/issue.flow.yaml gives `sign` 5 s; the mechanism is the same at 300 ms and the suite stays fast.
        // (This app's own flows: the other suites' apps keep the 5 s.)
        const sign = app.router.route('invoiceEBillOutpatient')!.steps.find((s) => s.kind === 'sign')!;
        sign.timeoutMs = 300;
      });
      after(async () => app?.stop());

      const hungBusNo = uniqueBusNo('CAHANG');

      it('E3002 within the step timeout, not issued, reserved; the retry after the CA answers again completes the same number', async () => {
        const busNo = hungBusNo;
        const next0 = await nextOutpatientNo(app);
        const t0 = Date.now();
        const r = await issue(app, sample(busNo));
        assert.equal(r.result, 'E3002', r.text);
        assert.ok(Date.now() - t0 < 3000, 'the HIS is answered when the step times out, not when the CA gives up');
        assert.match(r.text, /超时/);
        assert.match(r.text, /getEBillByBusNo/);
        const reserved = await row(app, busNo);
        assert.equal(reserved?.state, 'reserved');
        assert.equal(Number(reserved!.bill_no), next0);
        await assertNotVisible(app, busNo, reserved!.bill_no);

        signer.recover(app);
        const ok = await issue(app, sample(busNo));
        assert.equal(ok.result, 'S0000', ok.text);
        assert.equal(ok.body!.billNo, reserved!.bill_no);
        assert.equal(await nextOutpatientNo(app), next0 + 1);
        assert.equal((await lookup(app, busNo)).body?.billNo, reserved!.bill_no);
      });

      it('a valid signature arriving after the timeout does not issue behind the HIS\'s back', async () => {
        signer.mode = 'hang';
        const busNo = uniqueBusNo('CALATE');
        assert.equal((await issue(app, sample(busNo))).result, 'E3002');
        const issuedBefore = await row(app, hungBusNo);
        // The CA comes back and answers both hung calls (this one and the previous test's, whose bill the
        // retry has issued since) with good signatures. The HIS was told E3002: this bill must still not
        // exist until the HIS (or recovery) asks again, and the other one must not be signed over.
        signer.recover(app);
        assert.equal(await signer.answerHungCalls(), 2);
        await app.services.writer.drain();
        assert.equal((await row(app, busNo))?.state, 'reserved');
        assert.equal((await lookup(app, busNo)).result, 'E2002');
        const issuedAfter = await row(app, hungBusNo);
        assert.equal(issuedAfter?.unit_signature, issuedBefore?.unit_signature);
        assert.equal(issuedAfter?.fiscal_xml, issuedBefore?.fiscal_xml);
      });
    });

    describe('recovery: an answer means what it says (src/engine/recovery.ts)', () => {
      it('a reservation answered E3001 is NOT completed by start-up recovery: the HIS was told "not issued"; its retry completes that same number', async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-interrupted-'));
        const store = db === 'sqlite' ? { url: `sqlite:${path.join(dir, 'medbill.sqlite')}`, drop: async () => undefined } : await freshDb(db as DbKind, dir);
        try {
          const busNo = uniqueBusNo('ANSWERED');
          const down = await startTestApp({ db, dir, dbUrl: store.url, signer: new CaOutageSigner('fail') });
          const r = await issue(down, sample(busNo));
          assert.equal(r.result, 'E3001');
          const reserved = await row(down, busNo);
          assert.equal(reserved?.state, 'reserved');
          assert.equal(reserved?.answered_code, 'E3001', 'the failed answer is recorded on the reservation');
          await down.stop(); // keeps dir and database: they were passed in

          const up = await startTestApp({ db, dir, dbUrl: store.url });
          try {
            // start-up recovery ran inside createApp, before the server listened: it left the number alone
            assert.equal((await row(up, busNo))?.state, 'reserved');
            assert.equal((await lookup(up, busNo)).result, 'E2002', 'still "not issued", as the HIS was told');
            assert.equal(await up.services.db('outbox').where({ bus_no: busNo }).count({ n: '*' }).then((x) => Number(x[0].n)), 0, 'nothing uploaded');
            // the HIS retries the same busNo: the reserved number is completed
            const again = await issue(up, sample(busNo));
            assert.equal(again.result, 'S0000', again.text);
            assert.equal(again.body!.billNo, reserved!.bill_no);
            const q = await lookup(up, busNo);
            assert.equal(q.body!.random, again.body!.random);
          } finally {
            await up.stop();
          }
        } finally {
          await store.drop();
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('a request that never got an answer (the process stopped while signing) is completed at the next start', async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-interrupted-'));
        const store = db === 'sqlite' ? { url: `sqlite:${path.join(dir, 'medbill.sqlite')}`, drop: async () => undefined } : await freshDb(db as DbKind, dir);
        try {
          const busNo = uniqueBusNo('NOANSWER');
          const down = await startTestApp({ db, dir, dbUrl: store.url, signer: new DeadProcessSigner() });
          const pending = issue(down, sample(busNo)).catch(() => undefined); // the HIS never gets an answer
          for (let i = 0; i < 200 && !(await row(down, busNo)); i++) await new Promise((r) => setTimeout(r, 10));
          const reserved = await row(down, busNo);
          assert.equal(reserved?.state, 'reserved');
          assert.equal(reserved?.answered_code, null);
          await down.stop();
          await pending;

          const up = await startTestApp({ db, dir, dbUrl: store.url });
          try {
            const after = await row(up, busNo);
            assert.equal(after?.state, 'issued');
            assert.equal(after?.bill_no, reserved!.bill_no);
            assert.ok(after?.fiscal_xml?.includes(`<EInvoiceNumber>${reserved!.bill_no}</EInvoiceNumber>`));
            const q = await lookup(up, busNo);
            assert.equal(q.result, 'S0000', q.text);
            // the HIS asks again (its request timed out) and gets that bill
            const again = await issue(up, sample(busNo));
            assert.equal(again.result, 'S0000');
            assert.equal(again.body!.billNo, reserved!.bill_no);
          } finally {
            await up.stop();
          }
        } finally {
          await store.drop();
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('an answered reservation is left within recovery.answeredReservationTtl and voided with a reason after it; the busNo then gets a new number', async () => {
        const signer = new CaOutageSigner('fail');
        const app = await startTestApp({ db, signer, config: { recovery: { startupMinAgeMs: 0, answeredReservationTtl: '1h' } } });
        try {
          const busNo = uniqueBusNo('TTL');
          assert.equal((await issue(app, sample(busNo))).result, 'E3001');
          const reserved = (await row(app, busNo))!;
          signer.recover(app);
          assert.deepEqual(await recoverReservations(app.services, app.router, 0), { completed: 0, voided: 0, left: 1, finishedElsewhere: 0 }, 'within the window: left for the retry');
          assert.equal((await row(app, busNo))?.state, 'reserved');
          // two hours later
          await app.services.db('bills').where({ id: reserved.id }).update({ answered_at: Date.now() - 2 * 3_600_000 });
          assert.deepEqual(await recoverReservations(app.services, app.router, 0), { completed: 0, voided: 1, left: 0, finishedElsewhere: 0 });
          const voided = await app.services.bills.byNumber(reserved.bill_batch_code, reserved.bill_no);
          assert.equal(voided?.state, 'voided');
          assert.match(voided?.void_reason ?? '', /E3001/);
          assert.match(voided?.void_reason ?? '', new RegExp(busNo), 'the reason keeps the busNo it was reserved for');
          const again = await issue(app, sample(busNo));
          assert.equal(again.result, 'S0000', again.text);
          assert.equal(Number(again.body!.billNo), Number(reserved.bill_no) + 1);
        } finally {
          await app.stop();
        }
      });

      it('an unanswered reservation is left while the CA is down and completed once it is back; a young one is not touched', async () => {
        const signer = new CaOutageSigner('fail');
        const app = await startTestApp({ db, signer });
        try {
          const busNo = uniqueBusNo('RECOV');
          assert.equal((await issue(app, sample(busNo))).result, 'E3001');
          const reserved = (await row(app, busNo))!;
          // as if the process had died before answering
          await app.services.db('bills').where({ id: reserved.id }).update({ answered_code: null, answered_at: null });
          assert.deepEqual(await recoverReservations(app.services, app.router, 0), { completed: 0, voided: 0, left: 1, finishedElsewhere: 0 });
          assert.equal((await row(app, busNo))?.state, 'reserved', 'a CA outage is worth another try: not voided');
          signer.recover(app);
          assert.deepEqual(await recoverReservations(app.services, app.router, 60_000), { completed: 0, voided: 0, left: 0, finishedElsewhere: 0 });
          assert.deepEqual(await recoverReservations(app.services, app.router, 0), { completed: 1, voided: 0, left: 0, finishedElsewhere: 0 });
          const q = await lookup(app, busNo);
          assert.equal(q.result, 'S0000', q.text);
          assert.equal(q.body!.billNo, reserved.bill_no);
        } finally {
          await app.stop();
        }
      });

      it('an unanswered reservation whose message is gone is voided with a reason; the busNo gets a new number', async () => {
        const signer = new CaOutageSigner('fail');
        const app = await startTestApp({ db, signer });
        try {
          const busNo = uniqueBusNo('VOID');
          assert.equal((await issue(app, sample(busNo))).result, 'E3001');
          const reserved = (await row(app, busNo))!;
          await app.services.db('bills').where({ id: reserved.id }).update({ answered_code: null, answered_at: null });
          await app.services.db('messages').where({ id: reserved.message_id }).delete();
          signer.recover(app);
          assert.deepEqual(await recoverReservations(app.services, app.router, 0), { completed: 0, voided: 1, left: 0, finishedElsewhere: 0 });
          const voided = await app.services.bills.byNumber(reserved.bill_batch_code, reserved.bill_no);
          assert.equal(voided?.state, 'voided');
          assert.match(voided?.void_reason ?? '', /恢复失败/);
          assert.match(voided?.void_reason ?? '', new RegExp(busNo), 'the reason keeps the busNo it was reserved for');
          assert.equal((await lookup(app, busNo)).result, 'E2002');
          const again = await issue(app, sample(busNo));
          assert.equal(again.result, 'S0000', again.text);
          assert.equal(Number(again.body!.billNo), Number(reserved.bill_no) + 1);
        } finally {
          await app.stop();
        }
      });
    });
  });
}
