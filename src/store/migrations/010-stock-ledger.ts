import type { Knex } from 'knex';
import { exactCollation, isMysql } from './003-exact-identity-collation';

/**
 * The stock ledger (issue 9). `stock_movements` records every administrative movement of numbers —
 * received from finance into the unit's store, distributed to a place, returned from it, voided
 * blank — and `stock_places` the places (开票点) that hold ranges. Numbers used by bills are not
 * written twice: a `bills` row (blue, red, or voided with its reason) is the ledger entry of its use.
 * `stock_ranges` stays what a place holds now, with its allocation cursor `next_no`; no balance is
 * stored anywhere, every balance is computed from these rows (src/store/stock.ts).
 *
 * Ranges seeded before this migration (the demo stock) get their "received" and "distributed"
 * movements here, so every number of every range is in the ledger.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('stock_places', (t) => {
    t.string('place_code', 50).primary();
    t.string('name', 100).notNullable();
    t.string('type', 10).notNullable(); // window | kiosk | online
    t.bigInteger('created_at').notNullable();
  });
  await knex.schema.createTable('stock_movements', (t) => {
    t.increments('id').primary();
    t.bigInteger('at').notNullable();
    t.string('op', 12).notNullable(); // received | distributed | returned | voided
    t.string('medium', 10).notNullable();
    t.string('bill_kind', 20).notNullable();
    t.string('bill_batch_code', 20).notNullable();
    t.bigInteger('start_no').notNullable();
    t.bigInteger('end_no').notNullable();
    t.integer('no_len').notNullable();
    t.string('place_code', 50); // distributed/returned: the place; voided: the place or NULL (the unit's store)
    t.integer('range_id'); // the stock_ranges row distributed, returned from or voided in
    t.string('operator', 60);
    t.string('reason', 200);
    t.string('remark', 200);
    t.string('source', 10).notNullable(); // cli | his | demo | migration
    t.index(['bill_batch_code', 'medium', 'start_no']);
    t.index(['place_code', 'at']);
    t.index(['at']);
  });
  if (isMysql(knex)) {
    const c = await exactCollation(knex);
    await knex.raw(`ALTER TABLE stock_places MODIFY place_code VARCHAR(50) CHARACTER SET utf8mb4 COLLATE ${c} NOT NULL`);
    await knex.raw(`ALTER TABLE stock_movements MODIFY place_code VARCHAR(50) CHARACTER SET utf8mb4 COLLATE ${c} NULL`);
  }
  const ranges = (await knex('stock_ranges').orderBy('id')) as {
    id: number; place_code: string; medium: string; bill_kind: string; bill_batch_code: string; start_no: number; end_no: number; no_len: number; created_at: number;
  }[];
  for (const r of ranges) {
    const base = { medium: r.medium, bill_kind: r.bill_kind, bill_batch_code: r.bill_batch_code, start_no: r.start_no, end_no: r.end_no, no_len: r.no_len, source: 'migration', at: Number(r.created_at) };
    await knex('stock_movements').insert({ ...base, op: 'received', place_code: null, range_id: null, reason: '迁移前已有号段' });
    await knex('stock_movements').insert({ ...base, op: 'distributed', place_code: r.place_code, range_id: r.id });
    const known = await knex('stock_places').where({ place_code: r.place_code }).first();
    if (!known) await knex('stock_places').insert({ place_code: r.place_code, name: r.place_code, type: 'window', created_at: Date.now() });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('stock_movements');
  await knex.schema.dropTableIfExists('stock_places');
}
