/**
 * paper: the paper-bill operations of §7, each run by the state machines inside one transaction
 * (src/store/paper.ts): `next` the place's next paper number (getPaperBillNo), `turn` and `reTurn`
 * (换开, 重新换开: the paper number sent must be the place's next one), `voidBlank` (a range of blank
 * paper), `voidLinked` (invalidPaper's voiding half: the e-bill is red-flushed by the steps after it),
 * and `find` (a converted paper bill and its e-bill, for printing). Request fields are the spec's names.
 */
import { billKindName as kindName } from '../../domain/stock';
import { billView } from '../../store/bill-view';
import type { PaperRefusal } from '../../store/paper';
import { paperView } from '../../store/paper';
import { FlowError, hisError } from '../errors';
import type { PortMap } from '../slots';
import { defineStep } from '../step';

type Op = 'next' | 'turn' | 'reTurn' | 'voidBlank' | 'voidLinked' | 'find';

const valueRead = { input: { type: 'Json', doc: 'the request (spec field names: placeCode, pBillBatchCode, pBillNo, …)' } } as const;
const billRead = { bill: { type: 'Bill', doc: 'the e-bill being converted' } } as const;
const WRITES: Record<Op, PortMap> = {
  next: { next: { type: 'Json', doc: '{ pBillBatchCode, pBillNo }: the next paper number' } },
  turn: { paper: { type: 'PaperBill', doc: 'the paper bill now linked' } },
  reTurn: { paper: { type: 'PaperBill', doc: 'the new paper bill now linked (the old one is voided)' } },
  voidBlank: {},
  voidLinked: { paper: { type: 'PaperBill', doc: 'the voided paper bill' }, bill: { type: 'Bill', doc: 'its e-bill, to be red-flushed' } },
  find: { paper: { type: 'PaperBill', doc: 'the converted paper bill' }, bill: { type: 'Bill', doc: 'the e-bill it was converted from' } },
};

/** A store refusal as the HIS answer: code and template come from the machine's table (codes.ts). */
export function paperError(r: PaperRefusal): FlowError {
  // The refusal names a (code, message) of the E22xx block; codes.test.ts proves every pair exists.
  return hisError(r.code as 'E2230', r.message as 'notNext', r.params as never, r.field);
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export const paperStep = defineStep<{ op: Op; billKinds?: string[] }, PortMap, PortMap>({
  kind: 'paper',
  doc: 'Paper bills (§7) through the paper state machines: op next (getPaperBillNo), turn, reTurn, voidBlank (invalidBlankBillNo), voidLinked (invalidPaper / invalidPayMentVoucherPaper, before the red-flush steps; billKinds: only paper converted from those e-bill kinds, refused E2401 before anything is voided) or find (a converted paper bill and its e-bill). Refusals: E2201–E2235.',
  optionsSchema: { type: 'object', required: ['op'], additionalProperties: false, properties: { op: { enum: ['next', 'turn', 'reTurn', 'voidBlank', 'voidLinked', 'find'] }, billKinds: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[a-z]+$' } } } },
  reads: (o) => (o.op === 'turn' || o.op === 'reTurn' ? { ...valueRead, ...billRead } : valueRead),
  writes: (o) => WRITES[o.op],
  atomic: true,
  prepare(o) {
    return async ({ in: inp, out, ctx }) => {
      const v = inp.input as Record<string, unknown>;
      const store = ctx.services.paper;
      const f = (k: string) => text(v[k]);
      switch (o.op) {
        case 'next': {
          const r = await store.nextPaper(f('placeCode'), f('pBillBatchCode'));
          if (!r.ok) throw paperError(r.refusal);
          out.next = r.value;
          return;
        }
        case 'turn':
        case 'reTurn': {
          const bill = inp.bill as { id: number };
          const r = await store.turn(o.op, { billId: bill.id, pBillBatchCode: f('pBillBatchCode'), pBillNo: f('pBillNo'), placeCode: f('placeCode'), operator: f('operator'), busDateTime: f('busDateTime'), messageId: ctx.msg.id });
          if (!r.ok) throw paperError(r.refusal);
          ctx.services.wakeOutbox?.(); // the finance event committed with it goes out now
          out.paper = paperView(r.value.paper);
          return;
        }
        case 'voidBlank': {
          const r = await store.voidBlanks({ placeCode: f('placeCode'), pBillBatchCode: f('pBillBatchCode'), start: f('pBillNoStart'), end: f('pBillNoEnd'), author: f('author'), reason: f('reason'), busDateTime: f('busDateTime'), messageId: ctx.msg.id });
          if (!r.ok) throw paperError(r.refusal);
          ctx.services.wakeOutbox?.(); // the finance event committed with it goes out now
          return;
        }
        case 'voidLinked': {
          // The kind is checked before the void: a paper of another kind must stay as it is (the void is not
          // undone when the red steps refuse). A paper number's row, and so its kind, never changes.
          if (o.billKinds) {
            const linked = await store.paperByNumber(f('pBillBatchCode'), f('pBillNo'));
            if (linked?.bill_id && !o.billKinds.includes(linked.bill_kind)) {
              const b = await ctx.services.bills.byId(linked.bill_id);
              const bill = b ? `${billView(b).billBatchCode}-${billView(b).billNo}` : '';
              throw hisError('E2401', 'paperWrongKind', { pBillBatchCode: f('pBillBatchCode'), pBillNo: f('pBillNo'), billKind: kindName(linked.bill_kind), bill, expected: o.billKinds.map(kindName).join('、') }, 'pBillNo');
            }
          }
          const r = await store.voidLinked({ pBillBatchCode: f('pBillBatchCode'), pBillNo: f('pBillNo'), author: f('author'), reason: f('reason'), busDateTime: f('busDateTime'), messageId: ctx.msg.id });
          if (!r.ok) throw paperError(r.refusal);
          ctx.services.wakeOutbox?.(); // the finance event committed with it goes out now
          const bill = await ctx.services.bills.byId(r.value.billId);
          out.paper = paperView(r.value.paper);
          out.bill = billView(bill!);
          return;
        }
        case 'find': {
          const paper = await store.paperByNumber(f('pBillBatchCode'), f('pBillNo'));
          const label = `${f('pBillBatchCode')}-${f('pBillNo')}`;
          if (!paper || !paper.bill_id) throw hisError('E2210', 'printBlank', { paper: label }, 'pBillNo');
          if (paper.state === 'voided') throw hisError('E2217', 'printVoided', { paper: label }, 'pBillNo');
          const bill = await ctx.services.bills.byId(paper.bill_id);
          out.paper = paperView(paper);
          out.bill = billView(bill!);
          return;
        }
      }
    };
  },
});
