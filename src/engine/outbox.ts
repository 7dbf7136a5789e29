/**
 * Durable outbox worker (docs/architecture.md#invariants: an outage strands nothing): jobs are written in the same transaction as the state change
 * that causes them, then delivered here with exponential backoff and jitter. A transient failure is
 * retried until the retry horizon (days) has passed; only a PermanentJobError dead-letters at once.
 * Every job ends `done` or `dead` with the reason; dead letters are counted by the outbox monitor and
 * put back by `medbill dlq requeue`. Delivery is at-least-once; handlers must be idempotent (keyed by
 * job_key). Retries never block intake: the worker runs beside the HTTP path, not inside it (Mirth #6362).
 */
import type { Knex } from 'knex';
import { formatDuration } from '../config';
import { isoBeijing } from '../domain/time';
import { log } from '../log';
import { OutboxRow, OutboxStore } from '../store/outbox';
import { outboxAttempts } from '../metrics';
import { nextRetry, RetryPolicy } from './retry';

export type { OutboxRow } from '../store/outbox';

/** Under load, woken rounds are at least this far apart (a commit's jobs wait at most this long). */
const WAKE_PAUSE_MS = 50;

export type JobHandler = (payload: unknown, job: OutboxRow) => Promise<void>;

/** A failure that retrying cannot fix (e.g. the peer rejected the content): dead-letter at once. */
export class PermanentJobError extends Error {}

/** A payload that is not JSON will not become JSON on a retry. */
function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PermanentJobError(`payload is not JSON (${(e as Error).message})`);
  }
}

export class OutboxWorker {
  private timer?: NodeJS.Timeout;
  private running = false;
  private elu = performance.eventLoopUtilization();
  private stopped = true;
  private woken = false;
  private timerAt = 0;
  private readonly store: OutboxStore;
  /** per topic: when this process last delivered a job (peer state in /readyz) */
  private readonly lastDelivered = new Map<string, number>();

  constructor(
    db: Knex,
    private readonly handlers: Map<string, JobHandler>,
    private readonly policy: RetryPolicy,
    private readonly pollMs = 500,
    private readonly batch = 50,
    /** jobs of one round delivered at once (a batch's items would otherwise issue one by one) */
    private readonly concurrency = 1,
  ) {
    this.store = new OutboxStore(db);
  }

  start(): void {
    this.stopped = false;
    // Busy-ness is judged from here on, not over the start-up that came before.
    this.elu = performance.eventLoopUtilization();
    void this.store.resetRunning().then(() => this.schedule(0));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * New jobs were committed: poll now instead of at the next interval (a round in progress polls again
   * when it ends). The scheduled poll stays the sweep behind this, for jobs of other processes and retries.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    // A round already due within the pause is soon enough (many commits, one round).
    if (this.timer && this.timerAt <= Date.now() + WAKE_PAUSE_MS) return;
    if (this.timer) clearTimeout(this.timer);
    this.schedule(0);
  }

  /** When this process last delivered a job of the topic (undefined: not since it started). */
  lastDeliveredAt(topic: string): number | undefined {
    return this.lastDelivered.get(topic);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timerAt = Date.now() + ms;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  /** One polling round; exposed for tests. */
  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let handled = 0;
    try {
      const due = await this.store.due([...this.handlers.keys()], Date.now(), this.batch);
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < due.length) {
          const job = due[next++];
          if (!(await this.store.claim(job.id))) continue;
          await this.deliver(job);
          handled++;
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(this.concurrency, due.length)) }, lane));
    } catch (e) {
      log().error('outbox poll failed', { error: (e as Error).message });
    } finally {
      this.running = false;
      // Intake first: a full batch normally polls again at once, but not while the event loop is busy
      // serving HIS requests; then at most one batch per interval, and the backlog drains when it quietens.
      const now = performance.eventLoopUtilization();
      const busy = performance.eventLoopUtilization(now, this.elu).utilization > 0.8;
      this.elu = now;
      // Woken meanwhile (new jobs committed): again at once, or after a short pause while the loop is
      // busy, so at full issuance a round every WAKE_PAUSE_MS carries many commits' jobs.
      const woken = this.woken;
      this.woken = false;
      if (handled === this.batch && !busy) this.schedule(0);
      else if (woken) this.schedule(busy ? Math.min(WAKE_PAUSE_MS, this.pollMs) : 0);
      else this.schedule(this.pollMs);
    }
    return handled;
  }

  private async deliver(job: OutboxRow): Promise<void> {
    const attempts = job.attempts + 1;
    const handler = this.handlers.get(job.topic)!;
    const ctx = { jobId: job.id, topic: job.topic, msgId: job.message_id, busNo: job.bus_no, attempts };
    try {
      await handler(parsePayload(job.payload), job);
      const now = Date.now();
      await this.store.markDone(job.id, attempts, now);
      this.lastDelivered.set(job.topic, now);
      outboxAttempts.inc({ topic: job.topic, outcome: 'delivered' });
      log().info('outbox delivered', ctx);
      return;
    } catch (e) {
      const reason = ((e as Error)?.message ?? String(e)).slice(0, 2000);
      const now = Date.now();
      if (e instanceof PermanentJobError) return this.deadLetter(job, attempts, `permanent: ${reason}`, now, ctx);
      const horizonStart = job.horizon_start ?? job.created_at;
      const next = nextRetry(this.policy, attempts, horizonStart, now);
      if ('giveUp' in next) {
        const why = `gave up: retry horizon of ${formatDuration(this.policy.horizonMs)} passed (${attempts} attempts since ${isoBeijing(horizonStart)})`;
        return this.deadLetter(job, attempts, `${why}: ${reason}`, now, ctx);
      }
      await this.store.markRetry(job.id, attempts, reason, next.retryAt, now);
      outboxAttempts.inc({ topic: job.topic, outcome: 'retry' });
      log().warn('outbox retry scheduled', { ...ctx, retryInMs: next.retryAt - now, error: reason });
    }
  }

  private async deadLetter(job: OutboxRow, attempts: number, lastError: string, now: number, ctx: Record<string, unknown>): Promise<void> {
    await this.store.markDead(job.id, attempts, lastError, now);
    outboxAttempts.inc({ topic: job.topic, outcome: 'dead' });
    log().error('outbox dead letter', { ...ctx, error: lastError });
  }
}
