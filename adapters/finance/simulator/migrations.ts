/**
 * Schema of the finance simulator's own database (<dataDir>/finance.sqlite). A list of modules, like
 * src/store/migrations, so dist/ and the tests see the same migrations; kept apart from medbill's list
 * because the two databases evolve independently.
 */
import type { Knex } from 'knex';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const m001: Migration = {
  async up(knex) {
    // One row per accepted e-bill: the document exactly as the unit uploaded it, and our signature.
    await knex.schema.createTable('fin_bills', (t) => {
      t.increments('id').primary();
      t.string('bill_batch_code', 20).notNullable();
      t.string('bill_no', 20).notNullable();
      t.string('random', 20).notNullable();
      t.text('fiscal_xml', 'mediumtext').notNullable();
      // SHA-256 of the signed text: what "the same document" means for idempotent repeats.
      t.string('content_sha256', 64).notNullable();
      t.string('payer', 100);
      t.string('total_amount', 24);
      t.string('issue_date', 8);
      t.text('unit_signature').notNullable();
      t.string('unit_cert_serial', 64);
      t.text('supervisor_signature').notNullable();
      t.string('supervisor_cert_serial', 64).notNullable();
      t.string('supervisor_time', 14).notNullable();
      t.bigInteger('received_at').notNullable();
      t.unique(['bill_batch_code', 'bill_no']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('fin_bills');
  },
};

const m002: Migration = {
  async up(knex) {
    // One row per upload request answered, repeats and refusals included: the simulator's own record of
    // what reached finance, so a test can prove each bill arrived exactly once however long an outage was.
    await knex.schema.createTable('fin_uploads', (t) => {
      t.increments('id').primary();
      t.string('bill_batch_code', 20);
      t.string('bill_no', 20);
      t.string('outcome', 12).notNullable(); // accepted | repeated | refused
      t.string('code', 40); // the refusal code
      t.integer('status').notNullable();
      t.bigInteger('received_at').notNullable();
      t.index(['bill_batch_code', 'bill_no']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('fin_uploads');
  },
};

const migrations: Record<string, Migration> = {
  'fin-001-bills': m001,
  'fin-002-uploads': m002,
};

export const financeMigrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
