/**
 * The paper store on SQLite and MariaDB: conversion, re-conversion, voiding and printing keep one paper
 * number per e-bill and one e-bill per paper number, in the place's order, also under concurrency; a
 * refused conversion gives the paper number back (its take rolls back).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { callJson, dbKinds, SAMPLE_FILE, startTestApp, TestApp } from '../helpers/app';

for (const kind of dbKinds()) {
  describe(`paper store: turn, reTurn, void, next number (${kind})`, function () {
    this.timeout(120000);
    let app: TestApp;
    const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
    const issue = async (busNo: string) => {
      const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo });
      assert.equal(r.result, 'S0000', r.text);
      return (await app.services.bills.byNumber(String(r.body!.billBatchCode), String(r.body!.billNo)))!;
    };
    const next = async () => {
      const n = await app.services.paper.nextPaper('MZSF01', '44060126');
      assert.ok(n.ok);
      return n.ok ? n.value.pBillNo : '';
    };
    const turn = (mode: 'turn' | 'reTurn', billId: number, pBillNo: string) =>
      app.services.paper.turn(mode, { billId, pBillBatchCode: '44060126', pBillNo, placeCode: 'MZSF01', operator: '张三', busDateTime: '20261125100000000', messageId: 'm' });

    before(async () => {
      app = await startTestApp({ db: kind });
    });
    after(async () => app?.stop());

    it('a refused conversion (wrong number) takes nothing: the next number stays', async () => {
      const b = await issue('PS-1');
      const before = await next();
      const r = await turn('turn', b.id, '0000009000');
      assert.ok(!r.ok && r.refusal.code === 'E2230');
      assert.equal(await next(), before);
      const ok = await turn('turn', b.id, before);
      assert.ok(ok.ok);
      const row = await app.services.bills.byId(b.id);
      assert.equal(row!.paper_no, before);
      assert.match(row!.paper_time!, /^\d{17}$/);
    });

    it('reTurn voids the old paper and links the new; invalidPaper\'s void ends the link once', async () => {
      const b = await issue('PS-2');
      const first = await next();
      assert.ok((await turn('turn', b.id, first)).ok);
      const second = await next();
      const r = await turn('reTurn', b.id, second);
      assert.ok(r.ok && r.value.voided?.paper_no === first);
      const old = await app.services.paper.paperByNumber('44060126', first);
      assert.equal(old!.state, 'voided');
      assert.match(old!.reason!, /重新换开为纸质票据 44060126-/);
      const v = await app.services.paper.voidLinked({ pBillBatchCode: '44060126', pBillNo: second, author: '李四', reason: '退费', busDateTime: '20261125120000000' });
      assert.ok(v.ok && !v.value.resumed && v.value.billId === b.id);
      assert.equal((await app.services.bills.byId(b.id))!.paper_no, null);
      const again = await app.services.paper.voidLinked({ pBillBatchCode: '44060126', pBillNo: second, author: '李四', reason: '退费', busDateTime: '20261125120000000' });
      assert.ok(again.ok && again.value.resumed, 'a resent invalidPaper resumes');
      const after = await turn('turn', b.id, await next());
      assert.ok(!after.ok && after.refusal.code === 'E2224', 'an e-bill whose paper was voided does not convert again');
      assert.equal((await app.services.paper.paperHistory(b.id)).length, 2);
      // The stock ledger of those paper numbers shows their use, not just the range they came from.
      const ledger = await app.services.stock.ledger('44060126', first, second);
      assert.ok(ledger.ok);
      const uses = ledger.entries.filter((e) => e.what === 'usedPaper' || e.what === 'voidedPaper').map((e) => [e.startNo, e.what]);
      assert.deepEqual(uses, [
        [first, 'voidedPaper'],
        [second, 'voidedPaper'],
      ]);
    });

    it('ten e-bills converting at once onto the same next number: exactly one wins, the rest are told the next number', async () => {
      const bills = [];
      for (let i = 0; i < 10; i++) bills.push(await issue(`PS-C-${i}`));
      const n = await next();
      const results = await Promise.all(bills.map((b) => turn('turn', b.id, n)));
      const won = results.filter((r) => r.ok);
      assert.equal(won.length, 1);
      for (const r of results.filter((x) => !x.ok)) assert.ok(!r.ok && ['E2230', 'E2212'].includes(r.refusal.code), JSON.stringify(r));
      assert.notEqual(await next(), n);
    });

    it('voiding blanks records a stock movement with the reason (the ledger shows it); a printed paper is printed again only with an approved application', async () => {
      const start = await next();
      const end = String(Number(start) + 2).padStart(start.length, '0');
      const v = await app.services.paper.voidBlanks({ placeCode: 'MZSF01', pBillBatchCode: '44060126', start, end, author: '张三', reason: '卡纸', busDateTime: '20261125100000000', messageId: 'm' });
      assert.ok(v.ok && v.value.count === 3);
      assert.equal(Number(await next()), Number(end) + 1);
      const ledger = await app.services.stock.ledger('44060126', start, end);
      assert.ok(ledger.ok && ledger.entries.some((e) => e.what === 'voided' && e.reason === '空白票作废：卡纸' && e.operator === '张三'), JSON.stringify(ledger));
      const twice = await app.services.paper.voidBlanks({ placeCode: 'MZSF01', pBillBatchCode: '44060126', start, end, author: '张三', reason: '卡纸', busDateTime: '20261125100000000', messageId: 'm' });
      assert.ok(!twice.ok && twice.refusal.code === 'E2237');
      const b = await issue('PS-P-1');
      const t = await turn('turn', b.id, await next());
      assert.ok(t.ok);
      const paperId = t.ok ? t.value.paper.id : 0;
      const print = () => app.services.paper.recordPrint({ serviceId: 'printPaperBill', document: 'paper-bill', billId: b.id, paperBillId: paperId, pdf: Buffer.from('%PDF-test'), messageId: 'm' });
      assert.ok((await print()).ok);
      const again = await print();
      assert.ok(!again.ok && again.refusal.code === 'E2215');
      const paper = await app.services.paper.paperByNumber('44060126', t.ok ? t.value.paper.paper_no : '');
      const a = await app.services.paper.applyReprint(paper!.paper_batch_code, paper!.paper_no, 'demo-cashier', '遗失');
      assert.ok(a.ok);
      const id = a.ok ? a.value.id : 0;
      assert.ok((await app.services.paper.decideReprint(id, 'demo-supervisor', true)).ok);
      const [one, two] = await Promise.all([print(), print()]);
      assert.equal([one, two].filter((r) => r.ok).length, 1, 'one approval, one reprint, also when two prints race');
    });
  });
}
