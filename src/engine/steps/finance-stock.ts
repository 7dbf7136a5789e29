/**
 * finance-stock: a stock application (申领) to finance from a request (applyBillStock; the staff console
 * will call the same flow). The application is recorded before it is sent, so an outage answers E2632
 * and a resend of the same applicationId — or the finance-stock-poll schedule — sends it once. The
 * allocated range is received by the schedule or `medbill stock receive --application`.
 */
import { billKindOf } from '../../domain/stock';
import { hisError } from '../errors';
import { FinanceApplicationStore } from '../../store/finance-applications';
import { FinanceStockDesk, newApplicationId } from '../finance-stock';
import { defineStep } from '../step';

const reads = { request: { type: 'Json', free: true, doc: 'applicationId?, billCode, billType (1 e-bill, 2 paper), copyNum, operator, remark?' } } as const;
const writes = { application: { type: 'Json', free: true, doc: 'applicationId, state, and the allocated range once approved' } } as const;

export const financeStockStep = defineStep<{ op: 'apply' }, typeof reads, typeof writes>({
  kind: 'finance-stock',
  doc: 'Sends a stock application to finance through the Finance port and writes where it stands (approved at once by finance policy, or pending). E2631 refused, E2632 finance unavailable (kept: resend the same applicationId), E2633 unknown billCode or billType.',
  optionsSchema: { type: 'object', required: ['op'], additionalProperties: false, properties: { op: { enum: ['apply'] } } },
  reads,
  writes,
  prepare() {
    return async ({ in: { request }, out, ctx }) => {
      const r = request as { applicationId?: string; billCode?: string; billType?: string; copyNum?: number | string; operator?: string; remark?: string };
      const billCode = String(r.billCode ?? '');
      const kind = billKindOf(billCode);
      if (!kind) throw hisError('E2633', 'billCode', { billCode }, 'billCode');
      const billType = String(r.billType ?? '');
      if (billType !== '1' && billType !== '2') throw hisError('E2633', 'billType', { billType }, 'billType');
      const finance = ctx.services.finance;
      const applicationId = r.applicationId || newApplicationId(ctx.msg.receivedAt);
      if (!finance) throw hisError('E2632', 'unavailable', { applicationId }, 'applicationId');
      const s = ctx.services;
      const desk = new FinanceStockDesk(finance, new FinanceApplicationStore(s.db, s.writer, s.stock));
      const res = await desk.apply({ applicationId, billKind: kind, medium: billType === '1' ? 'ebill' : 'paper', quantity: Number(r.copyNum), applicant: String(r.operator ?? ''), reason: r.remark });
      if (res.kind === 'transient') throw hisError('E2632', 'unavailable', { applicationId }, 'applicationId');
      if (res.kind === 'refused') throw hisError('E2631', 'refused', { applicationId, code: res.code, reason: res.message }, 'applicationId');
      // invalid (the quantity; the catalogue bounds it first) or a ledger refusal, which apply never returns
      if (res.kind !== 'ok') throw hisError('E2633', 'billCode', { billCode }, 'billCode');
      const a = res.row;
      out.application = {
        applicationId: a.application_id,
        state: a.state,
        ...(a.reject_reason ? { rejectReason: a.reject_reason } : {}),
        ...(a.bill_batch_code ? { billBatchCode: a.bill_batch_code, billBgnNo: a.start_no, billEndNo: a.end_no } : {}),
      };
    };
  },
});
