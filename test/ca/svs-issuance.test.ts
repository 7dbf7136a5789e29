/**
 * Issuance through medbill with signer.mode svs: the unit signature comes from the embedded SVS over
 * SOAP (a separate server, as `medbill svs` runs it), the stored bill's signature verifies against its
 * signed text with the unit certificate, and the SVS audits the signing. With the SVS down the HIS gets
 * E3001 and the number stays reserved for the busNo; with the SVS back, a retry of the same busNo
 * completes that reservation — same number, no gap.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App, createApp } from '../../src/app';
import { verifyP7 } from '../../src/crypto';
import { splitFiscalXml } from '../../src/domain/fiscal-xml';
import { callJson, DEMO_APPID } from '../helpers/app';
import { SAMPLE_FILE, startTestSvs, svsConfig, TestSvs } from './helpers';

/** The signed text, exactly as kept inside the stored fiscal XML. */
const signedText = (fiscalXml: string): Buffer => Buffer.from(splitFiscalXml(fiscalXml)!.content, 'utf8');

const sample = (busNo: string) => ({ ...(JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>), busNo });

describe('issuance with signer.mode svs (embedded SVS over SOAP)', function () {
  this.timeout(60_000);
  let svs: TestSvs;
  let app: App;
  let base: string;

  before(async () => {
    svs = await startTestSvs();
    // Same data dir (so the same demo PKI), SVS not started by createApp: it runs on its own, as `medbill svs` does.
    const cfg = svsConfig(svs.dir, svs.port, {
      server: { port: 0, host: '127.0.0.1' },
      signer: { mode: 'svs' },
      ca: { url: '', timeoutMs: 2000 },
    });
    app = await createApp(cfg, { background: false });
    base = `http://127.0.0.1:${app.port}`;
  });
  after(async () => {
    await app?.close();
    await svs?.stop();
  });

  it('uses the CA client signer (svs:medbill)', () => {
    assert.equal(app.services.signer.name, 'svs:medbill');
  });

  it('issues a bill whose unit signature (from the SVS) verifies against the signed text with the unit certificate', async () => {
    const r = await callJson(base, 'invoiceEBillOutpatient', sample('SVS-ISSUE-1'));
    assert.equal(r.result, 'S0000', r.text);
    const bill = await app.services.bills.byBusNo(DEMO_APPID, 'SVS-ISSUE-1');
    assert.ok(bill && bill.state === 'issued');
    const v = verifyP7(Buffer.from(bill.unit_signature!, 'base64'), { content: signedText(bill.fiscal_xml!) });
    assert.equal(v.valid, true, v.detail);
    assert.equal(v.detached, true);
    assert.equal(v.signerSerial, svs.pki.unitSigning.serialHex.toUpperCase());
    assert.equal(bill.sig_cert_serial, svs.pki.unitSigning.serialHex);
    assert.ok(bill.fiscal_xml!.includes(bill.unit_signature!), 'the signature is in the fiscal XML');
    // …and the SVS audited exactly that signing, by digest.
    const rows = await svs.server.audit.rows({ op: 'SVS_SignMessage' });
    const digest = createHash('sm3').update(signedText(bill.fiscal_xml!)).digest('hex');
    assert.ok(rows.some((row) => row.data_sm3 === digest && row.result === 0 && row.key_index === 1));
  });

  it('SVS down: E3001 and a reservation; SVS back: the same busNo completes with the reserved number', async () => {
    await svs.halt();
    const down = await callJson(base, 'invoiceEBillOutpatient', sample('SVS-ISSUE-2'));
    assert.equal(down.result, 'E3001', down.text);
    assert.match(down.text, /签名服务暂不可用.*票据号已保留.*相同业务流水号重试/);
    // The HIS never sees where the CA lives or how the socket failed (the log line has that).
    assert.doesNotMatch(down.text, /\d+\.\d+\.\d+\.\d+|:\d{2,5}\b|ECONN|localhost|svs/i);
    const reserved = await app.services.db('bills').where({ appid: DEMO_APPID, bus_no: 'SVS-ISSUE-2' }).first();
    assert.equal(reserved.state, 'reserved');
    assert.equal(await app.services.bills.byBusNo(DEMO_APPID, 'SVS-ISSUE-2').then((b) => b?.state), 'reserved');

    await svs.restart();
    const back = await callJson(base, 'invoiceEBillOutpatient', sample('SVS-ISSUE-2'));
    assert.equal(back.result, 'S0000', back.text);
    assert.equal(back.body?.billNo, reserved.bill_no, 'the reserved number, not a new one');
    const bill = await app.services.db('bills').where({ appid: DEMO_APPID, bus_no: 'SVS-ISSUE-2' });
    assert.equal(bill.length, 1);
    assert.equal(bill[0].state, 'issued');
    assert.equal(verifyP7(Buffer.from(bill[0].unit_signature, 'base64'), { content: signedText(bill[0].fiscal_xml) }).valid, true);
  });

  it('keeps the SVS audit in its own database file, apart from medbill\'s', async () => {
    assert.ok(existsSync(path.join(svs.dir, 'svs-audit.sqlite')));
    assert.equal(await app.services.db.schema.hasTable('svs_audit'), false);
  });
});
