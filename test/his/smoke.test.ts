import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { callJson, dbKinds, SAMPLE_FILE, startTestApp, TestApp } from '../helpers/app';

for (const db of dbKinds()) {
  describe(`outpatient issuance end to end (${db})`, function () {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(async () => app?.stop());

    it('issues the sample bill and answers getEBillByBusNo with the same identity', async () => {
      const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8'));
      const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', sample);
      assert.equal(r.result, 'S0000', r.text);
      assert.ok(r.signOk);
      assert.match(String(r.body!.billBatchCode), /^\d{8}$/);
      assert.match(String(r.body!.billNo), /^\d{10}$/);
      assert.match(String(r.body!.random), /^[0-9a-f]{6}$/);
      assert.match(String(r.body!.createTime), /^\d{17}$/);
      assert.ok(Buffer.from(String(r.body!.billQRCode), 'base64').subarray(1, 4).toString() === 'PNG');
      // The outcome was committed before the answer left: no drain, no waiting.
      const stored = await app.services.db('messages').where({ bus_no: sample.busNo, service_id: 'invoiceEBillOutpatient' });
      assert.deepEqual(stored.map((m: { status: string }) => m.status), ['done']);
      const q = await callJson(app.baseUrl, 'getEBillByBusNo', { busNo: sample.busNo, busDateTime: sample.busDateTime });
      assert.equal(q.result, 'S0000', q.text);
      assert.equal(q.body!.billNo, r.body!.billNo);
      assert.equal(q.body!.isScarlet, '0');
    });

    it('serves health, readiness and Prometheus metrics that count the messages by result', async () => {
      assert.deepEqual(await (await fetch(`${app.baseUrl}/healthz`)).json(), { status: 'ok' });
      const ready = await fetch(`${app.baseUrl}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(((await ready.json()) as { checks: { db: string } }).checks.db, 'ok');
      const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
      assert.match(metrics, /medbill_messages_total\{channel="his-json",service="invoiceEBillOutpatient",result="S0000"\} [1-9]/);
      assert.match(metrics, /medbill_step_duration_seconds_count\{flow="outpatient-issue",step="sign"\} [1-9]/);
    });

    it('readiness fails while the database is gone', async () => {
      const other = await startTestApp({ db });
      await other.services.db.destroy();
      const r = await fetch(`${other.baseUrl}/readyz`);
      assert.equal(r.status, 503);
      other.services.db.initialize();
      await other.stop();
    });
  });
}
