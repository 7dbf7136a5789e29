import type { Knex } from 'knex';

/**
 * The outbox retries transient failures for a horizon in time, not a number of attempts, and keeps
 * its dead letters visible and replayable (docs/architecture.md#invariants, `medbill dlq`).
 *   horizon_start   when the current retry horizon began: the enqueue time, or the last requeue
 *   dead_at         when the job was dead-lettered (`dlq list --since` filters on it)
 *   discarded_at, discard_reason   a dead letter an operator gave up on: status 'discarded', never deleted
 * max_attempts is no longer read (written 0); it stays so that this migration rewrites no table.
 * The (status, topic, created_at) index lets the backlog gauges count the undelivered and dead jobs of
 * each topic, and find the oldest, without reading the done ones.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('outbox', (t) => {
    t.bigInteger('horizon_start');
    t.bigInteger('dead_at');
    t.bigInteger('discarded_at');
    t.string('discard_reason', 500);
    t.index(['status', 'topic', 'created_at'], 'outbox_status_topic_created');
  });
  await knex('outbox').update({ horizon_start: knex.ref('created_at') });
  await knex('outbox').where({ status: 'dead' }).update({ dead_at: knex.ref('updated_at') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('outbox', (t) => {
    t.dropIndex(['status', 'topic', 'created_at'], 'outbox_status_topic_created');
    for (const c of ['horizon_start', 'dead_at', 'discarded_at', 'discard_reason']) t.dropColumn(c);
  });
}
