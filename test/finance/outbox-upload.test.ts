/**
 * The finance-upload outbox job, medbill to a real simulator: a bill issued over the HIS channel is
 * uploaded and comes back with a supervisory signature spliced into its fiscal XML; finance down means
 * retries with growing backoff until it is back; finance refusing means a dead letter with the reason.
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadOrCreateDemoPki } from '../../adapters/ca/key-material';
import type { App } from '../../src/app';
import { normaliseSerial, verifyP7 } from '../../src/crypto';
import { splitFiscalXml } from '../../src/domain/fiscal-xml';
import type { JobHandler } from '../../src/engine/outbox';
import type { BillWithFinance } from '../../src/store/bill-finance';
import { billcheck, financeJob, issueBill, startSimulator, suiteResources, tickWhenDue } from './harness';

type TestApp = App & { baseUrl: string };

async function billOf(app: App, billNo: string, billBatchCode = '44060126'): Promise<BillWithFinance> {
  return (await app.services.db('bills').where({ bill_batch_code: billBatchCode, bill_no: billNo }).first()) as BillWithFinance;
}

describe('finance-upload outbox job', function () {
  this.timeout(60_000);
  const suite = suiteResources();
  const { dir, sim } = suite;
  // One attempt per refusal unless a test says otherwise: the refusal's reason is what these tests read.
  const medbill = (d: string, url: string, dbFile?: string, handlers?: Map<string, JobHandler>, refusalAttempts = 1): Promise<TestApp> =>
    suite.medbill(d, url, { dbFile, opts: handlers ? { outboxHandlers: handlers } : {}, config: { finance: { refusalAttempts } } });
  after(() => suite.cleanup());

  it('uploads an issued bill and stores a supervisory signature that verifies, signed text unchanged', async () => {
    const d = dir();
    const s = await sim(d);
    const app = await medbill(d, s.url);
    const issued = await issueBill(app.baseUrl, 'FIN-OB-0001');
    const before = await billOf(app, issued.billNo);
    assert.equal(before.finance_state, null);
    assert.equal(before.supervisor_signature, null);
    assert.equal((await financeJob(app, 'FIN-OB-0001')).status, 'pending');

    assert.equal(await app.outbox.tick(), 1);

    const job = await financeJob(app, 'FIN-OB-0001');
    assert.equal(job.status, 'done');
    assert.equal(job.attempts, 1);
    assert.equal(job.last_error, null);
    const after = await billOf(app, issued.billNo);
    const pki = loadOrCreateDemoPki(d);
    assert.equal(after.finance_state, 'uploaded');
    assert.equal(after.supervisor_cert_serial, pki.financeSigning.serialHex);
    assert.match(after.supervisor_time ?? '', /^\d{14}$/);

    const old = splitFiscalXml(before.fiscal_xml!)!;
    const now = splitFiscalXml(after.fiscal_xml!)!;
    assert.equal(now.content, old.content, 'the signed text is byte-identical');
    assert.equal(now.unitSignature, old.unitSignature);
    assert.equal(now.supervisorSignature, after.supervisor_signature);
    assert.ok(
      after.fiscal_xml!.includes(`<SupervisorPartySignature Format="DETACH" Algorithm="SM2" Time="${after.supervisor_time}" SerialNumber="${pki.financeSigning.serialHex}">`),
    );
    const v = verifyP7(Buffer.from(after.supervisor_signature!, 'base64'), { content: Buffer.from(now.content, 'utf8') });
    assert.equal(v.reason, 'ok', v.detail);
    assert.equal(normaliseSerial(v.signerSerial!), pki.financeSigning.serialHex);
    // The unit signature in the new document still verifies too.
    assert.equal(verifyP7(Buffer.from(now.unitSignature!, 'base64'), { content: Buffer.from(now.content, 'utf8') }).valid, true);

    // The signed document medbill serves now carries both signatures.
    const res = await fetch(`${app.baseUrl}/medical-web/ebill/${issued.billBatchCode}/${issued.billNo}.xml?random=${issued.random}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), after.fiscal_xml);

    // And the public check page of finance confirms both.
    const check = await billcheck(s.url, { billBatchCode: issued.billBatchCode, billNo: issued.billNo, random: issued.random, payer: '张三' });
    assert.equal(check.body.found, true);
    const sigs = check.body.signatures as Record<string, { verified: boolean; serial: string }>;
    assert.deepEqual([sigs.unit.verified, sigs.supervisor.verified], [true, true]);
    assert.equal(sigs.supervisor.serial, after.supervisor_cert_serial);

    // Nothing left to do; a requeued job (at-least-once delivery) does not upload again.
    assert.equal(await app.outbox.tick(), 0);
    await app.services.db('outbox').where({ id: job.id }).update({ status: 'pending', next_attempt_at: 0 });
    assert.equal(await app.outbox.tick(), 1);
    assert.equal((await billOf(app, issued.billNo)).fiscal_xml, after.fiscal_xml);
  });

  it('retries with growing backoff while finance is down, and delivers once it is back', async () => {
    const d = dir();
    // Learn a free port, then leave it closed: finance is down.
    const probe = await startSimulator(d);
    const port = probe.port;
    await probe.close();
    const app = await medbill(d, `http://127.0.0.1:${port}`);
    const issued = await issueBill(app.baseUrl, 'FIN-OB-0002');

    assert.equal(await app.outbox.tick(), 1);
    let job = await financeJob(app, 'FIN-OB-0002');
    assert.equal(job.status, 'pending');
    assert.equal(job.attempts, 1);
    assert.match(job.last_error ?? '', /finance unreachable.*ECONNREFUSED/);
    const firstDelay = job.next_attempt_at - job.updated_at;
    assert.ok(firstDelay >= 145 && firstDelay <= 160, `first delay ${firstDelay} ms (initial 150 ms, no jitter)`);
    assert.equal(await app.outbox.tick(), 0, 'not due before its backoff');

    assert.equal(await tickWhenDue(app, 'FIN-OB-0002'), 1);
    job = await financeJob(app, 'FIN-OB-0002');
    assert.equal(job.status, 'pending');
    assert.equal(job.attempts, 2);
    const secondDelay = job.next_attempt_at - job.updated_at;
    assert.ok(secondDelay >= 295 && secondDelay <= 310, `second delay ${secondDelay} ms (doubled)`);
    assert.equal((await billOf(app, issued.billNo)).finance_state, null);

    const s = await sim(d, port);
    assert.equal(await tickWhenDue(app, 'FIN-OB-0002'), 1);
    job = await financeJob(app, 'FIN-OB-0002');
    assert.equal(job.status, 'done');
    assert.equal(job.attempts, 3);
    const bill = await billOf(app, issued.billNo);
    assert.equal(bill.finance_state, 'uploaded');
    const check = await billcheck(s.url, { billBatchCode: issued.billBatchCode, billNo: issued.billNo, random: issued.random });
    assert.equal(check.body.found, true);
  });

  it('retries on HTTP 5xx from finance', async () => {
    const d = dir();
    const server = http.createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"ok":false,"message":"维护中"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const flaky = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
    suite.onCleanup(() => flaky.close());
    const app = await medbill(d, flaky.url);
    await issueBill(app.baseUrl, 'FIN-OB-0003');
    await app.outbox.tick();
    const job = await financeJob(app, 'FIN-OB-0003');
    assert.equal(job.status, 'pending');
    assert.equal(job.attempts, 1);
    assert.match(job.last_error ?? '', /HTTP 503: 维护中/);
  });

  it('dead-letters a refused bill (untrusted unit certificate) after finance.refusalAttempts attempts, with the reason', async () => {
    // A finance simulator with its own demo PKI does not trust this hospital's CA.
    const s = await sim(dir());
    const app = await medbill(dir(), s.url, undefined, undefined, 3);
    const issued = await issueBill(app.baseUrl, 'FIN-OB-0004');
    await app.outbox.tick();
    for (const attempt of [1, 2]) {
      const waiting = await financeJob(app, 'FIN-OB-0004');
      assert.equal(waiting.status, 'pending', `a refusal is tried again (attempt ${attempt} of 3)`);
      assert.match(waiting.last_error ?? '', new RegExp(`unit-cert-untrusted.*attempt ${attempt} of 3; tried again`));
      assert.equal((await billOf(app, issued.billNo)).finance_state, null, 'not marked rejected before the last attempt');
      await tickWhenDue(app, 'FIN-OB-0004');
    }
    const job = await financeJob(app, 'FIN-OB-0004');
    assert.equal(job.status, 'dead');
    assert.equal(job.attempts, 3);
    assert.match(job.last_error ?? '', /^permanent: finance refused \(HTTP 422 unit-cert-untrusted\): 开票单位签名证书不可信.*\(attempt 3 of 3\)$/);
    const bill = await billOf(app, issued.billNo);
    assert.equal(bill.finance_state, 'rejected');
    assert.match(bill.finance_error ?? '', /unit-cert-untrusted/);
    assert.equal(bill.supervisor_signature, null);
    assert.ok(!bill.fiscal_xml!.includes('SupervisorPartySignature'));
  });

  it('dead-letters a tampered stored document (unit-signature-invalid)', async () => {
    const d = dir();
    const s = await sim(d);
    const app = await medbill(d, s.url);
    const issued = await issueBill(app.baseUrl, 'FIN-OB-0005');
    const bill = await billOf(app, issued.billNo);
    await app.services.db('bills').where({ id: bill.id }).update({ fiscal_xml: bill.fiscal_xml!.replace('<TotalAmount>236.50</TotalAmount>', '<TotalAmount>2.50</TotalAmount>') });
    await app.outbox.tick();
    const job = await financeJob(app, 'FIN-OB-0005');
    assert.equal(job.status, 'dead');
    assert.match(job.last_error ?? '', /HTTP 422 unit-signature-invalid/);
    const check = await billcheck(s.url, { billBatchCode: issued.billBatchCode, billNo: issued.billNo, random: issued.random });
    assert.equal(check.body.found, false, 'finance did not keep it');
  });

  it('dead-letters a conflict: another document already holds that number at finance', async () => {
    const d = dir();
    const s = await sim(d);
    // Two medbills sharing the demo PKI but not the database issue the same first number.
    const first = await medbill(d, s.url, 'first.sqlite');
    const second = await medbill(d, s.url, 'second.sqlite');
    const a = await issueBill(first.baseUrl, 'FIN-OB-0006');
    const b = await issueBill(second.baseUrl, 'FIN-OB-0007');
    assert.deepEqual([a.billBatchCode, a.billNo], [b.billBatchCode, b.billNo]);
    await first.outbox.tick();
    assert.equal((await financeJob(first, 'FIN-OB-0006')).status, 'done');
    await second.outbox.tick();
    const job = await financeJob(second, 'FIN-OB-0007');
    assert.equal(job.status, 'dead');
    assert.match(job.last_error ?? '', /HTTP 409 conflict/);
  });

  it('keeps opts.outboxHandlers in charge when a test supplies them', async () => {
    const d = dir();
    const s = await sim(d);
    const seen: unknown[] = [];
    const app = await medbill(d, s.url, undefined, new Map<string, JobHandler>([['finance-upload', async (p) => void seen.push(p)]]));
    const issued = await issueBill(app.baseUrl, 'FIN-OB-0008');
    await app.outbox.tick();
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0], { billId: (await billOf(app, issued.billNo)).id, billBatchCode: issued.billBatchCode, billNo: issued.billNo });
    assert.equal((await billOf(app, issued.billNo)).finance_state, null, 'the default handler did not run');
  });

  it('dead-letters a job whose payload names no bill', async () => {
    const d = dir();
    const s = await sim(d);
    const app = await medbill(d, s.url);
    const now = Date.now();
    await app.services.db('outbox').insert({
      topic: 'finance-upload',
      job_key: 'bogus',
      payload: JSON.stringify({ billId: 999, billBatchCode: '44060126', billNo: '0000000999' }),
      status: 'pending',
      attempts: 0,
      max_attempts: 5,
      next_attempt_at: now,
      bus_no: 'FIN-OB-BOGUS',
      created_at: now,
      updated_at: now,
    });
    await app.outbox.tick();
    const job = await financeJob(app, 'FIN-OB-BOGUS');
    assert.equal(job.status, 'dead');
    assert.match(job.last_error ?? '', /^permanent: bill 999 .* not found/);
  });
});
