/**
 * allocate: takes the next number of the place's e-bill stock and records the reservation with the
 * busNo, in one short transaction (DESIGN §8). Irreversible: from here on a failure leaves a
 * reservation that a retry of the busNo or start-up recovery completes (or voids with a reason).
 */
import type { Reservation } from '../../store/bills';
import { isUniqueViolation } from '../../store/db';
import { FlowError, RESULT } from '../errors';
import type { StepKind } from '../step';

type Doc = Pick<Reservation, 'busNo' | 'busDateTime' | 'busType' | 'placeCode' | 'billKind' | 'payer' | 'totalAmt'>;

export const allocateStep: StepKind<Record<string, never>> = {
  kind: 'allocate',
  doc: "Reserves the next e-bill number of the request's place (placeCode) and bill kind for this (appid, busNo); reuses a reservation found by dedupe.",
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  prepare() {
    return async (rc) => {
      if (rc.vars.reservation) return;
      const doc = rc.vars.doc as Doc;
      const r: Reservation = {
        appid: rc.msg.appid,
        busNo: doc.busNo,
        busDateTime: doc.busDateTime,
        busType: doc.busType,
        placeCode: doc.placeCode,
        billKind: doc.billKind,
        payer: doc.payer,
        totalAmt: doc.totalAmt,
        requestHash: String(rc.vars.requestHash),
        messageId: rc.msg.id,
        canonical: typeof rc.vars.canonical === 'string' ? rc.vars.canonical : JSON.stringify(doc),
      };
      try {
        rc.vars.reservation = await rc.services.bills.reserve(r);
      } catch (e) {
        // Another process took this busNo between dedupe and here: the HIS retries and gets that bill.
        if (isUniqueViolation(e))
          throw new FlowError('Duplicate', RESULT.conflict, `业务流水号 busNo ${doc.busNo} 正在开票中，请稍后用 getEBillByBusNo 查询`, 'busNo', e);
        throw e;
      }
    };
  },
};
