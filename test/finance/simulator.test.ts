/**
 * The finance simulator against a bill really issued by medbill: the upload API (acceptance,
 * idempotent repeats, conflicts, every refusal reason, hostile bodies) and the public check page
 * (JSON and HTML, masking, not-found never leaking existence, signatures re-verified from storage).
 */
import { strict as assert } from 'node:assert';
import { rmSync } from 'node:fs';
import { loadOrCreateDemoPki } from '../../adapters/ca/key-material';
import type { FinanceSimulator } from '../../adapters/finance/simulator';
import { financeDbFile } from '../../adapters/finance/simulator/store';
import type { App } from '../../src/app';
import {
  certificateDer,
  ChainValidator,
  createDetachedSigner,
  DemoIdentity,
  generateDemoPki,
  normaliseSerial,
  sm2PrivateKey,
  verifyP7,
} from '../../src/crypto';
import { fiscalXml, splitFiscalXml } from '../../src/domain/fiscal-xml';
import { openDb } from '../../src/store/db';
import { b64, billcheck, issueBill, Issued, postUpload, startMedbill, startSimulator, tempDir } from './harness';

/** A unit-signed document over `content`, signed by `who` (valid signature, whoever that is). */
function signedDocument(content: string, who: DemoIdentity): string {
  const sign = createDetachedSigner({ privateKey: sm2PrivateKey(who.privateKey, who.publicKey), certDer: certificateDer(who.certificatePem) });
  return fiscalXml(content, { value: sign(Buffer.from(content, 'utf8')).toString('base64'), time: '20261125093015', serialNumber: who.serialHex });
}

describe('finance simulator', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: FinanceSimulator;
  let app: App;
  let bill: Issued;
  /** the document as medbill issued it, unit signature only */
  let issuedXml: string;
  let content: string;
  let supervisorSignature: string;

  before(async () => {
    dir = tempDir();
    sim = await startSimulator(dir);
    app = await startMedbill(dir, sim.url);
    bill = await issueBill((app as App & { baseUrl: string }).baseUrl, 'FIN-SIM-0001');
    const row = await app.services.db('bills').where({ bill_batch_code: bill.billBatchCode, bill_no: bill.billNo }).first();
    issuedXml = row.fiscal_xml;
    content = splitFiscalXml(issuedXml)!.content;
    const up = await postUpload(sim.url, { ...bill, fiscalXml: b64(issuedXml) });
    assert.equal(up.status, 200, JSON.stringify(up.body));
    supervisorSignature = String(up.body.supervisorSignature);
  });

  after(async () => {
    await app?.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('POST /api/bills', () => {
    it('adds a supervisory signature over the unit-signed text, made by the finance CA key', async () => {
      const pki = loadOrCreateDemoPki(dir);
      const v = verifyP7(Buffer.from(supervisorSignature, 'base64'), { content: Buffer.from(content, 'utf8') });
      assert.equal(v.reason, 'ok', v.detail);
      assert.equal(v.form, 'gm');
      assert.equal(v.detached, true);
      assert.equal(normaliseSerial(v.signerSerial!), pki.financeSigning.serialHex);
      const financeOnly = new ChainValidator({ trustRoots: [pki.financeCa.certificatePem] });
      assert.equal((await financeOnly.validate(v.signerCert!, { purpose: 'signing' })).ok, true);
      const hospitalOnly = new ChainValidator({ trustRoots: [pki.rootCa.certificatePem] });
      assert.equal((await hospitalOnly.validate(v.signerCert!)).code, 'UNTRUSTED_ROOT');
      // Over the exact signed text: one changed byte and it no longer verifies.
      const other = verifyP7(Buffer.from(supervisorSignature, 'base64'), { content: Buffer.from(content.replace('236.50', '236.51'), 'utf8') });
      assert.equal(other.valid, false);
    });

    it('answers a repeat of the same document with the same supervisory signature', async () => {
      const again = await postUpload(sim.url, { ...bill, fiscalXml: b64(issuedXml) });
      assert.equal(again.status, 200);
      assert.equal(again.body.repeated, true);
      assert.equal(again.body.supervisorSignature, supervisorSignature);
      assert.equal(again.body.supervisorCertSerial, loadOrCreateDemoPki(dir).financeSigning.serialHex);
      assert.match(String(again.body.time), /^\d{14}$/);
    });

    it('treats the same text re-signed by the unit as the same bill (SM2 signatures differ each time)', async () => {
      const resigned = signedDocument(content, loadOrCreateDemoPki(dir).unitSigning);
      assert.notEqual(splitFiscalXml(resigned)!.unitSignature, splitFiscalXml(issuedXml)!.unitSignature);
      const r = await postUpload(sim.url, { ...bill, fiscalXml: b64(resigned) });
      assert.equal(r.status, 200);
      assert.equal(r.body.supervisorSignature, supervisorSignature);
    });

    it('refuses a different, validly signed document under the same number with 409', async () => {
      const changed = signedDocument(content.replace('<TotalAmount>236.50</TotalAmount>', '<TotalAmount>1.00</TotalAmount>'), loadOrCreateDemoPki(dir).unitSigning);
      const r = await postUpload(sim.url, { ...bill, fiscalXml: b64(changed) });
      assert.equal(r.status, 409);
      assert.equal(r.body.code, 'conflict');
      assert.match(String(r.body.message), /内容不同/);
    });

    it('refuses a tampered document (content changed after signing) with unit-signature-invalid', async () => {
      const tampered = issuedXml.replace('<PayerPartyName>张三</PayerPartyName>', '<PayerPartyName>李四</PayerPartyName>');
      assert.notEqual(tampered, issuedXml);
      const r = await postUpload(sim.url, { ...bill, fiscalXml: b64(tampered) });
      assert.equal(r.status, 422);
      assert.equal(r.body.ok, false);
      assert.equal(r.body.code, 'unit-signature-invalid');
      assert.match(String(r.body.message), /篡改/);
    });

    it('refuses a document signed by a certificate outside the trust roots', async () => {
      const stranger = generateDemoPki().unitSigning;
      const r = await postUpload(sim.url, { ...bill, fiscalXml: b64(signedDocument(content, stranger)) });
      assert.equal(r.status, 422);
      assert.equal(r.body.code, 'unit-cert-untrusted');
      assert.match(String(r.body.detail), /UNTRUSTED_ROOT/);
    });

    it('refuses a request whose identity differs from the signed document', async () => {
      const wrongRandom = bill.random === '000000' ? '000001' : '000000';
      const r = await postUpload(sim.url, { ...bill, random: wrongRandom, fiscalXml: b64(issuedXml) });
      assert.equal(r.status, 422);
      assert.equal(r.body.code, 'identity-mismatch');
      const r2 = await postUpload(sim.url, { ...bill, billNo: '0000000999', fiscalXml: b64(issuedXml) });
      assert.equal(r2.body.code, 'identity-mismatch');
    });

    it('refuses an unsigned document, a garbage signature and a document with a DTD', async () => {
      const unsigned = issuedXml.replace(/<InvoicingPartySignature[^>]*>[^<]*<\/InvoicingPartySignature>/, '');
      let r = await postUpload(sim.url, { ...bill, fiscalXml: b64(unsigned) });
      assert.deepEqual([r.status, r.body.code], [422, 'unit-signature-missing']);

      const garbage = issuedXml.replace(/(<InvoicingPartySignature[^>]*>)[^<]*/, '$1AAAABBBBCCCC');
      r = await postUpload(sim.url, { ...bill, fiscalXml: b64(garbage) });
      assert.deepEqual([r.status, r.body.code], [422, 'unit-signature-malformed']);

      const dtd = issuedXml.replace('<EInvoice>', '<!DOCTYPE EInvoice [<!ENTITY x "y">]><EInvoice>');
      r = await postUpload(sim.url, { ...bill, fiscalXml: b64(dtd) });
      assert.deepEqual([r.status, r.body.code], [422, 'not-fiscal-xml']);

      const junkBefore = issuedXml.replace('<EInvoice>', '<EInvoice><Fake>1</Fake>');
      r = await postUpload(sim.url, { ...bill, fiscalXml: b64(junkBefore) });
      assert.deepEqual([r.status, r.body.code], [422, 'not-fiscal-xml']);

      const broken = issuedXml.replace('</Main>', '');
      r = await postUpload(sim.url, { ...bill, fiscalXml: b64(broken) });
      assert.deepEqual([r.status, r.body.code], [422, 'not-fiscal-xml']);
    });

    it('refuses plain XML, bad Base64 and non-UTF-8 bytes as bad-encoding', async () => {
      let r = await postUpload(sim.url, { ...bill, fiscalXml: issuedXml });
      assert.deepEqual([r.status, r.body.code], [422, 'bad-encoding']);
      assert.match(String(r.body.detail), /plain XML/);
      r = await postUpload(sim.url, { ...bill, fiscalXml: '@@not base64@@' });
      assert.deepEqual([r.status, r.body.code], [422, 'bad-encoding']);
      r = await postUpload(sim.url, { ...bill, fiscalXml: Buffer.from([0xff, 0xfe, 0xc3, 0x28]).toString('base64') });
      assert.deepEqual([r.status, r.body.code], [422, 'bad-encoding']);
    });

    it('answers hostile or malformed bodies with 4xx JSON and keeps serving', async () => {
      const cases: [unknown, string | undefined, number][] = [
        [undefined, '{"billBatchCode":', 400],
        [undefined, '[1,2,3]', 400],
        [undefined, 'null', 400],
        [{ billBatchCode: 44060126, billNo: bill.billNo, random: bill.random, fiscalXml: 'x' }, undefined, 400],
        [{ billBatchCode: '4406<script>', billNo: bill.billNo, random: bill.random, fiscalXml: 'x' }, undefined, 400],
        [{ billBatchCode: bill.billBatchCode, billNo: bill.billNo, random: bill.random, fiscalXml: { $ne: 1 } }, undefined, 400],
        [undefined, '{"__proto__":{"billBatchCode":"44060126","billNo":"1","random":"a","fiscalXml":"PA=="}}', 400],
      ];
      for (const [body, raw, status] of cases) {
        const r = await postUpload(sim.url, body, raw);
        assert.equal(r.status, status, `${raw ?? JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
        assert.equal(r.body.ok, false);
        assert.equal(r.body.code, 'bad-request');
        assert.ok(!JSON.stringify(r.body).includes('at '), 'no stack trace');
      }
      const health = await fetch(`${sim.url}/healthz`);
      assert.equal(health.status, 200);
    });

    it('caps the body size (413 body-too-large)', async () => {
      const small = await startSimulator(tempDir(), 0, { finance: { bodyLimitBytes: 4096 } });
      try {
        const r = await postUpload(small.url, { ...bill, fiscalXml: b64(issuedXml) });
        assert.equal(r.status, 413);
        assert.equal(r.body.code, 'body-too-large');
      } finally {
        await small.close();
      }
    });

    it('keeps the accepted bill in its own database file', async () => {
      const db = openDb(`sqlite:${financeDbFile(dir)}`);
      try {
        const rows = await db('fin_bills').select('bill_batch_code', 'bill_no', 'payer', 'total_amount', 'supervisor_signature', 'fiscal_xml');
        assert.equal(rows.length, 1);
        assert.deepEqual([rows[0].bill_batch_code, rows[0].bill_no, rows[0].payer, rows[0].total_amount], [bill.billBatchCode, bill.billNo, '张三', '236.50']);
        assert.equal(rows[0].supervisor_signature, supervisorSignature);
        assert.equal(rows[0].fiscal_xml, issuedXml, 'stored byte for byte as uploaded');
      } finally {
        await db.destroy();
      }
    });
  });

  describe('/billcheck', () => {
    const q = () => ({ billBatchCode: bill.billBatchCode, billNo: bill.billNo, random: bill.random });

    it('finds the bill with both signatures verified and the payer shown to whoever named them', async () => {
      const r = await billcheck(sim.url, { ...q(), payer: '张三' });
      assert.equal(r.status, 200);
      assert.equal(r.body.found, true);
      const b = r.body.bill as Record<string, unknown>;
      assert.equal(b.billBatchCode, bill.billBatchCode);
      assert.equal(b.billNo, bill.billNo);
      assert.equal(b.totalAmount, '236.50');
      assert.match(String(b.issueDate), /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(b.payer, '张三');
      assert.equal(b.payerMasked, false);
      assert.equal(b.billName, '广东省医疗门诊收费票据（电子）');
      const pki = loadOrCreateDemoPki(dir);
      const sigs = r.body.signatures as Record<string, { verified: boolean; signer: string; serial: string }>;
      assert.equal(sigs.unit.verified, true);
      assert.equal(sigs.unit.serial, pki.unitSigning.serialHex);
      assert.match(sigs.unit.signer, /medbill 演示医院 签名/);
      assert.equal(sigs.supervisor.verified, true);
      assert.equal(sigs.supervisor.serial, pki.financeSigning.serialHex);
      assert.match(sigs.supervisor.signer, /财政/);
    });

    it('masks the payer when the asker did not give the name, and accepts an upper-case check code', async () => {
      const r = await billcheck(sim.url, { ...q(), random: bill.random.toUpperCase() });
      assert.equal(r.body.found, true);
      const b = r.body.bill as Record<string, unknown>;
      assert.equal(b.payer, '张*');
      assert.equal(b.payerMasked, true);
      assert.ok(!JSON.stringify(r.body).includes('张三'));
      assert.ok(!JSON.stringify(r.body).includes('440106199001011234'), 'never the ID number');
    });

    it('answers a wrong check code, a wrong payer and an unknown number identically: not found', async () => {
      const wrongCode = await billcheck(sim.url, { ...q(), random: bill.random === 'abcdef' ? 'abcdee' : 'abcdef' });
      const wrongPayer = await billcheck(sim.url, { ...q(), payer: '李四' });
      const unknown = await billcheck(sim.url, { ...q(), billNo: '0009999999' });
      for (const r of [wrongCode, wrongPayer, unknown]) {
        assert.equal(r.status, 200);
        assert.equal(r.body.found, false);
        assert.deepEqual(r.body, unknown.body);
      }
      assert.match(String(unknown.body.message), /未查询到/);
    });

    it('says which fields are missing (400 in JSON)', async () => {
      const r = await billcheck(sim.url, { billBatchCode: bill.billBatchCode });
      assert.equal(r.status, 400);
      assert.equal(r.body.found, false);
      assert.match(String(r.body.message), /票据号码/);
    });

    it('reports a signature that no longer verifies when the stored text was altered', async () => {
      // Someone edits the finance database behind the simulator's back: the page must notice.
      const db = openDb(`sqlite:${financeDbFile(dir)}`);
      try {
        await db('fin_bills').update({ fiscal_xml: issuedXml.replace('<TotalAmount>236.50</TotalAmount>', '<TotalAmount>23.65</TotalAmount>') });
        const r = await billcheck(sim.url, q());
        const sigs = r.body.signatures as Record<string, { verified: boolean; detail: string }>;
        assert.equal(sigs.unit.verified, false);
        assert.equal(sigs.supervisor.verified, false);
        assert.match(sigs.unit.detail, /signature-invalid|digest-mismatch/);
        const html = await (await fetch(`${sim.url}/billcheck?${new URLSearchParams(q())}`)).text();
        assert.match(html, /签名验证未通过/);
      } finally {
        await db('fin_bills').update({ fiscal_xml: issuedXml });
        await db.destroy();
      }
      const back = await billcheck(sim.url, q());
      assert.equal((back.body.signatures as Record<string, { verified: boolean }>).unit.verified, true);
    });

    it('serves a Chinese, phone-sized HTML page by default, by GET query and by POSTed form', async () => {
      const get = await fetch(`${sim.url}/billcheck?${new URLSearchParams({ ...q(), payer: '张三' })}`);
      assert.equal(get.status, 200);
      assert.match(get.headers.get('content-type') ?? '', /text\/html/);
      const page = await get.text();
      assert.match(page, /<html lang="zh-CN">/);
      assert.match(page, /name="viewport"/);
      assert.match(page, /查验通过/);
      assert.match(page, /张三/);
      assert.match(page, /236\.50/);
      assert.match(page, /开票单位签名<\/dt><dd class="ok">验证通过/);
      assert.match(page, /财政监制签名<\/dt><dd class="ok">验证通过/);

      const post = await fetch(`${sim.url}/billcheck`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...q(), payer: '<script>alert(1)</script>' }).toString(),
      });
      const notFound = await post.text();
      assert.match(notFound, /未查询到该电子票据/);
      assert.ok(!notFound.includes('<script>alert(1)</script>'), 'input is escaped');
      assert.match(notFound, /&lt;script&gt;/);

      const postJson = await fetch(`${sim.url}/billcheck`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(q()).toString(),
      });
      assert.equal(((await postJson.json()) as { found: boolean }).found, true);

      const empty = await (await fetch(`${sim.url}/billcheck`)).text();
      assert.match(empty, /<form method="post"/);
      assert.ok(!empty.includes('未查询到'));
    });
  });
});
