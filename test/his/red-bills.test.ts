/**
 * Red bills (冲红) end to end over the JSON channel, on SQLite and MariaDB: writeOffEBill issues a new
 * e-bill with its own number and check code whose fiscal XML carries negative amounts and the related
 * bill, signed and queued for the finance upload like a blue one; the blue bill is marked scarlet in the
 * same transaction; a repeat (also concurrent) answers the same red bill; a bill linked to paper or
 * booked is refused; writeOffEBillToPaper prints the red bill on the next paper number; a partial refund
 * is a write-off then a new bill; and a red number held by a killed process is completed or voided by
 * recovery at the next start.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InProcessSigner } from '../../adapters/ca/in-process-signer';
import { loadUnitSigningKey } from '../../adapters/ca/key-material';
import { splitFiscalXml } from '../../src/domain/fiscal-xml';
import { fen } from '../../src/domain/money';
import type { SignResult, Signer } from '../../src/engine/signer';
import type { BillRow } from '../../src/store/bills';
import { callJson, dbKinds, DbKind, freshDb, startTestApp } from '../helpers/app';
import { CHINESE, Json, sample, TestApp, uniqueBusNo } from './his-helpers';

const BUS_DATE = '20261125093015123';
const RED_DATE = '20261126101000000';

/** Signs for real, or (killed) never returns, as a CA call in a process that is then killed. */
class KillableSigner implements Signer {
  readonly name = 'killable';
  real?: Signer;
  dead = false;
  use(app: TestApp): this {
    const k = loadUnitSigningKey(app.config);
    this.real = new InProcessSigner(app.services.pool, k.id, k.serialHex);
    return this;
  }
  signDetached(content: string, ctx?: { msgId?: string; busNo?: string }): Promise<SignResult> {
    if (this.dead) return new Promise<SignResult>(() => undefined);
    return this.real!.signDetached(content, ctx);
  }
  async close(): Promise<void> {}
}

async function issue(app: TestApp, busNo = uniqueBusNo('RED'), s: Json = sample(busNo)): Promise<Json> {
  const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', s);
  assert.equal(r.result, 'S0000', r.text);
  return r.body!;
}

const writeOff = (app: TestApp, bill: Json, extra: Json = {}) =>
  callJson(app.baseUrl, 'writeOffEBill', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, reason: '退费', operator: '张三', busDateTime: RED_DATE, placeCode: 'MZSF01', ...extra });

async function billRow(app: TestApp, billBatchCode: unknown, billNo: unknown): Promise<BillRow> {
  await app.services.writer.drain();
  const r = await app.services.bills.byNumber(String(billBatchCode), String(billNo));
  assert.ok(r, `bill ${String(billBatchCode)}-${String(billNo)} not stored`);
  return r;
}

/** What turnPaper (the paper part) writes on the e-bill: the current paper link (migration 009). */
async function linkPaper(app: TestApp, bill: Json, paperNo: string): Promise<void> {
  await app.services.db('bills').where({ bill_batch_code: bill.billBatchCode, bill_no: bill.billNo }).update({ paper_batch_code: '44060126', paper_no: paperNo, paper_time: BUS_DATE });
}

/** A partial refund's remaining bill: the sample's first charge line only (25.00 paid in cash). */
function remainder(busNo: string): Json {
  const s = sample(busNo);
  const charges = s.chargeDetail as Json[];
  const lists = s.listDetail as Json[];
  return {
    ...s,
    totalAmt: 25.0,
    accountPay: 0,
    fundPay: 0,
    otherfundPay: 0,
    ownPay: 0,
    selfPayAmt: 0,
    selfCashPay: 25.0,
    reimbursementAmt: 0,
    chargeDetail: [charges[0]],
    listDetail: [lists[0]],
    payChannelDetail: [{ payChannelCode: '02', payChannelValue: 25.0 }],
  };
}

for (const db of dbKinds()) {
  describe(`red bills: writeOffEBill and writeOffEBillToPaper (${db})`, function () {
    this.timeout(60_000);
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db });
    });
    after(async () => app?.stop());

    it('a red bill has its own number and check code, negative amounts and the related bill in its signed XML, and is queued for finance', async () => {
      const blue = await issue(app);
      const r = await writeOff(app, blue);
      assert.equal(r.result, 'S0000', r.text);
      const red = r.body!;
      assert.equal(red.eScarletBillBatchCode, blue.billBatchCode);
      assert.notEqual(red.eScarletBillNo, blue.billNo);
      assert.match(String(red.eScarletRandom), /^[0-9a-f]{6}$/);
      assert.match(String(red.billQRCode), /^iVBOR/);
      assert.equal(red.pictureUrl, `http://127.0.0.1:17001/h5/ebill/${String(red.eScarletBillBatchCode)}/${String(red.eScarletBillNo)}?random=${String(red.eScarletRandom)}`);

      const row = await billRow(app, red.eScarletBillBatchCode, red.eScarletBillNo);
      const blueRow = await billRow(app, blue.billBatchCode, blue.billNo);
      assert.equal(row.kind, 'red');
      assert.equal(row.state, 'issued');
      assert.equal(row.related_bill_id, blueRow.id);
      assert.equal(row.bus_no, null, 'the busNo stays the blue bill\'s');
      assert.equal(row.bill_kind, 'outpatient');
      assert.equal(row.total_amt, '-236.50');
      assert.equal(row.operator, '张三');
      assert.equal(row.red_reason, '退费');
      assert.equal(blueRow.scarlet, '1');
      const xml = splitFiscalXml(row.fiscal_xml!)!;
      assert.ok(xml.unitSignature, 'signed with the unit key');
      assert.match(xml.content, /<TotalAmount>-236\.50<\/TotalAmount>/);
      assert.match(xml.content, /<ItemAmount>-25\.00<\/ItemAmount>/);
      assert.match(xml.content, /<ItemStd>25\.00<\/ItemStd>/, 'unit prices stay positive');
      assert.match(xml.content, new RegExp(`<RelatedInvoiceCode>${String(blue.billBatchCode)}</RelatedInvoiceCode><RelatedInvoiceNumber>${String(blue.billNo)}</RelatedInvoiceNumber>`));
      assert.match(xml.content, new RegExp(`<RandomNumber>${String(red.eScarletRandom)}</RandomNumber>`));
      const jobs = await app.services.db('outbox').where({ topic: 'finance-upload', job_key: `${String(red.eScarletBillBatchCode)}-${String(red.eScarletBillNo)}` });
      assert.equal(jobs.length, 1, 'uploaded like a blue bill');

      // The lookups report it: getEBillByBusNo and getEBillStatesByBillInfo name the red bill.
      const q = await callJson(app.baseUrl, 'getEBillByBusNo', { busNo: blueRow.bus_no, busDateTime: BUS_DATE });
      assert.equal(q.body!.isScarlet, '1');
      assert.equal(q.body!.scarletBillNo, red.eScarletBillNo);
      assert.equal(q.body!.scarletRandom, red.eScarletRandom);
    });

    it('a repeat write-off answers the SAME red bill (S0000, same fields), taking no number', async () => {
      const blue = await issue(app);
      const first = await writeOff(app, blue);
      assert.equal(first.result, 'S0000', first.text);
      const before = await app.services.db('bills').where({ kind: 'red' }).count({ n: '*' });
      const again = await writeOff(app, blue, { reason: '重复冲红', busDateTime: '20261127101000000' });
      assert.equal(again.result, 'S0000', again.text);
      assert.deepEqual(again.body, first.body);
      assert.deepEqual(await app.services.db('bills').where({ kind: 'red' }).count({ n: '*' }), before);
    });

    it('concurrent write-offs of one bill all answer one red bill; exactly one red row exists', async () => {
      const blue = await issue(app);
      const replies = await Promise.all(Array.from({ length: 6 }, () => writeOff(app, blue)));
      for (const r of replies) assert.equal(r.result, 'S0000', r.text);
      assert.equal(new Set(replies.map((r) => r.body!.eScarletBillNo)).size, 1);
      const blueRow = await billRow(app, blue.billBatchCode, blue.billNo);
      const reds = await app.services.db('bills').where({ related_bill_id: blueRow.id, kind: 'red' });
      assert.equal(reds.length, 1);
    });

    it('refused with a Chinese message naming billNo while the bill is linked to paper, and while it is booked', async () => {
      const paper = await issue(app);
      await linkPaper(app, paper, '0000009001');
      const r = await writeOff(app, paper);
      assert.equal(r.result, 'E2401');
      assert.match(r.text, /已换开纸质票据 44060126-0000009001，不能直接冲红/);
      assert.match(r.text, /invalidPaper/);

      const booked = await issue(app);
      await app.services.db('bills').where({ bill_batch_code: booked.billBatchCode, bill_no: booked.billNo }).update({ account_state: '1' });
      const b = await writeOff(app, booked);
      assert.equal(b.result, 'E2401');
      assert.match(b.text, /已入账/);
      assert.match(b.text, CHINESE);
      for (const bill of [paper, booked]) assert.equal((await billRow(app, bill.billBatchCode, bill.billNo)).scarlet, '0');
    });

    it('writeOffEBillToPaper red-flushes a bill turned to paper onto the next paper number; another number is refused (E2402) and takes nothing', async () => {
      const blue = await issue(app);
      await linkPaper(app, blue, '0000009002');
      const nextPaper = await app.services.db('stock_ranges').where({ place_code: 'MZSF01', medium: 'paper', bill_kind: 'outpatient' }).first();
      const expected = String(nextPaper.next_no).padStart(nextPaper.no_len, '0');
      const call = (pBillNo: string) =>
        callJson(app.baseUrl, 'writeOffEBillToPaper', { billBatchCode: blue.billBatchCode, billNo: blue.billNo, reason: '退费', operator: '张三', busDateTime: RED_DATE, placeCode: 'MZSF01', pBillBatchCode: '44060126', pBillNo });
      const wrong = await call('0000008888');
      assert.equal(wrong.result, 'E2402');
      assert.match(wrong.text, new RegExp(`应为 44060126-${expected}`));
      const still = await app.services.db('stock_ranges').where({ id: nextPaper.id }).first();
      assert.equal(Number(still.next_no), Number(nextPaper.next_no), 'the refused request took no paper number');

      const ok = await call(expected);
      assert.equal(ok.result, 'S0000', ok.text);
      const red = await billRow(app, ok.body!.eScarletBillBatchCode, ok.body!.eScarletBillNo);
      assert.equal(red.paper_no, expected);
      assert.equal((await billRow(app, blue.billBatchCode, blue.billNo)).scarlet, '1');
      // writeOffEBill on a paper bill is still refused, but a repeat of the paper write-off answers the same red bill
      assert.deepEqual((await call(expected)).body, ok.body);
    });

    it('a partial refund follows the spec: write off the whole bill, then issue a new busNo for the rest', async () => {
      const blue = await issue(app);
      const red = await writeOff(app, blue, { reason: '部分退费' });
      assert.equal(red.result, 'S0000', red.text);
      const rest = await issue(app, uniqueBusNo('REST'), remainder(uniqueBusNo('REST')));
      const restRow = await billRow(app, rest.billBatchCode, rest.billNo);
      assert.equal(restRow.total_amt, '25.00');
      assert.equal(restRow.kind, 'blue');
      // blue + red + rest = what the patient finally paid, exact to the fen
      const rows = await Promise.all([billRow(app, blue.billBatchCode, blue.billNo), billRow(app, red.body!.eScarletBillBatchCode, red.body!.eScarletBillNo), Promise.resolve(restRow)]);
      assert.equal(rows.map((r) => fen(r.total_amt!)).reduce((a, b) => a + b, 0n), 2500n);
    });
  });

  describe(`red bills: a red number held by a killed process (${db})`, function () {
    this.timeout(60_000);

    async function killedWhileSigningRed(dir: string, url: string): Promise<{ blue: Json; red: BillRow }> {
      const signer = new KillableSigner();
      const down = await startTestApp({ db, dir, dbUrl: url, signer });
      signer.use(down);
      const blue = await issue(down);
      signer.dead = true;
      const pending = writeOff(down, blue).catch(() => undefined); // the HIS never gets an answer
      let red: BillRow | undefined;
      for (let i = 0; i < 300 && !red; i++) {
        red = await down.services.db<BillRow>('bills').where({ kind: 'red', state: 'reserved' }).first();
        if (!red) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(red, 'the red number was taken before signing');
      assert.equal(red.answered_code, null);
      await down.stop();
      await pending;
      return { blue, red };
    }

    async function withStore(fn: (dir: string, url: string) => Promise<void>): Promise<void> {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-red-'));
      const store = db === 'sqlite' ? { url: `sqlite:${path.join(dir, 'medbill.sqlite')}`, drop: async () => undefined } : await freshDb(db as DbKind, dir);
      try {
        await fn(dir, store.url);
      } finally {
        await store.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it('is completed by recovery at the next start: the red bill issued with that number, the blue bill scarlet, a repeat answers it', async () => {
      await withStore(async (dir, url) => {
        const { blue, red } = await killedWhileSigningRed(dir, url);
        const up = await startTestApp({ db, dir, dbUrl: url });
        try {
          const done = await billRow(up, red.bill_batch_code, red.bill_no);
          assert.equal(done.state, 'issued');
          assert.match(splitFiscalXml(done.fiscal_xml!)!.content, /<TotalAmount>-236\.50<\/TotalAmount>/);
          assert.equal((await billRow(up, blue.billBatchCode, blue.billNo)).scarlet, '1');
          const again = await writeOff(up, blue);
          assert.equal(again.result, 'S0000', again.text);
          assert.equal(again.body!.eScarletBillNo, red.bill_no);
        } finally {
          await up.stop();
        }
      });
    });

    it('is voided by recovery with a reason when the blue bill changed meanwhile (turned to paper); the blue bill stays un-flushed', async () => {
      await withStore(async (dir, url) => {
        const { blue, red } = await killedWhileSigningRed(dir, url);
        // Another node turned the bill to paper while this one was down.
        const { openDb } = await import('../../src/store/db');
        const raw = openDb(url, {});
        await raw('bills').where({ bill_batch_code: blue.billBatchCode, bill_no: blue.billNo }).update({ paper_batch_code: '44060126', paper_no: '0000009003' });
        await raw.destroy();
        const up = await startTestApp({ db, dir, dbUrl: url });
        try {
          const voided = await billRow(up, red.bill_batch_code, red.bill_no);
          assert.equal(voided.state, 'voided');
          assert.match(String(voided.void_reason), /状态已变化/);
          assert.equal(voided.live_red_of, null, 'the voided number no longer holds the blue bill\'s red slot');
          const blueRow = await billRow(up, blue.billBatchCode, blue.billNo);
          assert.equal(blueRow.scarlet, '0');
        } finally {
          await up.stop();
        }
      });
    });
  });
}
