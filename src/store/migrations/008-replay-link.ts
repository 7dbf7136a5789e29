import type { Knex } from 'knex';

/**
 * replayed_by: the message that replayed this one (its replay_of points back). A replayed message gets
 * status `replayed`, so the failed pool holds only the latest attempt of each request, and trace can
 * walk a chain both ways (replay_of upward, replayed_by downward; replay_of indexed for the siblings a
 * `replay --again` leaves).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.string('replayed_by', 32);
    t.index(['replay_of']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.dropIndex(['replay_of']);
    t.dropColumn('replayed_by');
  });
}
