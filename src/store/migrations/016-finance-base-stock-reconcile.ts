import type { Knex } from 'knex';

/**
 * The finance exchange's own records on medbill's side (docs/finance-exchange.md):
 * - finance_base_info: each base-information set downloaded from finance (bill kinds, charge-item
 *   catalogue, code tables) with finance's version; the newest row is what issuance checks against.
 *   A set already held (same version) is not stored again.
 * - finance_stock_applications: stock applications (申领) medbill sent, what finance decided, the range
 *   it allocated, and the two local steps after it: received into the stock ledger (received_at, in the
 *   same transaction as the ledger row) and receipt confirmed to finance (confirmed_at).
 * - finance_reconcile_reports: each daily reconciliation with finance's totals, the whole report as
 *   JSON, and how many differences it found.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('finance_base_info', (t) => {
    t.increments('id').primary();
    t.string('version', 64).notNullable().unique();
    t.text('info', 'mediumtext').notNullable();
    t.integer('charge_items').notNullable();
    t.bigInteger('fetched_at').notNullable();
  });
  await knex.schema.createTable('finance_stock_applications', (t) => {
    t.increments('id').primary();
    t.string('application_id', 64).notNullable().unique();
    t.string('bill_kind', 20).notNullable();
    t.string('bill_code', 4).notNullable();
    t.string('medium', 8).notNullable();
    t.integer('quantity').notNullable();
    t.string('applicant', 60).notNullable();
    t.string('reason', 200);
    t.string('state', 10).notNullable(); // new (not yet answered) | pending | approved | rejected | received
    t.string('reject_reason', 200);
    t.string('bill_batch_code', 20);
    t.string('start_no', 20);
    t.string('end_no', 20);
    t.bigInteger('received_at'); // the range is in the stock ledger
    t.bigInteger('confirmed_at'); // finance acknowledged the receipt (入库确认)
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['state']);
  });
  await knex.schema.createTable('finance_reconcile_reports', (t) => {
    t.increments('id').primary();
    t.string('recon_date', 10).notNullable(); // YYYY-MM-DD
    t.integer('differences').notNullable();
    t.text('report', 'mediumtext').notNullable();
    t.string('source', 10).notNullable(); // cli | schedule
    t.bigInteger('created_at').notNullable();
    t.index(['recon_date']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('finance_reconcile_reports');
  await knex.schema.dropTable('finance_stock_applications');
  await knex.schema.dropTable('finance_base_info');
}
