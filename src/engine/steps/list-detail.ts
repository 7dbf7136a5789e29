/**
 * list-detail: receiveListDetail (v2.0.3) — one chunk of a bill's itemised list, stored beside the bill
 * (not on it: the signed bill does not change). batchNo numbers the chunks of one bill and must not
 * repeat (E2404); the rows were checked against the catalogue by validate.
 */
import { hisError } from '../errors';
import { defineStep } from '../step';

const reads = {
  bill: { type: 'Bill', doc: 'the bill the rows belong to (found by lookup)' },
  input: { type: 'Request', doc: 'the request: batchNo and listDetail' },
} as const;

export const listDetailStep = defineStep<Record<string, never>, typeof reads, Record<string, never>>({
  kind: 'list-detail',
  doc: "Stores the request's listDetail rows under (bill, batchNo); a batchNo already stored for the bill is E2404.",
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  reads,
  writes: {},
  atomic: true,
  prepare() {
    return async ({ in: { bill, input }, ctx }) => {
      const batchNo = Number(input.batchNo);
      const rows = Array.isArray(input.listDetail) ? (input.listDetail as unknown[]) : [];
      const r = await ctx.services.feedback.addListDetail(bill.id, batchNo, rows, ctx.msg.id);
      if (r === 'repeat') throw hisError('E2404', 'repeat', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, batchNo: String(batchNo) }, 'batchNo');
    };
  },
});
