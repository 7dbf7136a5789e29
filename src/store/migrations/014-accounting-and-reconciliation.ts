import type { Knex } from 'knex';

/**
 * Accounting sheets (汇总单) and the totals a HIS pushes for reconciliation (docs/reference/accounting-and-reconciliation.md).
 * - account_sheets: one summary of the issued bills of a period and place; state '0' generated,
 *   '1' booked (入账: its bills get bills.account_state '1'), '2' cancelled. Amounts in integer fen.
 * - account_sheet_bills: which bills a live sheet holds. bill_id is unique, so a bill is on at most one
 *   live sheet; cancelling a sheet deletes its rows and the bills may go on a new sheet.
 * - his_recon_pushes: what the HIS sent with receiveCheckTotalData / receiveCheckWriteOffData /
 *   receiveBillByBusDate, one row per (appid, kind, scope, page); a repeat push of the same scope and
 *   page replaces the earlier one. query* compares it with medbill's own figures at query time.
 * Reconciliation reads one day of bills by bus_date_time (indexed since 004) or create_time (009).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('account_sheets', (t) => {
    t.increments('id').primary();
    t.string('account_no', 40).notNullable().unique();
    t.string('appid', 64).notNullable();
    t.string('place_code', 50).notNullable(); // '' = every place
    t.string('bgn_date', 10).notNullable(); // yyyy-MM-dd
    t.string('end_date', 10).notNullable();
    t.string('date_basis', 3).notNullable(); // ivc | bus
    t.string('state', 1).notNullable(); // 0 generated | 1 booked | 2 cancelled
    t.integer('blue_num').notNullable();
    t.bigInteger('blue_fen').notNullable();
    t.integer('red_num').notNullable();
    t.bigInteger('red_fen').notNullable(); // negative or 0
    t.string('operator', 60).notNullable();
    t.string('remark', 200);
    t.string('create_time', 17).notNullable();
    t.string('register_operator', 60);
    t.string('register_time', 17);
    t.string('cancel_operator', 60);
    t.string('cancel_reason', 200);
    t.string('cancel_time', 17);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['create_time']);
  });
  await knex.schema.createTable('account_sheet_bills', (t) => {
    t.integer('sheet_id').notNullable();
    t.integer('bill_id').notNullable().unique();
    t.primary(['sheet_id', 'bill_id']);
  });
  await knex.schema.createTable('his_recon_pushes', (t) => {
    t.increments('id').primary();
    t.string('appid', 64).notNullable();
    t.string('kind', 12).notNullable(); // total | writeOff | bills
    t.string('scope_key', 120).notNullable();
    t.integer('page_no').notNullable();
    t.text('payload', 'mediumtext').notNullable();
    t.string('received_time', 17).notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['appid', 'kind', 'scope_key', 'page_no']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['his_recon_pushes', 'account_sheet_bills', 'account_sheets']) await knex.schema.dropTableIfExists(t);
}
