/**
 * notify: sendBillNotice — one durable notice job per entry of the request's notice list (outbox topic
 * `topic`), written in one transaction before the answer: "accepted" means it will be delivered and
 * retried. The address travels only in the job's payload (never in its key, a log line or a trace).
 */
import { noticeRefusal, type Notice } from '../../domain/notice';
import { hisError } from '../errors';
import { defineStep } from '../step';

const reads = {
  bill: { type: 'Bill', doc: 'the bill the notices are about (found by lookup)' },
  input: { type: 'Request', doc: 'the request: its noticeList' },
} as const;

export const notifyStep = defineStep<{ topic: string }, typeof reads, Record<string, never>>({
  kind: 'notify',
  doc: "Enqueues one notice job (outbox `topic`) per noticeList entry — 1201 phone, 1202 e-mail, each address checked (E2405) — in one transaction.",
  optionsSchema: { type: 'object', required: ['topic'], additionalProperties: false, properties: { topic: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' } } },
  reads,
  writes: {},
  atomic: true,
  prepare(o, env) {
    if (!env.topics.has(o.topic)) env.fail('FLOW_UNKNOWN_TOPIC', ['topic'], { topic: o.topic }, `可用：${[...env.topics].join(', ')}`);
    return async ({ in: { bill, input }, ctx }) => {
      const list = (Array.isArray(input.noticeList) ? input.noticeList : []) as Notice[];
      const bad = noticeRefusal(list);
      if (bad) throw hisError('E2405', bad.kind, { index: String(bad.index) }, 'noticeValue');
      await ctx.services.notices.enqueue(
        list.map((n, i) => ({
          topic: o.topic,
          key: `${bill.billBatchCode}-${bill.billNo}-${n.noticeType}-${ctx.msg.id}-${i + 1}`,
          payload: { billId: bill.id, noticeType: n.noticeType, address: n.noticeValue.trim() },
          messageId: ctx.msg.id,
          busNo: bill.busNo,
        })),
      );
    };
  },
});
