/** Prometheus metrics (GET /metrics on the HIS port). */
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const messagesTotal = new client.Counter({
  name: 'medbill_messages_total',
  help: 'Inbound messages by channel, service and result code',
  labelNames: ['channel', 'service', 'result'] as const,
  registers: [registry],
});

export const flowSeconds = new client.Histogram({
  name: 'medbill_flow_duration_seconds',
  help: 'Time from receipt to response, by service',
  labelNames: ['service'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
  registers: [registry],
});

export const stepSeconds = new client.Histogram({
  name: 'medbill_step_duration_seconds',
  help: 'Step duration by flow and step id',
  labelNames: ['flow', 'step'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2],
  registers: [registry],
});

export const inFlightRequests = new client.Gauge({
  name: 'medbill_http_in_flight_requests',
  help: 'HIS channel requests being read or worked on now (limits.maxInFlight bounds it)',
  registers: [registry],
});

export const limitedTotal = new client.Counter({
  name: 'medbill_limited_total',
  help: 'Requests refused by a limit before any work: busy (max in-flight), rate-ip, rate-appid, bill-rate, bill-lockout',
  labelNames: ['limit'] as const,
  registers: [registry],
});

export const outboxAttempts = new client.Counter({
  name: 'medbill_outbox_attempts_total',
  help: 'Outbox delivery attempts by topic and outcome (delivered, retry, dead)',
  labelNames: ['topic', 'outcome'] as const,
  registers: [registry],
});

// The backlog gauges are recomputed from the outbox table (src/engine/outbox-monitor.ts): on every
// scrape and on the monitor's timer, so they are true after a restart and across several nodes.
export const outboxPending = new client.Gauge({
  name: 'medbill_outbox_pending',
  help: 'Outbox jobs not yet delivered (pending or running), by topic',
  labelNames: ['topic'] as const,
  registers: [registry],
});

export const outboxDead = new client.Gauge({
  name: 'medbill_outbox_dead',
  help: 'Dead-lettered outbox jobs waiting for an operator (medbill dlq), by topic',
  labelNames: ['topic'] as const,
  registers: [registry],
});

export const outboxOldestPendingAge = new client.Gauge({
  name: 'medbill_outbox_oldest_pending_age_seconds',
  help: 'Age of the oldest undelivered outbox job, by topic (0 when none)',
  labelNames: ['topic'] as const,
  registers: [registry],
});

/** The writer whose counts the two counters below report (the latest createApp in this process). */
let commitSource: { batches: number; units: number } | undefined;

/**
 * Group-commit transactions and the units of work they carried (counters). Each transaction is one
 * fsync under synchronous=FULL (SQLite) or innodb_flush_log_at_trx_commit=1, so units per transaction
 * is how far the group commit amortises the fsync (a bill is about four units: message, number, bill,
 * outcome).
 */
export function watchGroupCommit(writer: { batches: number; units: number }): void {
  commitSource = writer;
}

// Counters fed from the writer's own counts when scraped (reset, then set to the count).
new client.Counter({
  name: 'medbill_group_commit_transactions_total',
  help: 'Group-commit transactions committed since start (one fsync each with durable settings)',
  registers: [registry],
  collect() {
    this.reset();
    this.inc(commitSource?.batches ?? 0);
  },
});

new client.Counter({
  name: 'medbill_group_commit_units_total',
  help: 'Units of work (message, reservation, bill, outcome writes) committed by the group commit since start',
  registers: [registry],
  collect() {
    this.reset();
    this.inc(commitSource?.units ?? 0);
  },
});

/** Where the stock gauges read the levels from on a scrape (the latest createApp in this process). */
let stockSource: (() => Promise<{ placeCode: string; medium: string; billKind: string; remaining: number; threshold: number }[]>) | undefined;

export function watchStock(source: typeof stockSource): void {
  stockSource = source;
}

// Recomputed from stock_ranges on every scrape, so several nodes on one database agree and a restart
// shows the truth; the takes in between set the same gauges as they cross a threshold.
export const stockRemaining = new client.Gauge({
  name: 'medbill_stock_remaining',
  help: 'Unused numbers a place holds, by place, medium (ebill, paper) and bill kind',
  labelNames: ['place', 'medium', 'bill_kind'] as const,
  registers: [registry],
  async collect() {
    if (!stockSource) return;
    const levels = await stockSource();
    this.reset();
    stockLow.reset();
    for (const l of levels) {
      const labels = { place: l.placeCode, medium: l.medium, bill_kind: l.billKind };
      this.set(labels, l.remaining);
      stockLow.set(labels, l.remaining <= l.threshold ? 1 : 0);
    }
  },
});

export const stockLow = new client.Gauge({
  name: 'medbill_stock_low',
  help: '1 when a place holds no more unused numbers of the medium and bill kind than its low-stock threshold (stock.lowThreshold)',
  labelNames: ['place', 'medium', 'bill_kind'] as const,
  registers: [registry],
});

export const definitionReloads = new client.Counter({
  name: 'medbill_definitions_reloads_total',
  help: 'Reloads of flows, mappings, catalogue and code tables: ok (swapped or unchanged) or refused (errors in the new files; the running set stays)',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const financeReconcileDifferences = new client.Gauge({
  name: 'medbill_finance_reconcile_differences',
  help: "Differences the last daily reconciliation with finance's totals found (0 = the ledger and finance agree)",
  registers: [registry],
});
