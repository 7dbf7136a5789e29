/**
 * fiscal-xml: gives the reserved bill its check code and time, and builds the text the unit signs
 * (`<Header>…</Header><EInvoiceData>…</EInvoiceData>`) through the fiscal mapping.
 */
import { checkCode } from '../../domain/check-code';
import { FiscalDoc, PendingIssue, signedContent } from '../../domain/fiscal-xml';
import { issueDate, issueTime, stamp17 } from '../../domain/time';
import { defineStep } from '../step';

const reads = {
  settlement: { type: 'Settlement', doc: 'the bill\'s content' },
  reservation: { type: 'Reservation', doc: 'the bill\'s code and number' },
} as const;
const writes = { fiscal: { type: 'FiscalText', doc: 'identity, check code, times and the exact text to sign' } } as const;

export const fiscalXmlStep = defineStep<{ mapping: string }, typeof reads, typeof writes>({
  kind: 'fiscal-xml',
  doc: "Assigns the reserved bill's check code (random) and createTime and builds the signed text of the fiscal XML with `mapping` (its input: { bill }; the unit is $unit).",
  optionsSchema: { type: 'object', required: ['mapping'], additionalProperties: false, properties: { mapping: { type: 'string' } } },
  reads,
  writes,
  roles: ['fiscal-xml'],
  prepare(o, env) {
    const m = env.mappings.get(o.mapping);
    if (!m) {
      env.fail('FLOW_UNKNOWN_MAPPING', ['mapping'], { mapping: o.mapping });
      return async () => undefined;
    }
    return async ({ in: { settlement: doc, reservation: res }, out, ctx }) => {
      const unit = ctx.services.config.unit;
      const now = Date.now();
      const identity = {
        billBatchCode: res.bill_batch_code,
        billNo: res.bill_no,
        issueDate: issueDate(now),
        issueTime: issueTime(now),
        createTime: stamp17(now),
      };
      const random = checkCode(unit.checkCodeSecret, identity.billBatchCode, identity.billNo, identity.issueDate, doc.totalAmt);
      const fiscal = (await m.evaluate({ bill: { ...doc, ...identity, random } })) as unknown as FiscalDoc;
      const pending: PendingIssue = { ...identity, random, totalAmt: doc.totalAmt, content: signedContent(fiscal) };
      out.fiscal = pending;
    };
  },
});
