/**
 * What is stored and served is byte-identical to what was signed (issue 7 §4), on SQLite and on
 * MariaDB: fast-check issues valid bills whose payer and other free-text fields hold arbitrary
 * signable Unicode (every plane, combining marks, emoji, U+3000, private use, tab/LF in remarks…).
 * For every bill: the text the signer was given, the signed text sliced out of the stored fiscal XML
 * and out of the served download (GET …/ebill/{code}/{no}.xml?random=…) are the same bytes; that
 * text is well-formed Unicode (it survives UTF-8 unchanged); the payer is in it as the mapping made it;
 * and the unit signature (verifyP7) verifies over the served bytes.
 * The signer records what it signs and signs with the app's own unit key (nothing mocked).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InProcessSigner } from '../../adapters/ca/in-process-signer';
import { loadUnitSigningKey } from '../../adapters/ca/key-material';
import { verifyP7 } from '../../src/crypto';
import { splitFiscalXml } from '../../src/domain/fiscal-xml';
import type { SignResult, Signer } from '../../src/engine/signer';
import { findTextProblem, isBlank, TextRule } from '../../src/engine/text-rules';
import { xmlEscape } from '../../src/xml-escape';
import { callJson, dbKinds, DEMO_APPID, startTestApp } from '../helpers/app';
import { Json, sample, TestApp } from './his-helpers';

const RUNS = Number(process.env.MEDBILL_BYTES_RUNS ?? 25);
const BATCH = 4;

/** Signs for real with the app's unit key, and keeps every text it was given. */
class RecordingSigner implements Signer {
  readonly name = 'recording';
  readonly signed: string[] = [];
  private real?: InProcessSigner;

  bind(app: TestApp): void {
    const k = loadUnitSigningKey(app.config);
    this.real = new InProcessSigner(app.services.pool, k.id, k.serialHex);
  }
  signDetached(content: string): Promise<SignResult> {
    this.signed.push(content);
    return this.real!.signDetached(content);
  }
  signDetachedWithQr(content: string, qrText: string): Promise<SignResult & { qrPng: string }> {
    this.signed.push(content);
    return this.real!.signDetachedWithQr(content, qrText);
  }
  async close(): Promise<void> {
    /* the pool belongs to the app */
  }
}

const FREE: TextRule = { allow: new Set(), identifier: false };
const REMARK: TextRule = { allow: new Set([0x09, 0x0a]), identifier: false };
const ID: TextRule = { allow: new Set(), identifier: true };

/** Code points from every plane, with the characters that make text handling go wrong weighted up. */
const TRICKY = ['\u3000', '\u00a0', '\u200d', '\u200e', '\u0301', '\ufffd', '\ue000', '\u{f0000}', '😀', '👨‍👩‍👧', '𠀀', '\u{2ffff}', '&', '<', '>', '"', "'", ']]>', '\\', ' '];
const unit = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(...TRICKY) },
);
function textFor(rule: TextRule, maxLength: number, extra: string[] = []): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(unit, fc.constantFrom(' ', ...(extra.length ? extra : [' ']))), { minLength: 1, maxLength: 12 })
    .map((parts) => parts.join(''))
    .filter((s) => [...s].length <= maxLength && !findTextProblem(s, rule) && !isBlank(s));
}

interface Texts {
  payer: string;
  payee: string;
  remark: string;
  chargeName: string;
  listName: string;
  cardNo: string;
  busTail: string;
}

const texts: fc.Arbitrary<Texts> = fc.record({
  payer: textFor(FREE, 100),
  payee: textFor(FREE, 50),
  remark: textFor(REMARK, 200, ['\n', '\t']),
  chargeName: textFor(FREE, 100),
  listName: textFor(FREE, 50),
  cardNo: textFor(ID, 50),
  busTail: textFor(ID, 20),
});

/** JSONata's $trim (what the outpatient mapping does to payer). */
const jsonataTrim = (s: string) => s.replace(/[ \t\n\r]+/g, ' ').replace(/^ /, '').replace(/ $/, '');

let seq = 0;

function request(t: Texts): Json {
  const s = sample(`BYT${process.pid}-${(seq++).toString(36)}-${t.busTail}`);
  s.payer = t.payer;
  s.payee = t.payee;
  s.remark = t.remark;
  s.cardNo = t.cardNo;
  (s.chargeDetail as Json[])[0].chargeName = t.chargeName;
  (s.listDetail as Json[])[1].name = t.listName;
  return s;
}

for (const db of dbKinds())
  describe(`stored and served fiscal XML is byte-identical to what was signed (${db})`, function () {
    this.timeout(300_000);
    const signer = new RecordingSigner();
    let app: TestApp;
    before(async () => {
      // Every bill is downloaded once, fast, from one address: the bill-download rate limit would answer 429.
      app = await startTestApp({ db, signer, config: { limits: { billAccess: { perIp: { rate: 0, burst: 0 } } } } });
      signer.bind(app);
    });
    after(async () => app?.stop());

    async function issueAndCompare(t: Texts): Promise<void> {
      const req = request(t);
      const what = JSON.stringify(t);
      const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', req);
      assert.equal(r.result, 'S0000', `${r.text} — ${what}`);
      const { billBatchCode, billNo, random } = r.body as { billBatchCode: string; billNo: string; random: string };

      const signedText = signer.signed.find((c) => c.includes(`<EInvoiceCode>${billBatchCode}</EInvoiceCode><EInvoiceNumber>${billNo}</EInvoiceNumber>`));
      assert.ok(signedText, `the signer never saw bill ${billNo}`);
      const signedBytes = Buffer.from(signedText, 'utf8');
      assert.equal(signedBytes.toString('utf8'), signedText, `the signed text is not well-formed Unicode — ${what}`);

      const row = await app.services.bills.byBusNo(DEMO_APPID, String(req.busNo));
      assert.ok(row?.fiscal_xml, `no stored fiscal XML — ${what}`);
      const stored = splitFiscalXml(row.fiscal_xml);
      assert.ok(stored);
      assert.ok(Buffer.from(stored.content, 'utf8').equals(signedBytes), `stored text differs from signed text — ${what}`);

      const res = await fetch(`${app.baseUrl}/medical-web/ebill/${billBatchCode}/${billNo}.xml?random=${random}`);
      assert.equal(res.status, 200);
      const served = Buffer.from(await res.arrayBuffer());
      assert.ok(served.equals(Buffer.from(row.fiscal_xml, 'utf8')), `served bytes differ from the stored document — ${what}`);
      const start = served.indexOf('<Header>');
      const end = served.indexOf('<EInvoiceSignature>');
      const servedSigned = served.subarray(start, end);
      assert.ok(servedSigned.equals(signedBytes), `served signed text differs from signed text — ${what}`);

      assert.ok(signedText.includes(`<PayerPartyName>${xmlEscape(jsonataTrim(t.payer))}</PayerPartyName>`), `payer not as mapped — ${what}`);
      assert.ok(signedText.includes(`<Remark>${xmlEscape(t.remark)}</Remark>`), `remark not as sent — ${what}`);

      const p7 = Buffer.from(stored.unitSignature ?? '', 'base64');
      const v = verifyP7(p7, { content: servedSigned });
      assert.equal(v.valid, true, `unit signature does not verify over the served bytes: ${v.reason} ${v.detail ?? ''} — ${what}`);
    }

    it(`${RUNS * BATCH} bills with arbitrary signable text in payer, payee, remark, names, cardNo and busNo`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(texts, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          await Promise.all(batch.map(issueAndCompare));
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      assert.ok(signer.signed.length >= RUNS * BATCH);
    });
  });
