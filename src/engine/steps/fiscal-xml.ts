/**
 * fiscal-xml: gives the reserved bill its check code and time, and builds the text the unit signs
 * (`<Header>…</Header><EInvoiceData>…</EInvoiceData>`) through the fiscal mapping.
 */
import { checkCode } from '../../domain/check-code';
import { FiscalDoc, signedContent } from '../../domain/fiscal-xml';
import { issueDate, issueTime, stamp17 } from '../../domain/time';
import type { BillRow } from '../../store/bills';
import type { StepKind } from '../step';

export interface PendingIssue {
  billBatchCode: string;
  billNo: string;
  random: string;
  createTime: string;
  issueDate: string;
  issueTime: string;
  totalAmt: string;
  content: string;
}

export const fiscalXmlStep: StepKind<{ mapping: string }> = {
  kind: 'fiscal-xml',
  doc: "Assigns the reserved bill's check code (random) and createTime and builds the signed text of the fiscal XML with `mapping`.",
  optionsSchema: { type: 'object', required: ['mapping'], additionalProperties: false, properties: { mapping: { type: 'string' } } },
  prepare(o, env) {
    const m = env.mappings.get(o.mapping);
    if (!m) return env.fail('FLOW_UNKNOWN_MAPPING', ['mapping'], `no mapping '${o.mapping}'`);
    return async (rc) => {
      const res = rc.vars.reservation as BillRow;
      const doc = rc.vars.doc as Record<string, unknown> & { totalAmt: string; billKind: string };
      const unit = rc.services.config.unit;
      const now = Date.now();
      const identity = {
        billBatchCode: res.bill_batch_code,
        billNo: res.bill_no,
        issueDate: issueDate(now),
        issueTime: issueTime(now),
        createTime: stamp17(now),
      };
      const random = checkCode(unit.checkCodeSecret, identity.billBatchCode, identity.billNo, identity.issueDate, doc.totalAmt);
      const fiscal = (await m.evaluate({ bill: { ...doc, ...identity, random }, unit, billName: unit.billNames[doc.billKind] ?? '' })) as unknown as FiscalDoc;
      const pending: PendingIssue = { ...identity, random, totalAmt: doc.totalAmt, content: signedContent(fiscal) };
      rc.vars.pending = pending;
    };
  },
};
