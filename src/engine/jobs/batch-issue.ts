/**
 * Outbox job of topic `batch-issue` (one per item of an accepted batch, written by batch-accept): issues
 * the item through the one door every request takes (src/engine/inbound.ts), as a request of the
 * batch's single-issue service — stored message, validation, dedupe, number, signature, persist — and
 * records the item's outcome once:
 *   S0000                               → status 1 with the bill (a busNo already issued singly with the
 *                                          same content answers its existing bill: it is not issued again)
 *   signer/store unavailable, busy, a
 *   reservation of the busNo in progress → thrown: the outbox retries the job later
 *   any other refusal                   → status 2, errMsg = the Chinese message (it names the field)
 * A job delivered twice (kill -9 after issuing, before the outbox marked it done) runs the item again:
 * dedupe answers the bill already issued and finishItem records nothing twice.
 */
import { HIS_CODES, HisCode } from '../codes';
import { RESULT } from '../errors';
import type { InboundRequest, InboundResult } from '../inbound';
import { JobHandler, OutboxRow, PermanentJobError } from '../outbox';
import type { Services } from '../services';
import { log } from '../../log';

export const BATCH_ISSUE_TOPIC = 'batch-issue';

/** The channel name batch items are stored and logged under (messages.channel). */
export const BATCH_CHANNEL = 'batch';

const RETRIED_CLASSES = new Set(['Unavailable', 'Busy', 'Timeout']);

export function createBatchIssueHandler(services: Pick<Services, 'batches' | 'bills'>, handle: (req: InboundRequest) => Promise<InboundResult>): JobHandler {
  return async (payload: unknown, job: OutboxRow): Promise<void> => {
    const itemId = (payload as { itemId?: unknown } | null)?.itemId;
    if (!Number.isInteger(itemId)) throw new PermanentJobError('batch-issue payload must be {itemId}');
    const found = await services.batches.item(itemId as number);
    if (!found) throw new PermanentJobError(`batch item ${String(itemId)} not found`);
    const { item, batch } = found;
    if (item.status !== 0) return; // recorded by an earlier delivery of this job
    const input = JSON.parse(item.payload) as unknown;
    const r = await handle({
      channel: BATCH_CHANNEL,
      serviceId: batch.item_service,
      raw: item.payload,
      appid: batch.appid,
      authenticated: true,
      input,
      batchNo: batch.batch_no,
    });
    const ctx = { jobId: job.id, batchNo: batch.batch_no, seq: item.seq, busNo: item.bus_no, msgId: r.msgId, result: r.result };
    if (r.result === RESULT.ok) {
      const bill = await services.bills.byBusNo(batch.appid, item.bus_no);
      if (!bill || bill.state !== 'issued') throw new Error(`batch item ${batch.batch_no}#${item.seq}: issued, but no issued bill for busNo ${item.bus_no}`);
      await services.batches.finishItem(item.id, { status: 1, billId: bill.id, messageId: r.msgId });
      log().info('batch item issued', { ...ctx, billBatchCode: bill.bill_batch_code, billNo: bill.bill_no });
      return;
    }
    if (await retryLater(services, r, batch.appid, item.bus_no)) throw new Error(`batch item ${batch.batch_no}#${item.seq}: ${r.result} ${r.error?.message ?? ''}`);
    const errMsg = r.error ? `${r.error.message}` : r.result;
    await services.batches.finishItem(item.id, { status: 2, errCode: r.result, errMsg, messageId: r.msgId });
    log().info('batch item refused', { ...ctx, field: r.error?.field });
  };
}

/** Worth another attempt: the platform could not work now, or the busNo's number is being issued right now. */
async function retryLater(services: Pick<Services, 'bills'>, r: InboundResult, appid: string, busNo: string): Promise<boolean> {
  const spec = HIS_CODES[r.result as HisCode] as { class: string } | undefined;
  if (spec && RETRIED_CLASSES.has(spec.class)) return true;
  if (r.result === 'E2004') return true; // finished elsewhere: the next run answers that bill
  if (r.result === 'E2001') return (await services.bills.byBusNo(appid, busNo))?.state === 'reserved';
  return false;
}
