/**
 * Delivery faults against the real simulator process and real peers:
 *   - finance refuses an upload because the unit certificate is on hold in the demo CA's CRL (signed by
 *     the demo root as the embedded SVS signs it, served over HTTP): tried finance.refusalAttempts times, a dead letter with the reason; the
 *     hold is released, `medbill dlq requeue` (the real CLI) puts it back, and it is delivered once;
 *   - medbill (a real `medbill start` child) is killed -9 while finance holds its upload (finance took
 *     it, the answer never came back): after the restart it is delivered again and finance keeps one bill.
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadOrCreateDemoPki } from '../../adapters/ca/key-material';
import type { FinanceSimulator } from '../../adapters/finance/simulator';
import { DemoCa, type DemoCaSettings } from '../../adapters/ca/svs/demo-ca';
import { callJson } from '../helpers/app';
import { cliEnv, runCli } from '../helpers/cli';
import { medbillEnv, startMedbill as startChild, stopMedbill, type Medbill } from '../his/his-helpers';
import { financeJob, issueBill, sample, startSimulator, suiteResources, tickWhenDue, waitFor } from './harness';

describe('finance delivery faults (real simulator, the demo CA\'s CRL, a killed medbill)', function () {
  this.timeout(90_000);
  const suite = suiteResources();
  after(() => suite.cleanup());

  it('dead-letters a revoked-certificate refusal after 3 attempts; once the hold is lifted, dlq requeue delivers it once', async () => {
    const d = suite.dir();
    // The demo root CA's CRL, signed by the demo root as the embedded SVS serves it (adapters/ca/svs/
    // demo-ca.ts), on its own port: the unit certificate is on hold in it.
    const pki = loadOrCreateDemoPki(d);
    const demoCa = (revoked: DemoCaSettings['revoked']) =>
      new DemoCa({
        rootCertPem: pki.rootCa.certificatePem,
        rootPrivateKey: pki.rootCa.privateKey,
        rootPublicKey: pki.rootCa.publicKey,
        ocspCertPem: pki.ocspResponder.certificatePem,
        ocspPrivateKey: pki.ocspResponder.privateKey,
        ocspPublicKey: pki.ocspResponder.publicKey,
        issuedSerials: [pki.unitSigning.serialHex],
        crlValidityHours: 24,
        revoked,
      });
    let ca = demoCa([{ serial: pki.unitSigning.serialHex, reason: 'certificateHold' }]);
    const crlServer = http.createServer((_req, res) => {
      const { der } = ca.crl();
      res.writeHead(200, { 'content-type': 'application/pkix-crl' });
      res.end(der);
    });
    await new Promise<void>((r) => crlServer.listen(0, '127.0.0.1', r));
    suite.onCleanup(() => new Promise<void>((r) => crlServer.close(() => r())));
    const crlUrl = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}/crl/root.crl`;
    const revocation = { finance: { revocation: { mode: 'crl', softFail: false, crlUrl } } };
    let sim: FinanceSimulator = await startSimulator(d, 0, revocation);
    const simPort = sim.port;
    suite.onCleanup(() => sim.close());
    const app = await suite.medbill(d, sim.url, { config: { finance: { refusalAttempts: 3 } } });

    const issued = await issueBill(app.baseUrl, 'DLV-REV-1');
    await app.outbox.tick();
    await tickWhenDue(app, 'DLV-REV-1');
    await tickWhenDue(app, 'DLV-REV-1');
    const dead = await financeJob(app, 'DLV-REV-1');
    assert.equal(dead.status, 'dead');
    assert.equal(dead.attempts, 3);
    assert.match(dead.last_error ?? '', /^permanent: finance refused \(HTTP 422 unit-cert-revoked\): 开票单位签名证书已被吊销 — SUSPENDED: .*\(attempt 3 of 3\)$/);
    const bill = await app.services.db('bills').where({ bill_no: issued.billNo }).first();
    assert.equal(bill.finance_state, 'rejected');
    assert.ok(!String(bill.fiscal_xml).includes('SupervisorPartySignature'), 'nothing archived');

    // The cause is fixed: the CA lifts the hold (its next CRL), finance reloads it (a restart drops its cache).
    ca = demoCa([]);
    await sim.close();
    sim = await startSimulator(d, simPort, revocation);

    const cli = await runCli(['dlq', 'requeue', '--topic', 'finance-upload'], cliEnv({ dir: d, config: app.config }, undefined));
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(await app.outbox.tick(), 1);
    assert.equal((await financeJob(app, 'DLV-REV-1')).status, 'done');
    const after = await app.services.db('bills').where({ bill_no: issued.billNo }).first();
    assert.deepEqual([after.finance_state, after.finance_error], ['uploaded', null]);
    const uploads = (await sim.uploads()).filter((u) => u.bill_no === issued.billNo);
    assert.deepEqual(
      uploads.map((u) => `${u.outcome} ${u.code ?? ''}`.trim()),
      ['refused unit-cert-revoked', 'refused unit-cert-revoked', 'refused unit-cert-revoked', 'accepted'],
      'three refusals, then delivered once after the fix (the restarted simulator keeps its database)',
    );
  });

  it('delivers an upload interrupted by kill -9 after restart, and finance keeps it once', async () => {
    const d = suite.dir();
    const dataDir = path.join(d, 'data');
    const sim = await startSimulator(dataDir);
    suite.onCleanup(() => sim.close());
    // Between medbill and finance: forwards every request, but the first upload's answer is held back
    // until medbill is dead — finance has the bill, medbill never heard so.
    let holdFirst = true;
    let held: (() => void) | undefined;
    const tookIt = new Promise<void>((resolve) => (held = resolve));
    const gate = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const hold = holdFirst && req.url === '/api/bills';
        if (hold) holdFirst = false;
        const up = http.request(`${sim.url}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' } }, (r) => {
          const body: Buffer[] = [];
          r.on('data', (c: Buffer) => body.push(c));
          r.on('end', () => {
            if (hold) return held!(); // the answer is dropped: the client dies waiting
            res.writeHead(r.statusCode ?? 502, { 'content-type': 'application/json' });
            res.end(Buffer.concat(body));
          });
        });
        up.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
    suite.onCleanup(async () => {
      gate.closeAllConnections();
      await new Promise<void>((r) => gate.close(() => r()));
    });
    const env = { ...medbillEnv(d, `sqlite:${path.join(d, 'medbill.sqlite')}`), MEDBILL_FINANCE_URL: `http://127.0.0.1:${(gate.address() as AddressInfo).port}` };

    let child: Medbill = await startChild(env);
    suite.onCleanup(() => stopMedbill(child));
    const r = await callJson(child.baseUrl, 'invoiceEBillOutpatient', sample('DLV-KILL-1'));
    assert.equal(r.result, 'S0000', r.text);
    await tookIt;
    child.proc.kill('SIGKILL');
    await child.exited;
    const first = (await sim.uploads()).filter((u) => u.bill_no === r.body!.billNo);
    assert.deepEqual(first.map((u) => u.outcome), ['accepted'], 'finance took it before the kill');

    child = await startChild(env);
    await waitFor('the upload after the restart', async () => (await sim.uploads()).filter((u) => u.bill_no === r.body!.billNo).length === 2, 20_000);
    const q = await callJson(child.baseUrl, 'getEBillByBusNo', { busNo: 'DLV-KILL-1', busDateTime: '20261125093015123' });
    assert.equal(q.result, 'S0000', q.text);
    const uploads = (await sim.uploads()).filter((u) => u.bill_no === r.body!.billNo);
    assert.deepEqual(uploads.map((u) => u.outcome), ['accepted', 'repeated'], 'sent again after the restart, recognised as the same bill');
    await waitFor('medbill archived it', async () => {
      const xml = await fetch(`${child.baseUrl}/medical-web/ebill/${String(r.body!.billBatchCode)}/${String(r.body!.billNo)}.xml?random=${String(r.body!.random)}`);
      return (await xml.text()).includes('SupervisorPartySignature');
    }, 10_000);
    await stopMedbill(child);
  });
});
