import type { Knex } from 'knex';
import { exactCollation, isMysql } from './003-exact-identity-collation';

/**
 * Batch issuance (batchInvoiceEBill*): a batch and its items are stored — with one outbox job per item
 * — in the transaction that accepts the batch, before the HIS gets its answer. Each item is then
 * issued by its job through the single-issue flow of its service, and ends in status 1 (issued,
 * bill_id) or 2 (refused, err_code/err_msg) exactly once: an item leaves status 0 only by an UPDATE
 * that requires status 0.
 * - batches: one per (appid, batch_no); request_hash tells a repeat of the same batch from another
 *   batch under the same number; service is the batch service, item_service the single-issue one.
 * - batch_items: seq is the item's position in eBillList; payload the item exactly as accepted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('batches', (t) => {
    t.increments('id').primary();
    t.string('appid', 64).notNullable();
    t.string('batch_no', 60).notNullable();
    t.string('service', 60).notNullable();
    t.string('item_service', 60).notNullable();
    t.string('request_hash', 64).notNullable();
    t.string('message_id', 32);
    t.integer('item_count').notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['appid', 'batch_no']);
  });
  await knex.schema.createTable('batch_items', (t) => {
    t.increments('id').primary();
    t.integer('batch_id').unsigned().notNullable().references('id').inTable('batches');
    t.integer('seq').notNullable();
    t.string('bus_no', 64).notNullable();
    t.text('payload', 'mediumtext').notNullable();
    t.integer('status').notNullable().defaultTo(0);
    t.string('err_code', 10);
    t.string('err_msg', 800);
    t.integer('bill_id');
    t.string('message_id', 32);
    t.bigInteger('updated_at').notNullable();
    t.unique(['batch_id', 'seq']);
  });
  if (isMysql(knex)) {
    // Exact comparison, as for bills (migration 003): batch "B1" and "b1 " are two batches.
    const c = await exactCollation(knex);
    await knex.raw(`ALTER TABLE \`batches\` MODIFY \`appid\` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE ${c} NOT NULL, MODIFY \`batch_no\` VARCHAR(60) CHARACTER SET utf8mb4 COLLATE ${c} NOT NULL`);
    await knex.raw(`ALTER TABLE \`batch_items\` MODIFY \`bus_no\` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE ${c} NOT NULL`);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('batch_items');
  await knex.schema.dropTable('batches');
}
