/**
 * batch-status: the state of every item of a batch this appid submitted (getBatchInvoiceEBill): per
 * busNo its status (0 not generated yet, 1 issued, 2 refused), the refusal's Chinese message, and the
 * bill of an issued item. Unknown batchNo: E2302.
 */
import { billView } from '../../store/bill-view';
import { hisError } from '../errors';
import { defineStep } from '../step';

const reads = { input: { type: 'Request', doc: 'the request: batchNo' } } as const;
const writes = { batch: { type: 'Json', doc: '{ batchNo, count, items: [{ busNo, status, errMsg?, bill? }] }' } } as const;

export const batchStatusStep = defineStep<Record<string, never>, typeof reads, typeof writes>({
  kind: 'batch-status',
  doc: "Reads a batch of this appid (input.batchNo) with each item's status 0/1/2, its errMsg when refused and its bill when issued. Unknown batchNo: E2302.",
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  reads,
  writes,
  prepare() {
    return async ({ in: { input }, out, ctx }) => {
      const batchNo = String(input.batchNo);
      const batch = await ctx.services.batches.byNumber(ctx.msg.appid, batchNo);
      if (!batch) throw hisError('E2302', 'unknownBatch', { batchNo }, 'batchNo');
      const items = await ctx.services.batches.status(batch.id);
      out.batch = {
        batchNo,
        count: items.length,
        items: items.map((i) => ({ busNo: i.busNo, status: i.status, errMsg: i.errMsg, bill: i.bill ? billView(i.bill) : undefined })),
      };
    };
  },
});
