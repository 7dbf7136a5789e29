/**
 * Outbox job of topic `finance-event`: a paper conversion, paper void or blank void (src/domain/
 * finance-event.ts builds them in the transaction that makes them happen) sent through the Finance port.
 * Idempotent by eventId on both sides: a repeat after a crash is answered `repeated` by finance.
 * Transient → retried until the horizon; refused → retried `finance.refusalAttempts` times, then dead.
 */
import { FINANCE_EVENT_TOPIC } from '../../domain/finance-event';
import { log } from '../../log';
import type { Finance, FinanceEvent } from '../finance';
import { JobHandler, OutboxRow, PermanentJobError } from '../outbox';
import { refusalError } from './finance-outcome';

export { FINANCE_EVENT_TOPIC };

const TYPES = new Set(['paper-convert', 'paper-void', 'blank-void']);

export function createFinanceEventHandler(finance: Finance, o: { refusalAttempts: number }): JobHandler {
  return async (payload: unknown, job: OutboxRow): Promise<void> => {
    const e = readEvent(payload);
    const ctx = { jobId: job.id, msgId: job.message_id, busNo: job.bus_no, eventId: e.eventId, type: e.type, attempt: job.attempts + 1 };
    const outcome = await finance.sendEvent(e);
    if (outcome.kind === 'transient') throw new Error(outcome.reason);
    if (outcome.kind === 'refused') {
      const { error, final } = refusalError(outcome, job, o.refusalAttempts);
      log().warn('finance event refused', { ...ctx, status: outcome.status, code: outcome.code, final });
      throw error;
    }
    log().info('finance event accepted', { ...ctx, repeated: outcome.repeated });
  };
}

function readEvent(payload: unknown): FinanceEvent {
  const p = payload as Partial<FinanceEvent> | null;
  if (!p || typeof p !== 'object' || !TYPES.has(String(p.type)) || typeof p.eventId !== 'string' || typeof p.time !== 'string') {
    throw new PermanentJobError(`${FINANCE_EVENT_TOPIC} payload must be a FinanceEvent {type, eventId, time, …}`);
  }
  return p as FinanceEvent;
}
