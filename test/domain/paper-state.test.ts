/**
 * The paper state machines, cell by cell: every transition of the paper bill, the e-bill ↔ paper link
 * and the e-bill, the refused ones with their HIS code and the Chinese message the HIS receives.
 */
import assert from 'node:assert/strict';
import { decideEBill, EBILL_TRANSITIONS, ebillState, EBillEvent, EBillState } from '../../src/domain/ebill-state';
import { decideLink, LINK_TRANSITIONS, LinkEvent, linkState, LinkState } from '../../src/domain/paper-link-state';
import { decidePaper, PAPER_TRANSITIONS, PaperEvent, PaperState } from '../../src/domain/paper-state';
import { Decision, refusals } from '../../src/domain/state-machine';
import { fill, HIS_CODES, HisCodeSpec } from '../../src/engine/codes';

const PARAMS = { bill: '44060126-0000000001', paper: '44060126-0000000009' };

/** target state, or [code, message regex] for a refusal */
type Want<S> = S | 'stay' | [string, RegExp];

function check<S extends string>(d: Decision<S>, from: S, want: Want<S>, where: string): void {
  if (Array.isArray(want)) {
    assert.equal(d.ok, false, `${where} should be refused`);
    if (d.ok) return;
    assert.equal(d.refusal.code, want[0], where);
    const spec = (HIS_CODES as Record<string, HisCodeSpec>)[d.refusal.code];
    assert.ok(spec, `${where}: ${d.refusal.code} is in codes.ts`);
    const template = spec.messages[d.refusal.message];
    assert.ok(template, `${where}: ${d.refusal.code}.${d.refusal.message} is a template`);
    assert.match(fill(template, PARAMS), want[1], where);
    return;
  }
  assert.equal(d.ok, true, `${where} should be allowed, got ${d.ok ? '' : d.refusal.code}`);
  if (!d.ok) return;
  if (want === 'stay') assert.deepEqual([d.to, d.changed], [from, false], where);
  else assert.deepEqual([d.to, d.changed], [want, want !== from], where);
}

describe('paper bill state machine (src/domain/paper-state.ts)', () => {
  const want: Record<PaperState, Record<PaperEvent, Want<PaperState>>> = {
    blank: {
      turn: 'linked',
      print: ['E2210', /^纸质票据 pBillNo 44060126-0000000009 尚未换开电子票据，不能打印；请先用 turnPaper 换开$/],
      reprint: ['E2210', /尚未换开电子票据，不能打印/],
      voidLinked: ['E2211', /^纸质票据 pBillNo 44060126-0000000009 尚未换开电子票据，空白纸票请用 invalidBlankBillNo 作废$/],
      voidBlank: 'voided',
    },
    linked: {
      turn: ['E2212', /^纸质票据 pBillNo 44060126-0000000009 已换开电子票据 billNo 44060126-0000000001，不能再次使用$/],
      print: 'printed',
      reprint: ['E2213', /尚未打印，无需补打，请用 printPaperBill 打印/],
      voidLinked: 'voided',
      voidBlank: ['E2214', /已换开电子票据 billNo 44060126-0000000001，不是空白票；作废已换开的纸质票据请用 invalidPaper/],
    },
    printed: {
      turn: ['E2212', /不能再次使用/],
      print: ['E2215', /已打印过，补打须先提交补打申请并由另一名主管审批/],
      reprint: 'stay',
      voidLinked: 'voided',
      voidBlank: ['E2214', /不是空白票/],
    },
    voided: {
      turn: ['E2216', /^纸质票据 pBillNo 44060126-0000000009 已作废，不能使用；请用下一张纸质票据（getPaperBillNo）$/],
      print: ['E2217', /^纸质票据 pBillNo 44060126-0000000009 已作废，不能打印$/],
      reprint: ['E2217', /已作废，不能打印/],
      voidLinked: 'stay',
      voidBlank: ['E2218', /^纸质票据 pBillNo 44060126-0000000009 已作废，不能重复作废$/],
    },
  };
  for (const [state, events] of Object.entries(want) as [PaperState, Record<PaperEvent, Want<PaperState>>][])
    for (const [event, w] of Object.entries(events) as [PaperEvent, Want<PaperState>][])
      it(`${state} --${event}--> ${Array.isArray(w) ? `refused ${w[0]}` : w}`, () => check(decidePaper(state, event), state, w, `${state}.${event}`));

  it('the test covers every cell of the table (a new state or event needs its cases)', () => {
    assert.deepEqual(Object.keys(PAPER_TRANSITIONS).sort(), Object.keys(want).sort());
    for (const s of Object.keys(want) as PaperState[]) assert.deepEqual(Object.keys(PAPER_TRANSITIONS[s]).sort(), Object.keys(want[s]).sort());
  });
});

describe('e-bill ↔ paper link state machine (src/domain/paper-link-state.ts)', () => {
  const want: Record<LinkState, Record<LinkEvent, Want<LinkState>>> = {
    none: {
      turn: 'linked',
      reTurn: ['E2220', /^电子票据 billNo 44060126-0000000001 尚未换开纸质票据，请用 turnPaper 换开$/],
      endByVoid: ['E2221', /当前没有换开纸质票据 pBillNo 44060126-0000000009，不能作废该纸质票据/],
      redFlush: 'stay',
    },
    linked: {
      turn: ['E2222', /已换开纸质票据 pBillNo 44060126-0000000009，一张电子票据只能换开一次；换用新纸票请用 reTurnPaper（原纸票将作废）/],
      reTurn: 'stay',
      endByVoid: 'ended',
      redFlush: ['E2223', /请先用 invalidPaper 作废纸质票据（同时冲红），或用 writeOffEBillToPaper/],
    },
    ended: {
      turn: ['E2224', /换开的纸质票据已作废（已冲红），不能再次换开/],
      reTurn: ['E2225', /换开的纸质票据已作废（已冲红），不能重新换开/],
      endByVoid: 'stay',
      redFlush: 'stay',
    },
  };
  for (const [state, events] of Object.entries(want) as [LinkState, Record<LinkEvent, Want<LinkState>>][])
    for (const [event, w] of Object.entries(events) as [LinkEvent, Want<LinkState>][])
      it(`${state} --${event}--> ${Array.isArray(w) ? `refused ${w[0]}` : w}`, () => check(decideLink(state, event), state, w, `${state}.${event}`));

  it('covers every cell', () => {
    for (const s of Object.keys(want) as LinkState[]) assert.deepEqual(Object.keys(LINK_TRANSITIONS[s]).sort(), Object.keys(want[s]).sort());
  });

  it('reads the state from the bill row: paper_no set = linked; cleared after voided paper = ended', () => {
    assert.equal(linkState({ paper_no: '0000000009' }, false), 'linked');
    assert.equal(linkState({ paper_no: null }, true), 'ended');
    assert.equal(linkState({ paper_no: null }, false), 'none');
  });
});

describe('e-bill state machine (src/domain/ebill-state.ts)', () => {
  const want: Record<EBillState, Record<EBillEvent, Want<EBillState>>> = {
    reserved: { complete: 'issued', voidReservation: 'voided', redFlush: ['E2201', /尚未开具完成，不能冲红/], turnPaper: ['E2203', /尚未开具完成，不能换开纸质票据/], print: ['E2206', /尚未开具完成，不能打印/] },
    issued: { complete: 'stay', voidReservation: ['E2208', /已开具，不能作废号码；退费请用 writeOffEBill 冲红/], redFlush: 'redFlushed', turnPaper: 'stay', print: 'stay' },
    redFlushed: { complete: 'stay', voidReservation: ['E2208', /已开具/], redFlush: 'stay', turnPaper: ['E2205', /已冲红，不能换开纸质票据/], print: 'stay' },
    voided: { complete: ['E2209', /已作废，不能完成开票/], voidReservation: 'stay', redFlush: ['E2202', /已作废（未开具成票据），不能冲红/], turnPaper: ['E2204', /已作废，不能换开纸质票据/], print: ['E2207', /已作废，不能打印/] },
  };
  for (const [state, events] of Object.entries(want) as [EBillState, Record<EBillEvent, Want<EBillState>>][])
    for (const [event, w] of Object.entries(events) as [EBillEvent, Want<EBillState>][])
      it(`${state} --${event}--> ${Array.isArray(w) ? `refused ${w[0]}` : w}`, () => check(decideEBill(state, event), state, w, `${state}.${event}`));

  it('covers every cell, and reads the state from the row (scarlet 1 = red-flushed)', () => {
    for (const s of Object.keys(want) as EBillState[]) assert.deepEqual(Object.keys(EBILL_TRANSITIONS[s]).sort(), Object.keys(want[s]).sort());
    assert.equal(ebillState({ state: 'issued', scarlet: '1' }), 'redFlushed');
    assert.equal(ebillState({ state: 'issued', scarlet: '0' }), 'issued');
    assert.equal(ebillState({ state: 'reserved' }), 'reserved');
  });
});

describe('refusal codes of the machines', () => {
  it('every refusal names an E22xx code of the paper block and one of its message templates', () => {
    for (const table of [PAPER_TRANSITIONS, LINK_TRANSITIONS, EBILL_TRANSITIONS] as Parameters<typeof refusals>[0][]) {
      for (const { state, event, refusal } of refusals(table)) {
        assert.match(refusal.code, /^E22(0[1-9]|[1-4]\d)$/, `${state}.${event}`);
        assert.ok((HIS_CODES as Record<string, HisCodeSpec>)[refusal.code]?.messages[refusal.message], `${state}.${event}: ${refusal.code}.${refusal.message}`);
      }
    }
  });

  it('distinct refused transitions of one machine have distinct codes unless they are the same refusal', () => {
    const seen = new Map<string, string>();
    for (const { state, event, refusal } of refusals(LINK_TRANSITIONS)) {
      const key = refusal.code;
      assert.ok(!seen.has(key) || seen.get(key) === refusal.message, `${state}.${event} reuses ${key}`);
      seen.set(key, refusal.message);
    }
  });
});
