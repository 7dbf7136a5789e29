/**
 * What a finance job does with a refusal, shared by the bill upload and the event jobs: finance looked
 * and said no, but the cause is often on a side we can fix (a revoked certificate replaced, a blue
 * bill that finance lost, a misconfigured binding), so a refusal is tried `finance.refusalAttempts`
 * times with the outbox's backoff between, then dead-lettered with finance's reason; `medbill dlq
 * requeue` sends it again once the cause is fixed.
 */
import type { FinanceRefused } from '../finance';
import type { OutboxRow } from '../outbox';
import { PermanentJobError } from '../outbox';

export function refusalReason(r: FinanceRefused): string {
  return `finance refused (HTTP ${r.status} ${r.code}): ${r.message}${r.detail ? ` — ${r.detail}` : ''}`;
}

/** The error that tells the outbox what to do with this refusal: retry (plain Error) or dead-letter (permanent). */
export function refusalError(r: FinanceRefused, job: Pick<OutboxRow, 'attempts'>, refusalAttempts: number): { error: Error; final: boolean } {
  const attempt = job.attempts + 1;
  const reason = refusalReason(r);
  if (attempt >= Math.max(1, refusalAttempts)) return { error: new PermanentJobError(`${reason} (attempt ${attempt} of ${refusalAttempts})`), final: true };
  return { error: new Error(`${reason} (attempt ${attempt} of ${refusalAttempts}; tried again)`), final: false };
}
