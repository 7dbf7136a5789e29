import type { Knex } from 'knex';

/**
 * Red bills, feedback and notices (issue 8, the "red" part):
 * - bills.live_red_of: on a red bill that is reserved or issued, the id of the blue bill it reverses
 *   (NULL on blue bills and on voided red reservations). Unique, so one blue bill has at most one live
 *   red bill across processes and nodes — the same guard (appid, bus_no) is for blue bills. The meaning
 *   "red of" stays related_bill_id (migration 009); this column only carries the uniqueness.
 * - bill_list_details: itemised rows pushed by receiveListDetail (v2.0.3), stored, not on the bill;
 *   (bill_id, batch_no) unique because the HIS numbers its chunks and must not resend one.
 * - notice_deliveries: what the recording notice channel delivered (the rendered text per notice job);
 *   it stands in for SMS and e-mail gateways outside the hospital. The address is kept masked only.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bills', (t) => {
    t.integer('live_red_of');
    t.unique(['live_red_of']);
  });
  await knex.schema.createTable('bill_list_details', (t) => {
    t.increments('id');
    t.integer('bill_id').notNullable();
    t.integer('batch_no').notNullable();
    t.integer('row_count').notNullable();
    t.text('rows', 'mediumtext').notNullable();
    t.string('message_id', 32);
    t.bigInteger('created_at').notNullable();
    t.unique(['bill_id', 'batch_no']);
  });
  await knex.schema.createTable('notice_deliveries', (t) => {
    t.increments('id');
    t.integer('bill_id').notNullable();
    t.string('notice_type', 10).notNullable();
    t.string('channel', 20).notNullable();
    t.string('address_masked', 60).notNullable();
    t.text('rendered').notNullable();
    t.string('job_key', 120).notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['job_key']);
    t.index(['bill_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('notice_deliveries');
  await knex.schema.dropTableIfExists('bill_list_details');
  await knex.schema.alterTable('bills', (t) => {
    t.dropUnique(['live_red_of']);
    t.dropColumn('live_red_of');
  });
}
