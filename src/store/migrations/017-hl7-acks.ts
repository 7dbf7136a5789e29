import type { Knex } from 'knex';

/**
 * HL7 v2 acknowledgements by message control id (issue 11): a sender that repeats MSH-10 (it lost our
 * ACK, or its engine resends on a timeout) gets the ACK it was given the first time, byte for byte, and
 * nothing is issued again. Keyed per sending application and facility (MSH-3, MSH-4): control ids are
 * unique only within one sender. Only final answers are kept (AA, and AE/AR that the same bytes would get
 * again, retry advice `no`); an answer to a fault (signer down, store busy) or to a busNo still in
 * progress is not, so a resend is processed anew.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('hl7_acks', (t) => {
    t.string('sender', 200).notNullable();
    t.string('control_id', 199).notNullable();
    t.string('message_id', 32).notNullable();
    t.text('ack').notNullable();
    t.bigInteger('created_at').notNullable();
    t.primary(['sender', 'control_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('hl7_acks');
}
