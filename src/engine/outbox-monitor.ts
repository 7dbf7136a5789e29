/**
 * Watches the outbox table so an outage or a dead letter cannot go unseen (docs/architecture.md#invariants): per topic the
 * undelivered count, the dead count and the age of the oldest undelivered job, as Prometheus gauges
 * recomputed from the table (on each scrape and on a timer), and an edge-triggered alert in the log:
 * one line when dead letters appear or the backlog crosses its threshold, one when it clears — not a
 * line per poll. The counts come from the (status, topic, created_at) index (migration 005).
 */
import type { Knex } from 'knex';
import { durationMs, type OutboxMonitorConfig } from '../config';
import { log } from '../log';
import { OutboxStore, TopicBacklog } from '../store/outbox';
import { outboxDead, outboxOldestPendingAge, outboxPending } from '../metrics';

export interface MonitorSettings {
  intervalMs: number;
  backlogPending: number;
  backlogAgeMs: number;
}

export function monitorSettings(c: OutboxMonitorConfig): MonitorSettings {
  return { intervalMs: durationMs(c.interval), backlogPending: c.backlogPending, backlogAgeMs: durationMs(c.backlogAge) };
}

export interface TopicHealth extends TopicBacklog {
  oldestPendingAgeSeconds: number;
  /** the backlog is at or over a threshold */
  backlogAlert: boolean;
}

export interface BacklogSnapshot {
  at: number;
  topics: Map<string, TopicHealth>;
}

export class OutboxMonitor {
  private readonly store: OutboxStore;
  private last?: BacklogSnapshot;
  private inflight?: Promise<BacklogSnapshot>;
  private timer?: NodeJS.Timeout;
  /** alert state per topic, to log edges only */
  private readonly raised = new Map<string, { dead: boolean; backlog: boolean }>();

  constructor(
    db: Knex,
    private readonly topics: Iterable<string>,
    private readonly settings: MonitorSettings,
  ) {
    this.store = new OutboxStore(db);
  }

  start(): void {
    const loop = () => {
      this.timer = setTimeout(() => {
        void this.refresh()
          .catch((e) => log().error('outbox monitor failed', { error: (e as Error).message }))
          .finally(() => this.timer && loop());
      }, this.settings.intervalMs);
      this.timer.unref();
    };
    void this.refresh().catch((e) => log().error('outbox monitor failed', { error: (e as Error).message }));
    loop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The most recent failed attempt still waiting for its retry, for /readyz. */
  latestFailure(topic: string): Promise<{ at: number; error: string } | undefined> {
    return this.store.latestFailure(topic);
  }

  /** Counts again (callers at the same moment share one query), sets the gauges and logs alert edges. */
  refresh(): Promise<BacklogSnapshot> {
    this.inflight ??= this.count().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async count(): Promise<BacklogSnapshot> {
    const rows = await this.store.backlog();
    const now = Date.now();
    const topics = new Map<string, TopicHealth>();
    for (const t of this.topics) topics.set(t, this.health({ topic: t, pending: 0, dead: 0, oldestPendingAt: null }, now));
    for (const r of rows) topics.set(r.topic, this.health(r, now));
    // Topics counted last time and absent now have nothing left: their gauges go to 0, not stale.
    for (const t of this.last?.topics.keys() ?? []) if (!topics.has(t)) topics.set(t, this.health({ topic: t, pending: 0, dead: 0, oldestPendingAt: null }, now));
    for (const h of topics.values()) {
      outboxPending.set({ topic: h.topic }, h.pending);
      outboxDead.set({ topic: h.topic }, h.dead);
      outboxOldestPendingAge.set({ topic: h.topic }, h.oldestPendingAgeSeconds);
      this.alertEdges(h);
    }
    this.last = { at: now, topics };
    return this.last;
  }

  private health(b: TopicBacklog, now: number): TopicHealth {
    const age = b.oldestPendingAt === null ? 0 : Math.max(0, now - b.oldestPendingAt);
    return {
      ...b,
      oldestPendingAgeSeconds: Math.round(age / 1000),
      backlogAlert: b.pending > 0 && (b.pending >= this.settings.backlogPending || age >= this.settings.backlogAgeMs),
    };
  }

  private alertEdges(h: TopicHealth): void {
    const was = this.raised.get(h.topic) ?? { dead: false, backlog: false };
    const is = { dead: h.dead > 0, backlog: h.backlogAlert };
    if (is.dead && !was.dead) log().error('outbox alert: dead letters present', { topic: h.topic, dead: h.dead, hint: `medbill dlq list --topic ${h.topic}` });
    if (!is.dead && was.dead) log().info('outbox alert cleared: no dead letters', { topic: h.topic });
    const b = { topic: h.topic, pending: h.pending, oldestPendingSeconds: h.oldestPendingAgeSeconds };
    if (is.backlog && !was.backlog) log().warn('outbox alert: backlog over threshold', { ...b, backlogPending: this.settings.backlogPending, backlogAgeSeconds: this.settings.backlogAgeMs / 1000 });
    if (!is.backlog && was.backlog) log().info('outbox alert cleared: backlog under threshold', b);
    this.raised.set(h.topic, is);
  }
}
