/**
 * batch-accept: stores a batch of issue requests (batchNo + eBillList) with one outbox job per item,
 * in one transaction, before the flow answers: what the HIS is told was accepted survives a crash. The
 * items are issued later, each by its job through the single-issue flow of `issue` (the same steps,
 * invariants and codes as a single request). A repeat of the same batch is accepted again without
 * storing anything; another batch under the same batchNo is refused (E2301).
 */
import { BATCH_ISSUE_TOPIC } from '../jobs/batch-issue';
import { hisError } from '../errors';
import { defineStep } from '../step';
import { requestHash } from './dedupe';

const reads = { input: { type: 'Request', doc: 'the validated batch request: batchNo and eBillList (each item a single-issue request)' } } as const;

export const batchAcceptStep = defineStep<{ issue: string }, typeof reads, Record<string, never>>({
  kind: 'batch-accept',
  doc: 'Stores a batch (batchNo, eBillList) and one batch-issue outbox job per item in one transaction; each item is issued later through the flow of the single-issue service `issue`. Same batch again: accepted, nothing stored twice; other content under the batchNo: E2301; one busNo twice with different content: E2303.',
  optionsSchema: {
    type: 'object',
    required: ['issue'],
    additionalProperties: false,
    properties: { issue: { type: 'string', description: 'serviceId of the single-issue service each item is a request of' } },
  },
  reads,
  writes: {},
  prepare(o, env) {
    if (!env.catalogue.services.has(o.issue)) env.fail('FLOW_UNKNOWN_SERVICE', ['issue'], { service: o.issue });
    if (!env.topics.has(BATCH_ISSUE_TOPIC)) env.fail('FLOW_UNKNOWN_TOPIC', ['issue'], { topic: BATCH_ISSUE_TOPIC });
    return async ({ in: { input }, ctx }) => {
      const batchNo = String(input.batchNo);
      const list = (input.eBillList as Record<string, unknown>[]) ?? [];
      const items = list.map((it) => ({ busNo: String(it.busNo), payload: JSON.stringify(it) }));
      const first = new Map<string, number>();
      items.forEach((it, i) => {
        const j = first.get(it.busNo);
        if (j === undefined) first.set(it.busNo, i);
        else if (items[j].payload !== it.payload)
          throw hisError('E2303', 'duplicateBusNo', { index: String(i), first: String(j), busNo: it.busNo }, `eBillList[${i}].busNo`);
      });
      if (ctx.dryRun) return;
      const r = await ctx.services.batches.accept({
        appid: ctx.msg.appid,
        batchNo,
        service: ctx.msg.serviceId,
        itemService: o.issue,
        requestHash: requestHash(JSON.stringify({ issue: o.issue, items: items.map((i) => i.payload) })),
        messageId: ctx.msg.id,
        items,
        topic: BATCH_ISSUE_TOPIC,
      });
      if (r.kind === 'otherContent') throw hisError('E2301', 'otherContent', { batchNo }, 'batchNo');
      ctx.log.info(r.kind === 'accepted' ? 'batch accepted' : 'batch repeated: already accepted', { msgId: ctx.msg.id, batchNo, items: items.length });
    };
  },
});
