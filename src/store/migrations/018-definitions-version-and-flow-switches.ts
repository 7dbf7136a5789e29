import type { Knex } from 'knex';

/**
 * Hot reload and per-flow enable/disable (issue 11):
 * - messages.definitions_version: the version (hash of every served definition file) of the set a
 *   message was routed with; a reload swaps the set between messages, never inside one, so this names
 *   exactly the flows and mappings that answered it.
 * - flow_switches: flows an operator disabled (Mirth's undeploy) or enabled again, by flow name. In the
 *   database, not a file, so the switch holds across restarts and every node on the database obeys it.
 *   A flow without a row is enabled.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.string('definitions_version', 16);
  });
  await knex.schema.createTable('flow_switches', (t) => {
    t.string('flow', 100).primary();
    t.boolean('enabled').notNullable();
    t.string('reason', 200);
    t.string('changed_by', 64);
    t.bigInteger('changed_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('flow_switches');
  await knex.schema.alterTable('messages', (t) => {
    t.dropColumn('definitions_version');
  });
}
