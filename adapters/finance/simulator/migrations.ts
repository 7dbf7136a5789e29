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

const m003: Migration = {
  async up(knex) {
    // What the daily totals are counted by (per day, place and kind), and a red bill's link to its blue one.
    await knex.schema.alterTable('fin_bills', (t) => {
      t.string('kind', 8).notNullable().defaultTo('blue'); // blue | red
      t.string('place_code', 50);
      t.string('bill_kind', 20);
      t.string('related_bill_batch_code', 20);
      t.string('related_bill_no', 20);
      t.index(['issue_date', 'place_code']);
    });
    // Bill events that are not documents (paper conversion, paper void, blank void), idempotent by
    // event_id; content_sha256 tells a repeat from a conflicting event under the same id.
    await knex.schema.createTable('fin_events', (t) => {
      t.increments('id').primary();
      t.string('event_id', 200).notNullable().unique();
      t.string('type', 20).notNullable(); // paper-convert | paper-void | blank-void
      t.string('content_sha256', 64).notNullable();
      t.string('place_code', 50);
      t.string('bill_batch_code', 20);
      t.string('bill_no', 20);
      t.string('p_bill_batch_code', 20);
      t.string('p_bill_no', 20);
      t.string('medium', 8);
      t.string('start_no', 20);
      t.string('end_no', 20);
      t.integer('count').notNullable().defaultTo(1);
      t.string('reason', 200);
      t.string('event_time', 14).notNullable(); // yyyyMMddHHmmss Beijing, when it happened at the hospital
      t.string('event_date', 8).notNullable(); // yyyyMMdd of event_time: the day it is counted under
      t.bigInteger('received_at').notNullable();
      t.index(['event_date', 'place_code']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('fin_events');
    await knex.schema.alterTable('fin_bills', (t) => {
      t.dropIndex(['issue_date', 'place_code']);
      t.dropColumns('kind', 'place_code', 'bill_kind', 'related_bill_batch_code', 'related_bill_no');
    });
  },
};

const m004: Migration = {
  async up(knex) {
    // One row per /api/events request answered, repeats and refusals included, as fin_uploads is for
    // bills: fin_events holds each event once, this shows how often it arrived.
    await knex.schema.createTable('fin_event_receipts', (t) => {
      t.increments('id').primary();
      t.string('event_id', 200);
      t.string('outcome', 12).notNullable(); // accepted | repeated | refused
      t.string('code', 40);
      t.integer('status').notNullable();
      t.bigInteger('received_at').notNullable();
      t.index(['event_id']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('fin_event_receipts');
  },
};

const m005: Migration = {
  async up(knex) {
    // Stock applications (申领) from units, with finance's decision and the range it allocated.
    // content_sha256 tells a repeat of an application id from a different application under that id.
    await knex.schema.createTable('fin_stock_applications', (t) => {
      t.increments('id').primary();
      t.string('application_id', 64).notNullable().unique();
      t.string('content_sha256', 64).notNullable();
      t.string('bill_kind', 20).notNullable();
      t.string('bill_code', 4).notNullable();
      t.string('medium', 8).notNullable();
      t.integer('quantity').notNullable();
      t.string('applicant', 60).notNullable();
      t.string('reason', 200);
      t.string('state', 10).notNullable(); // pending | approved | rejected | received
      t.string('reject_reason', 200);
      t.string('decided_by', 60);
      t.string('bill_batch_code', 20);
      t.string('start_no', 20);
      t.string('end_no', 20);
      t.string('updated_at', 14).notNullable(); // yyyyMMddHHmmss Beijing
      t.bigInteger('created_at').notNullable();
      t.index(['state']);
    });
    // The next number finance allocates under each bill code and medium: ranges never overlap, and the
    // counter starts above the demo stock medbill seeds itself (numbers up to 0009999999).
    await knex.schema.createTable('fin_number_counters', (t) => {
      t.string('bill_batch_code', 20).notNullable();
      t.string('medium', 8).notNullable();
      t.bigInteger('next_no').notNullable();
      t.primary(['bill_batch_code', 'medium']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('fin_number_counters');
    await knex.schema.dropTableIfExists('fin_stock_applications');
  },
};

const migrations: Record<string, Migration> = {
  'fin-001-bills': m001,
  'fin-002-uploads': m002,
  'fin-003-kinds-and-events': m003,
  'fin-004-event-receipts': m004,
  'fin-005-stock-applications': m005,
};

export const financeMigrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
