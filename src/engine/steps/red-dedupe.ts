/**
 * red-dedupe: at most one red bill per blue bill — the write-off's dedupe. A repeat write-off of a
 * red-flushed bill takes the onDuplicate exit with the SAME red bill (the spec's "已冲销" becomes an
 * idempotent answer); a red reservation left by a crash or a failed answer is handed on to be resumed;
 * otherwise the blue bill must be red-flushable now (not red, not booked, linked to paper as `paper`
 * says) and the red bill's content is derived from the blue bill's stored settlement
 * (src/domain/red.ts). Concurrent write-offs of one bill in this process wait for the first; the
 * unique live_red_of column catches another process.
 */
import { redRefusal, redSettlement, type PaperRule } from '../../domain/red';
import type { Settlement } from '../../domain/settlement';
import { billKindName as kindName } from '../../domain/stock';
import { billView } from '../../store/bill-view';
import { hisError } from '../errors';
import { defineStep } from '../step';
import { requestHash, singleFlight } from './dedupe';

const reads = {
  bill: { type: 'Bill', doc: 'the blue bill to red-flush (found by lookup)' },
  redRequest: { type: 'RedRequest', doc: 'reason, operator, place and business time of the write-off' },
} as const;
const writes = {
  settlement: { type: 'Settlement', doc: "the red bill's content: the blue settlement with negated amounts and the related bill" },
  requestHash: { type: 'RequestHash', doc: "the red content's text and its SHA-256" },
  reservation: { type: 'Reservation', optional: true, doc: 'a red reservation of this blue bill left by a crash or a failed answer, to resume' },
  red: { type: 'Bill', doc: 'on onDuplicate: the red bill already issued for this blue bill' },
} as const;

interface Options {
  onDuplicate: { goto: string };
  /** refuse (writeOffEBill): not while linked to paper; require (writeOffEBillToPaper): only then; any */
  paper?: PaperRule;
  /** bill kinds this service may red-flush (vouchers: [prepay]); default: any */
  billKinds?: string[];
}

export const redDedupeStep = defineStep<Options, typeof reads, typeof writes>({
  kind: 'red-dedupe',
  doc: 'Once per blue bill: a repeat write-off takes the onDuplicate exit with the same red bill; a leftover red reservation is handed on; otherwise refuses (E2401) a red bill, a booked bill, or the wrong paper link (`paper`: refuse | require | any), and writes the red content (negated amounts, RelatedInvoiceCode/Number).',
  optionsSchema: {
    type: 'object',
    required: ['onDuplicate'],
    additionalProperties: false,
    properties: {
      onDuplicate: { type: 'object', required: ['goto'], additionalProperties: false, properties: { goto: { type: 'string' } } },
      paper: { enum: ['refuse', 'require', 'any'], default: 'refuse' },
      billKinds: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[a-z]+$' } },
    },
  },
  reads,
  writes,
  nextWrites: ['settlement', 'requestHash', 'reservation'],
  exits: [{ option: 'onDuplicate.goto', writes: ['red'] }],
  roles: ['dedupe'],
  prepare(o) {
    const paper = o.paper ?? 'refuse';
    return async ({ in: { bill, redRequest }, out, ctx }) => {
      await singleFlight(`red\u0000${bill.id}`, ctx);
      const id = { billBatchCode: bill.billBatchCode, billNo: bill.billNo };
      const live = await ctx.services.red.liveRedOf(bill.id);
      if (live?.state === 'issued') {
        out.red = billView(live);
        return { exit: 'onDuplicate' };
      }
      if (live?.state === 'reserved' && live.canonical) {
        out.settlement = JSON.parse(live.canonical) as Settlement;
        out.requestHash = { hash: live.request_hash ?? requestHash(live.canonical), canonical: live.canonical };
        out.reservation = live;
        return;
      }
      if (o.billKinds && !o.billKinds.includes(bill.billKind))
        // the HIS programmer reads Chinese kind names (门诊, 预交金), not the project's keys
        throw hisError('E2401', 'wrongKind', { ...id, billKind: kindName(bill.billKind), expected: o.billKinds.map(kindName).join('、') }, 'billNo');
      const refusal = redRefusal(bill, paper);
      if (refusal) throw hisError('E2401', refusal.kind, refusal.params as never, 'billNo');
      const blue = await ctx.services.red.row(bill.id);
      if (!blue?.canonical) throw hisError('E2401', 'noContent', id, 'billNo');
      const settlement = redSettlement(JSON.parse(blue.canonical) as Settlement, id, redRequest);
      const canonical = JSON.stringify(settlement);
      out.settlement = settlement;
      out.requestHash = { hash: requestHash(canonical), canonical };
    };
  },
});
