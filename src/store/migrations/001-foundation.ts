import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Every inbound message, raw, stored before it is processed: what trace and replay read.
  await knex.schema.createTable('messages', (t) => {
    t.string('id', 32).primary();
    t.bigInteger('received_at').notNullable();
    t.string('channel', 20).notNullable(); // his-json | his-soap | hl7 | ...
    t.string('service_id', 60).notNullable();
    t.string('appid', 64);
    t.string('bus_no', 64);
    t.string('noise', 100);
    t.text('raw', 'mediumtext').notNullable();
    t.string('flow', 80);
    t.string('flow_version', 20);
    t.string('status', 16).notNullable(); // received | processing | done | failed | rejected
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('error_code', 32);
    t.text('error');
    t.text('response', 'mediumtext');
    t.text('trace');
    t.string('replay_of', 32);
    t.bigInteger('updated_at').notNullable();
    t.index(['bus_no']);
    t.index(['received_at']);
    t.index(['status', 'received_at']);
  });

  // Bill stock: ranges of numbers distributed to an issuing place (开票点), e-bill or paper.
  await knex.schema.createTable('stock_ranges', (t) => {
    t.increments('id').primary();
    t.string('place_code', 50).notNullable();
    t.string('medium', 10).notNullable(); // ebill | paper
    t.string('bill_kind', 20).notNullable(); // outpatient | inpatient | ...
    t.string('bill_batch_code', 20).notNullable();
    t.bigInteger('start_no').notNullable();
    t.bigInteger('end_no').notNullable();
    t.bigInteger('next_no').notNullable();
    t.integer('no_len').notNullable().defaultTo(10);
    t.string('state', 12).notNullable(); // active | exhausted | returned
    t.bigInteger('created_at').notNullable();
    t.index(['place_code', 'medium', 'bill_kind', 'state']);
  });

  // One row per allocated number: reserved → issued | voided. Unused numbers have no row.
  await knex.schema.createTable('bills', (t) => {
    t.increments('id').primary();
    t.string('bill_batch_code', 20).notNullable();
    t.string('bill_no', 20).notNullable();
    t.string('random', 20);
    t.string('kind', 8).notNullable(); // blue | red
    t.string('state', 12).notNullable(); // reserved | issued | voided
    t.string('bill_kind', 20).notNullable();
    t.string('appid', 64);
    t.string('bus_no', 64);
    t.string('bus_date_time', 17);
    t.string('bus_type', 20);
    t.string('place_code', 50);
    t.string('payer', 100);
    t.string('total_amt', 20);
    t.string('create_time', 17);
    t.string('request_hash', 64);
    t.string('message_id', 32);
    t.integer('stock_range_id');
    t.integer('related_bill_id');
    t.text('canonical', 'mediumtext');
    t.text('fiscal_xml', 'mediumtext'); // holds the signed text verbatim: slice it out, never re-serialise
    t.text('unit_signature');
    t.string('sig_cert_serial', 64);
    t.text('qr_png');
    t.string('void_reason', 250);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['bill_batch_code', 'bill_no']);
    t.unique(['appid', 'bus_no']);
    t.index(['state', 'created_at']);
  });

  // Durable jobs toward finance, CA and notification channels (docs/architecture.md#invariants).
  await knex.schema.createTable('outbox', (t) => {
    t.increments('id').primary();
    t.string('topic', 60).notNullable();
    t.string('job_key', 120);
    t.text('payload', 'mediumtext').notNullable();
    t.string('status', 12).notNullable(); // pending | running | done | dead
    t.integer('attempts').notNullable().defaultTo(0);
    t.integer('max_attempts').notNullable();
    t.bigInteger('next_attempt_at').notNullable();
    t.text('last_error');
    t.string('message_id', 32);
    t.string('bus_no', 64);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['status', 'next_attempt_at']);
    t.unique(['topic', 'job_key']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['outbox', 'bills', 'stock_ranges', 'messages']) await knex.schema.dropTableIfExists(t);
}
