/**
 * allocate: takes the next number of the place's e-bill stock and records the reservation with the
 * busNo, in one short transaction. Irreversible: from here on a failure leaves a reservation that a
 * retry of the busNo or recovery completes (or voids with a reason), as the flow's `recovery` says.
 */
import type { Settlement } from '../../domain/settlement';
import type { BillRow } from '../../store/bills';
import { hisError } from '../errors';
import { defineStep } from '../step';
import { noStockError } from '../stock-errors';

const reads = {
  settlement: { type: 'Settlement', doc: 'placeCode and billKind choose the stock; busNo and the parties are kept on the reservation' },
  requestHash: { type: 'RequestHash', doc: 'stored with the reservation, so a retry and recovery know the request' },
  reservation: { type: 'Reservation', optional: true, doc: 'a reservation dedupe found: resumed instead of taking a new number' },
} as const;
const writes = { reservation: { type: 'Reservation', doc: 'the number held for this busNo' } } as const;

export const allocateStep = defineStep<Record<string, never>, typeof reads, typeof writes>({
  kind: 'allocate',
  doc: "Reserves the next e-bill number of the settlement's place (placeCode) and bill kind for this (appid, busNo); resumes a reservation dedupe found. No stock: E2003.",
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  reads,
  writes,
  roles: ['allocate'],
  atomic: true,
  prepare() {
    return async ({ in: { settlement: s, requestHash, reservation }, out, ctx }) => {
      if (reservation) {
        out.reservation = reservation;
        return;
      }
      const r = await ctx.services.bills.reserve({
        appid: ctx.msg.appid,
        busNo: s.busNo,
        busDateTime: s.busDateTime,
        busType: s.busType,
        placeCode: s.placeCode,
        billKind: s.billKind,
        payer: s.payer,
        totalAmt: s.totalAmt,
        requestHash: requestHash.hash,
        messageId: ctx.msg.id,
        canonical: requestHash.canonical,
        cardType: typeof s.cardType === 'string' ? s.cardType : undefined,
        cardNo: typeof s.cardNo === 'string' ? s.cardNo : undefined,
        patientId: typeof s.patientId === 'string' ? s.patientId : undefined,
        idCardNo: typeof s.idCardNo === 'string' ? s.idCardNo : undefined,
      });
      // Another process took this busNo between dedupe and here: the HIS asks again and gets that bill.
      if (r.kind === 'duplicate') throw hisError('E2001', 'inProgress', { busNo: s.busNo }, 'busNo');
      if (r.kind === 'noStock') throw noStockError(r.placeCode, 'ebill', r.billKind);
      out.reservation = r.row;
    };
  },
  simulate() {
    return async ({ in: { settlement: s, requestHash, reservation }, out, ctx }) => {
      if (reservation) {
        out.reservation = reservation;
        return;
      }
      const next = await ctx.services.bills.peek(s.placeCode, s.billKind);
      if (!next) throw noStockError(s.placeCode, 'ebill', s.billKind);
      out.reservation = dryRunReservation(ctx.msg.appid, s, requestHash, next);
    };
  },
});

/** The row allocate would write, shown by a dry run (id 0: nothing was written). */
function dryRunReservation(appid: string, s: Settlement, rh: { hash: string; canonical: string }, next: { billBatchCode: string; billNo: string }): BillRow {
  const now = Date.now();
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    id: 0,
    bill_batch_code: next.billBatchCode,
    bill_no: next.billNo,
    random: null,
    kind: 'blue',
    state: 'reserved',
    bill_kind: s.billKind,
    appid,
    bus_no: s.busNo,
    bus_date_time: s.busDateTime,
    bus_type: s.busType,
    place_code: s.placeCode,
    payer: s.payer,
    total_amt: s.totalAmt,
    create_time: null,
    request_hash: rh.hash,
    message_id: null,
    stock_range_id: null,
    related_bill_id: null,
    canonical: rh.canonical,
    fiscal_xml: null,
    unit_signature: null,
    sig_cert_serial: null,
    qr_png: null,
    void_reason: null,
    answered_code: null,
    answered_at: null,
    card_type: text(s.cardType),
    card_no: text(s.cardNo),
    patient_id: text(s.patientId),
    id_card_no: text(s.idCardNo),
    scarlet: '0',
    paper_batch_code: null,
    paper_no: null,
    paper_time: null,
    account_state: '0',
    is_arrears: null,
    arrears_feedback_date: null,
    batch_no: null,
    operator: null,
    red_reason: null,
    created_at: now,
    updated_at: now,
  };
}
