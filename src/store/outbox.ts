/**
 * The outbox table (migrations 001, 005): durable jobs, their delivery state, their dead letters.
 * The worker (src/engine/outbox.ts) moves jobs through pending → running → done | pending | dead;
 * operators move dead letters back to pending or on to discarded (`medbill dlq`). Nothing deletes a row.
 */
import type { Knex } from 'knex';

export type OutboxStatus = 'pending' | 'running' | 'done' | 'dead' | 'discarded';

export interface OutboxRow {
  id: number;
  topic: string;
  job_key: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  /** no longer read (migration 005): the retry horizon replaced the attempt limit */
  max_attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  message_id: string | null;
  bus_no: string | null;
  created_at: number;
  updated_at: number;
  /** start of the current retry horizon (enqueue or requeue); null on rows older than migration 005 */
  horizon_start: number | null;
  dead_at: number | null;
  discarded_at: number | null;
  discard_reason: string | null;
}

/** What is waiting and what died, per topic: the backlog gauges and /readyz read this. */
export interface TopicBacklog {
  topic: string;
  /** not yet delivered: pending or running */
  pending: number;
  dead: number;
  /** created_at of the oldest undelivered job */
  oldestPendingAt: number | null;
}

export interface DeadLetterFilter {
  topic?: string;
  /** dead-lettered at or after (epoch ms) */
  since?: number;
  limit?: number;
}

/** Which dead letters to put back: by id, one topic's, or all. */
export type RequeueSelection = { ids: number[] } | { topic: string } | { all: true };

const num = (v: unknown): number => Number(v);

function normalise(r: OutboxRow): OutboxRow {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    ...r,
    id: num(r.id),
    attempts: num(r.attempts),
    next_attempt_at: num(r.next_attempt_at),
    created_at: num(r.created_at),
    updated_at: num(r.updated_at),
    horizon_start: n(r.horizon_start),
    dead_at: n(r.dead_at),
    discarded_at: n(r.discarded_at),
  };
}

export class OutboxStore {
  constructor(private readonly db: Knex) {}

  /** Jobs left `running` by a crash are due again: delivery is at-least-once. */
  resetRunning(now = Date.now()): Promise<number> {
    return this.db('outbox').where({ status: 'running' }).update({ status: 'pending', updated_at: now });
  }

  async due(topics: string[], now: number, limit: number): Promise<OutboxRow[]> {
    const rows: OutboxRow[] = await this.db<OutboxRow>('outbox')
      .where('status', 'pending')
      .where('next_attempt_at', '<=', now)
      .whereIn('topic', topics)
      .orderBy('next_attempt_at')
      .limit(limit);
    return rows.map(normalise);
  }

  /** pending → running; false when another worker got there first. */
  async claim(id: number, now = Date.now()): Promise<boolean> {
    return (await this.db('outbox').where({ id, status: 'pending' }).update({ status: 'running', updated_at: now })) === 1;
  }

  markDone(id: number, attempts: number, now = Date.now()): Promise<number> {
    return this.db('outbox').where({ id }).update({ status: 'done', attempts, last_error: null, updated_at: now });
  }

  markRetry(id: number, attempts: number, error: string, retryAt: number, now = Date.now()): Promise<number> {
    return this.db('outbox').where({ id }).update({ status: 'pending', attempts, last_error: error, next_attempt_at: retryAt, updated_at: now });
  }

  markDead(id: number, attempts: number, error: string, now = Date.now()): Promise<number> {
    return this.db('outbox').where({ id }).update({ status: 'dead', attempts, last_error: error, next_attempt_at: now, dead_at: now, updated_at: now });
  }

  /** Counts per topic from the (status, topic, created_at) index: done rows are never read. */
  async backlog(): Promise<TopicBacklog[]> {
    const rows = (await this.db('outbox')
      .select('topic', 'status')
      .count({ n: '*' })
      .min({ oldest: 'created_at' })
      .whereIn('status', ['pending', 'running', 'dead'])
      .groupBy('topic', 'status')) as { topic: string; status: OutboxStatus; n: unknown; oldest: unknown }[];
    const by = new Map<string, TopicBacklog>();
    for (const r of rows) {
      const t = by.get(r.topic) ?? { topic: r.topic, pending: 0, dead: 0, oldestPendingAt: null };
      if (r.status === 'dead') t.dead += num(r.n);
      else {
        t.pending += num(r.n);
        const oldest = num(r.oldest);
        t.oldestPendingAt = t.oldestPendingAt === null ? oldest : Math.min(t.oldestPendingAt, oldest);
      }
      by.set(r.topic, t);
    }
    return [...by.values()];
  }

  /** The most recent failed attempt of a job still waiting for its retry (reads undelivered rows only). */
  async latestFailure(topic: string): Promise<{ at: number; error: string } | undefined> {
    const r = (await this.db('outbox')
      .select('last_error', 'updated_at')
      .where({ status: 'pending', topic })
      .where('attempts', '>', 0)
      .whereNotNull('last_error')
      .orderBy('updated_at', 'desc')
      .first()) as { last_error: string; updated_at: unknown } | undefined;
    return r ? { at: num(r.updated_at), error: r.last_error } : undefined;
  }

  async get(id: number): Promise<OutboxRow | undefined> {
    const r = (await this.db<OutboxRow>('outbox').where({ id }).first()) as OutboxRow | undefined;
    return r && normalise(r);
  }

  async deadLetters(f: DeadLetterFilter = {}): Promise<OutboxRow[]> {
    const q = this.db<OutboxRow>('outbox').where('status', 'dead');
    if (f.topic) q.where('topic', f.topic);
    if (f.since !== undefined) q.where('dead_at', '>=', f.since);
    const rows: OutboxRow[] = await q.orderBy('dead_at').orderBy('id').limit(f.limit ?? 1000);
    return rows.map(normalise);
  }

  /**
   * Dead letters back to pending with a fresh horizon, due at once. The attempt count and last error
   * start again too, so the backlog and /readyz do not read an old failure as a new one.
   */
  requeue(sel: RequeueSelection, now = Date.now()): Promise<number> {
    const q = this.db('outbox').where('status', 'dead');
    if ('ids' in sel) q.whereIn('id', sel.ids);
    else if ('topic' in sel) q.where('topic', sel.topic);
    return q.update({ status: 'pending', attempts: 0, last_error: null, next_attempt_at: now, horizon_start: now, dead_at: null, updated_at: now });
  }

  /** dead → discarded with the operator's reason; the row and its last error stay. */
  async discard(id: number, reason: string, now = Date.now()): Promise<boolean> {
    const n = await this.db('outbox').where({ id, status: 'dead' }).update({ status: 'discarded', discarded_at: now, discard_reason: reason.slice(0, 500), updated_at: now });
    return n === 1;
  }
}
