/**
 * The stock ledger on a real store (SQLite, and MariaDB when MEDBILL_TEST_MYSQL_URL is set): what the
 * administrator's movements do to the balances (computed from the ledger, never stored), what each
 * refused movement says, and that takeNumber draws from a place's ranges in order and then says "no
 * stock". Every case ends with the ledger walk: every number of every range in exactly one state.
 */
import assert from 'node:assert/strict';
import { dbKinds, startTestApp, TestApp } from '../helpers/app';
import { walkLedger } from '../helpers/stock-ledger';
import { takeNumber } from '../../src/store/stock';
import { stockRefusalError } from '../../src/engine/stock-errors';
import { eBillCodeFor, parseEBillCode, subtract } from '../../src/domain/stock';

const who = { operator: '票据管理员', source: 'cli' as const };

describe('bill codes and spans (pure rules)', () => {
  it('an e-bill code is province + category + kind + year, checked against the bill kind', () => {
    assert.deepEqual(parseEBillCode('44060126'), { province: '44', category: '06', kind: '01', year: 2026 });
    assert.equal(eBillCodeFor('44', 'inpatient', 2026), '44060226');
    assert.match((parseEBillCode('4406012') as { error: string }).error, /应为 8 位数字/);
    assert.match((parseEBillCode('99060126') as { error: string }).error, /99 不是省级行政区划代码/);
    assert.match((parseEBillCode('44060226', 'outpatient') as { error: string }).error, /0602 与票据种类 门诊（outpatient） 的编码 0601 不符/);
  });
  it('span subtraction cuts heads, tails and middles', () => {
    assert.deepEqual(subtract([{ start: 1, end: 10 }], [{ start: 1, end: 2 }, { start: 5, end: 6 }, { start: 10, end: 12 }]), [
      { start: 3, end: 4 },
      { start: 7, end: 9 },
    ]);
  });
});

for (const kind of dbKinds()) {
  describe(`stock ledger (${kind})`, function () {
    this.timeout(60_000);
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db: kind });
    });
    after(() => app?.stop());

    it('receive → distribute → take in order → return and void → balances and ledger follow; refusals name the range', async () => {
      const s = app.services.stock;
      assert.equal((await s.addPlace('P-LEDGER', '一号窗口', 'window')).ok, true);
      assert.deepEqual(await s.receive({ billBatchCode: '44060125', startNo: '0000000001', endNo: '0000000100', medium: 'ebill', billKind: 'outpatient' }, who), { ok: true, count: 100 });
      const twice = await s.receive({ billBatchCode: '44060125', startNo: '0000000100', endNo: '0000000200', medium: 'ebill', billKind: 'outpatient' }, who);
      assert.equal(twice.ok, false);
      if (!twice.ok) assert.match(stockRefusalError(twice).message, /票据代码 44060125 起始号码 0000000100 至终止号码 0000000200 的号段与已领入的号段重叠/);
      // Two ranges handed out in reverse order: numbers are still taken lowest first.
      assert.equal((await s.distribute('P-LEDGER', { billBatchCode: '44060125', startNo: '0000000011', endNo: '0000000020' }, who)).ok, true);
      assert.equal((await s.distribute('P-LEDGER', { billBatchCode: '44060125', startNo: '0000000001', endNo: '0000000005' }, who)).ok, true);
      const again = await s.distribute('P-OTHER', { billBatchCode: '44060125', startNo: '0000000001', endNo: '0000000001' }, who);
      assert.equal(again.ok, false);
      if (!again.ok) assert.match(stockRefusalError(again).message, /开票点 placeCode P-OTHER 未登记/);
      await s.addPlace('P-OTHER', '自助机', 'kiosk');
      const taken = await s.distribute('P-OTHER', { billBatchCode: '44060125', startNo: '0000000003', endNo: '0000000003' }, who);
      assert.equal(taken.ok, false, 'a number already at another place is not in the store');
      if (!taken.ok) assert.match(stockRefusalError(taken).message, /不在单位库存中/);

      const take = () => app.services.writer.run((tx) => takeNumber(tx, 'P-LEDGER', 'ebill', 'outpatient'));
      const got: string[] = [];
      for (let i = 0; i < 3; i++) got.push((await take())!.billNo);
      assert.deepEqual(got, ['0000000001', '0000000002', '0000000003']);
      // Void blank 0000000004 (the next one: a spoiled form) and 0000000015-16 (a middle: the range splits).
      assert.equal((await s.voidBlank('P-LEDGER', { billBatchCode: '44060125', startNo: '0000000004', endNo: '0000000004' }, '打印机卡纸', who)).ok, true);
      assert.equal((await s.voidBlank('P-LEDGER', { billBatchCode: '44060125', startNo: '0000000015', endNo: '0000000016' }, '票面污损', who)).ok, true);
      const used = await s.giveBack('P-LEDGER', { billBatchCode: '44060125', startNo: '0000000002', endNo: '0000000005' }, { ...who, reason: '撤并' });
      assert.equal(used.ok, false, 'numbers already used cannot be returned');
      if (!used.ok) assert.match(stockRefusalError(used).message, /起始号码 0000000002 至终止号码 0000000005 的号段不是开票点 P-LEDGER 持有的未使用号段/);
      assert.equal((await s.giveBack('P-LEDGER', { billBatchCode: '44060125', startNo: '0000000019', endNo: '0000000020' }, { ...who, reason: '撤并' })).ok, true);
      const order: string[] = [];
      for (let i = 0; i < 6; i++) order.push((await take())!.billNo);
      assert.deepEqual(order, ['0000000005', '0000000011', '0000000012', '0000000013', '0000000014', '0000000017']);
      assert.equal((await take())!.billNo, '0000000018');
      assert.equal(await take(), undefined, 'no stock left at the place');

      const held = await s.holdings({ billBatchCode: '44060125' });
      assert.deepEqual(
        held.map((h) => `${h.holder ?? 'store'} ${h.startNo}-${h.endNo} ${h.count}`),
        ['store 0000000006-0000000010 5', 'store 0000000019-0000000100 82'],
      );
      const { entries } = (await s.ledger('44060125', '0000000015', '0000000020')) as { entries: { what: string; reason: string | null }[] };
      assert.deepEqual(
        entries.map((e) => e.what),
        ['received', 'distributed', 'voided', 'returned'],
      );
      assert.equal(entries[2].reason, '票面污损');
      // Numbers taken without a bill row are a gap the walk must find (the issuance path always writes one).
      const walk = await walkLedger(app.services.db);
      assert.ok(walk.problems.some((p) => /44060125\/ebill: numbers in no state \(a gap\): 1-3, 5, 11-14, 17-18/.test(p)), walk.problems.join('\n'));
    });
  });
}
