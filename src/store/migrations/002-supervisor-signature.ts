import type { Knex } from 'knex';

/**
 * The finance side of an issued bill: the supervisory signature (财政监制签名) that the finance
 * system adds after accepting the upload, and where the upload stands.
 * finance_state: null = not uploaded yet (the outbox job is pending or retrying),
 * 'uploaded' = finance accepted it and fiscal_xml carries both signatures,
 * 'rejected' = finance refused it for good (finance_error says why; the job is dead-lettered).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bills', (t) => {
    t.text('supervisor_signature');
    t.string('supervisor_cert_serial', 64);
    t.string('supervisor_time', 14); // yyyyMMddHHmmss, Beijing time, as in the XML Time attribute
    t.string('finance_state', 12);
    t.string('finance_error', 500);
    t.bigInteger('finance_updated_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bills', (t) => {
    for (const c of ['supervisor_signature', 'supervisor_cert_serial', 'supervisor_time', 'finance_state', 'finance_error', 'finance_updated_at']) t.dropColumn(c);
  });
}
