/**
 * Durable outbox worker (docs/architecture.md#invariants: an outage strands nothing): jobs are written in the same transaction as the state change
 * that causes them, then delivered here with exponential backoff and jitter, and end `done` or `dead`
 * with the reason. Delivery is at-least-once; handlers must be idempotent (keyed by job_key).
 * Retries never block intake: the worker runs beside the HTTP path, not inside it (Mirth #6362).
 */
import type { Knex } from 'knex';
import { log } from '../log';
import { backoffDelay, RetryPolicy } from './retry';

export interface OutboxRow {
  id: number;
  topic: string;
  job_key: string;
  payload: string;
  status: 'pending' | 'running' | 'done' | 'dead';
  attempts: number;
  max_attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  message_id: string | null;
  bus_no: string | null;
  created_at: number;
  updated_at: number;
}

export type JobHandler = (payload: unknown, job: OutboxRow) => Promise<void>;

/** A failure that retrying cannot fix (e.g. the peer rejected the content): dead-letter at once. */
export class PermanentJobError extends Error {}

export class OutboxWorker {
  private timer?: NodeJS.Timeout;
  private running = false;
  private elu = performance.eventLoopUtilization();
  private stopped = true;
  delivered = 0;
  dead = 0;

  constructor(
    private readonly db: Knex,
    private readonly handlers: Map<string, JobHandler>,
    private readonly policy: RetryPolicy,
    private readonly pollMs = 500,
    private readonly batch = 50,
  ) {}

  start(): void {
    this.stopped = false;
    // Jobs left `running` by a crash are due again: delivery is at-least-once.
    void this.db('outbox').where({ status: 'running' }).update({ status: 'pending', updated_at: Date.now() }).then(() => this.schedule(0));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  /** One polling round; exposed for tests and the CLI (`medbill outbox run-once`). */
  async tick(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let handled = 0;
    try {
      const now = Date.now();
      const due: OutboxRow[] = await this.db<OutboxRow>('outbox')
        .where('status', 'pending')
        .where('next_attempt_at', '<=', now)
        .whereIn('topic', [...this.handlers.keys()])
        .orderBy('next_attempt_at')
        .limit(this.batch);
      for (const job of due) {
        const claimed = await this.db('outbox').where({ id: job.id, status: 'pending' }).update({ status: 'running', updated_at: Date.now() });
        if (!claimed) continue;
        await this.deliver(job);
        handled++;
      }
    } catch (e) {
      log().error('outbox poll failed', { error: (e as Error).message });
    } finally {
      this.running = false;
      // Intake first: a full batch normally polls again at once, but not while the event loop is busy
      // serving HIS requests; then at most one batch per interval, and the backlog drains when it quietens.
      const now = performance.eventLoopUtilization();
      const busy = performance.eventLoopUtilization(now, this.elu).utilization > 0.8;
      this.elu = now;
      this.schedule(handled === this.batch && !busy ? 0 : this.pollMs);
    }
    return handled;
  }

  private async deliver(job: OutboxRow): Promise<void> {
    const attempts = job.attempts + 1;
    const handler = this.handlers.get(job.topic)!;
    try {
      await handler(JSON.parse(job.payload), job);
      await this.db('outbox').where({ id: job.id }).update({ status: 'done', attempts, last_error: null, updated_at: Date.now() });
      this.delivered++;
      log().info('outbox delivered', { jobId: job.id, topic: job.topic, msgId: job.message_id, busNo: job.bus_no, attempts });
    } catch (e) {
      const reason = (e as Error).message?.slice(0, 2000) ?? String(e);
      const permanent = e instanceof PermanentJobError;
      const dead = permanent || attempts >= job.max_attempts;
      await this.db('outbox')
        .where({ id: job.id })
        .update({
          status: dead ? 'dead' : 'pending',
          attempts,
          last_error: dead ? `${permanent ? 'permanent' : `gave up after ${attempts} attempts`}: ${reason}` : reason,
          next_attempt_at: Date.now() + (dead ? 0 : backoffDelay(this.policy, attempts)),
          updated_at: Date.now(),
        });
      if (dead) this.dead++;
      log()[dead ? 'error' : 'warn'](dead ? 'outbox dead letter' : 'outbox retry scheduled', {
        jobId: job.id,
        topic: job.topic,
        msgId: job.message_id,
        busNo: job.bus_no,
        attempts,
        error: reason,
      });
    }
  }

  /** Dead letters back to pending (`medbill outbox requeue`): a new life of max_attempts tries. */
  static async requeue(db: Knex, ids: number[]): Promise<number> {
    return db('outbox').whereIn('id', ids).where('status', 'dead').update({ status: 'pending', attempts: 0, next_attempt_at: Date.now(), updated_at: Date.now() });
  }
}
