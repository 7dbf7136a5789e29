import type { Knex } from 'knex';

/**
 * Paper bills and printing (issue 9, part "paper"). The current e-bill ↔ paper link stays on bills
 * (paper_batch_code/paper_no/paper_time, migration 009); here is the history:
 * - paper_bills: one row per paper number that left the blank state — linked (换开) to an e-bill,
 *   printed, or voided (作废, with a reason: the old paper of reTurnPaper, invalidPaper, or a blank
 *   voided by invalidBlankBillNo, then bill_id is NULL). A number without a row is blank.
 * - print_jobs: every print a print service made, with the PDF it produced (Base64) and its SHA-256.
 * - reprint_applications: 补打 of a printed paper bill: applied for by one staff account, approved by
 *   another (a supervisor), used by exactly one reprint.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('paper_bills', (t) => {
    t.increments('id').primary();
    t.string('paper_batch_code', 50).notNullable();
    t.string('paper_no', 20).notNullable();
    t.string('place_code', 50).notNullable();
    t.string('bill_kind', 20).notNullable();
    t.string('state', 10).notNullable();
    t.integer('bill_id');
    t.string('operator', 60);
    t.string('reason', 250);
    t.string('bus_date_time', 17);
    t.string('linked_time', 17);
    t.string('voided_time', 17);
    t.integer('print_count').notNullable().defaultTo(0);
    t.integer('replaced_by_id');
    t.string('message_id', 64);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['paper_batch_code', 'paper_no']);
    t.index(['bill_id']);
  });
  await knex.schema.createTable('print_jobs', (t) => {
    t.increments('id').primary();
    t.string('service_id', 60).notNullable();
    t.string('document', 20).notNullable();
    t.integer('bill_id').notNullable();
    t.integer('paper_bill_id');
    t.integer('page_from');
    t.integer('page_to');
    t.integer('reprint_application_id');
    t.string('message_id', 64);
    t.string('pdf_sha256', 64).notNullable();
    t.integer('pdf_bytes').notNullable();
    t.text('pdf', 'mediumtext').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['bill_id']);
  });
  await knex.schema.createTable('reprint_applications', (t) => {
    t.increments('id').primary();
    t.integer('paper_bill_id').notNullable();
    t.string('applicant', 60).notNullable();
    t.string('reason', 250).notNullable();
    t.string('state', 10).notNullable();
    t.string('approver', 60);
    t.bigInteger('decided_at');
    t.bigInteger('used_at');
    t.integer('print_job_id');
    t.bigInteger('created_at').notNullable();
    t.index(['paper_bill_id', 'state']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('reprint_applications');
  await knex.schema.dropTable('print_jobs');
  await knex.schema.dropTable('paper_bills');
}
