/**
 * persist: turns the reservation into an issued bill and writes the jobs that follow it (finance
 * upload, notices) in the same transaction. After this resolves the bill is on disk (the answer may
 * say S0000) and survives kill -9 and power loss.
 */
import { fiscalXml } from '../../domain/fiscal-xml';
import { BillView, billView } from '../../store/bill-view';
import { hisError } from '../errors';
import { defineStep } from '../step';

const reads = {
  reservation: { type: 'Reservation', doc: 'the row that becomes the bill' },
  fiscal: { type: 'FiscalText', doc: 'identity and signed text' },
  signature: { type: 'Signature', doc: 'the unit signature and QR' },
} as const;
// Free: a blue flow names it `bill`, a red flow `red` (the flow reads as what it holds).
const writes = { bill: { type: 'Bill', free: true, doc: 'the issued bill (blue or red)' } } as const;

export const persistStep = defineStep<{ enqueue?: string[] }, typeof reads, typeof writes>({
  kind: 'persist',
  doc: 'Stores the signed bill (reserved → issued) and enqueues the named outbox topics in the same transaction; a red bill also marks its blue bill red-flushed (scarlet 1) there, or fails whole with E2401 if the blue bill changed meanwhile.',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { enqueue: { type: 'array', items: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' } } },
  },
  reads,
  writes,
  roles: ['persist'],
  atomic: true,
  prepare(o, env) {
    const topics = o.enqueue ?? [];
    topics.forEach((t, i) => {
      if (!env.topics.has(t)) env.fail('FLOW_UNKNOWN_TOPIC', ['enqueue', String(i)], { topic: t }, `可用：${[...env.topics].join(', ')}`);
    });
    return async ({ in: { reservation: res, fiscal: p, signature: sig }, out, ctx }) => {
      const xml = fiscalXml(p.content, { value: sig.signature, time: p.createTime.slice(0, 14), serialNumber: sig.certSerial });
      const jobs = topics.map((topic) => ({
        topic,
        key: `${p.billBatchCode}-${p.billNo}`,
        payload: { billId: res.id, billBatchCode: p.billBatchCode, billNo: p.billNo },
        messageId: ctx.msg.id,
        busNo: res.bus_no ?? undefined,
      }));
      const red = res.kind === 'red' && res.related_bill_id ? { blueId: res.related_bill_id, paperLinked: !!res.paper_no } : undefined;
      const done = await ctx.services.bills.complete(
        res.id,
        { random: p.random, createTime: p.createTime, fiscalXml: xml, unitSignature: sig.signature, sigCertSerial: sig.certSerial, qrPng: sig.qrPng },
        jobs,
        red,
      );
      if (done === 'stateChanged') throw hisError('E2004', 'finishedElsewhere', {}, red ? 'billNo' : 'busNo');
      if (done === 'blueChanged') {
        const blue = await ctx.services.red.row(red!.blueId);
        throw hisError('E2401', 'blueChanged', { billBatchCode: blue?.bill_batch_code ?? '', billNo: blue?.bill_no ?? '' }, 'billNo');
      }
      if (jobs.length) ctx.services.wakeOutbox?.();
      out.bill = issuedView(res, p, sig.qrPng);
    };
  },
  simulate() {
    return async ({ in: { reservation: res, fiscal: p, signature: sig }, out }) => {
      out.bill = issuedView(res, p, sig.qrPng);
    };
  },
});

function issuedView(res: Parameters<typeof billView>[0], p: { random: string; createTime: string }, qrPng: string): BillView {
  return { ...billView(res), state: 'issued', random: p.random, createTime: p.createTime, qrPng };
}
