/**
 * arrears-feedback: receiveArreasFeedBack — a bill issued as not circulable (isArrears 0, inpatient or
 * registration in arrears) becomes circulable (1) once the HIS reports the arrears settled, with that
 * date. Any other bill is refused with E2403 saying why (never circulable-flagged, already reported, red).
 */
import jsonata from 'jsonata';
import { hisError } from '../errors';
import { defineStep } from '../step';

const reads = {
  bill: { type: 'Bill', doc: 'the bill the feedback is for (found by lookup)' },
  input: { type: 'Request', doc: 'the request: its feedback date (option date)' },
} as const;

export const arrearsFeedbackStep = defineStep<{ date: string }, typeof reads, Record<string, never>>({
  kind: 'arrears-feedback',
  doc: "Turns a non-circulable bill (isArrears 0) circulable (1) with the feedback date (`date`, a JSONata expression over input); otherwise E2403.",
  optionsSchema: { type: 'object', required: ['date'], additionalProperties: false, properties: { date: { type: 'string', description: 'JSONata over input: the feedback date, yyyy-MM-dd' } } },
  reads,
  writes: {},
  atomic: true,
  prepare(o, env) {
    let date: jsonata.Expression | undefined;
    try {
      date = jsonata(o.date);
    } catch (e) {
      env.fail('FLOW_BAD_OPTION', ['date'], { path: 'date', detail: `JSONata 表达式错误：${(e as Error).message}` });
    }
    return async ({ in: { bill, input }, ctx }) => {
      const id = { billBatchCode: bill.billBatchCode, billNo: bill.billNo };
      if (bill.kind === 'red') throw hisError('E2403', 'isRed', id, 'billNo');
      const when = String((await date!.evaluate(input)) ?? '');
      const r = await ctx.services.feedback.markCirculable(bill.id, when);
      if (r.kind === 'done') return;
      if (r.isArrears === '1') throw hisError('E2403', 'already', { ...id, date: r.feedbackDate ?? '（未记录日期）' }, 'billNo');
      throw hisError('E2403', 'notArrears', { ...id, isArrears: r.isArrears ?? '未填' }, 'billNo');
    };
  },
});
