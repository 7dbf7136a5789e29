/**
 * red-allocate: takes the red bill's number from the e-bill stock of the write-off's place (the blue
 * bill's bill kind) and records the red reservation (kind red, related to the blue bill), in one short
 * transaction; resumes a reservation red-dedupe found. A write-off onto paper (writeOffEBillToPaper)
 * also takes the paper red bill in that transaction: the number the HIS printed must be the place's
 * next paper number (E2402), as for turnPaper. Irreversible like allocate: recovery completes or voids.
 */
import { hisError } from '../errors';
import { defineStep } from '../step';
import { noStockError } from '../stock-errors';

const reads = {
  settlement: { type: 'Settlement', doc: "the red bill's content (its payer and total are kept on the row)" },
  requestHash: { type: 'RequestHash', doc: 'stored with the reservation for recovery' },
  reservation: { type: 'Reservation', optional: true, doc: 'a red reservation red-dedupe found: resumed instead of taking a new number' },
  bill: { type: 'Bill', doc: 'the blue bill it reverses' },
  redRequest: { type: 'RedRequest', doc: 'the place whose stock gives the number; operator, reason, the paper red bill' },
} as const;
const writes = { reservation: { type: 'Reservation', doc: 'the red number held for this blue bill' } } as const;

export const redAllocateStep = defineStep<Record<string, never>, typeof reads, typeof writes>({
  kind: 'red-allocate',
  doc: "Reserves the red bill's number from the e-bill stock of the write-off's placeCode (the blue bill's kind), with the paper red bill when the request names one (E2402 unless it is the place's next paper number). No stock: E2003.",
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  reads,
  writes,
  roles: ['allocate'],
  atomic: true,
  prepare() {
    return async ({ in: { settlement, requestHash, reservation, bill, redRequest: req }, out, ctx }) => {
      if (reservation) {
        out.reservation = reservation;
        return;
      }
      const blue = await ctx.services.red.row(bill.id);
      if (!blue) throw hisError('E2002', 'billNumber', { billBatchCode: bill.billBatchCode, billNo: bill.billNo }, 'billNo');
      const r = await ctx.services.red.reserve({
        blue,
        placeCode: req.placeCode,
        busDateTime: req.busDateTime,
        payer: settlement.payer,
        totalAmt: settlement.totalAmt,
        operator: req.operator,
        reason: req.reason,
        requestHash: requestHash.hash,
        canonical: requestHash.canonical,
        messageId: ctx.msg.id,
        paper: req.pBillNo ? { billBatchCode: req.pBillBatchCode ?? '', billNo: req.pBillNo, time: req.busDateTime } : undefined,
      });
      if (r.kind === 'duplicate') throw hisError('E2401', 'inProgress', { billBatchCode: bill.billBatchCode, billNo: bill.billNo }, 'billNo');
      if (r.kind === 'noStock') throw noStockError(r.placeCode, 'ebill', r.billKind);
      if (r.kind === 'noPaperStock') throw hisError('E2402', 'noPaperStock', { placeCode: r.placeCode, billKind: r.billKind }, 'pBillNo');
      if (r.kind === 'paperNotNext')
        throw hisError('E2402', 'notNext', { pBillBatchCode: req.pBillBatchCode ?? '', pBillNo: req.pBillNo ?? '', placeCode: req.placeCode, expected: r.expected }, 'pBillNo');
      out.reservation = r.row;
    };
  },
});
