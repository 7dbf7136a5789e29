import type { Knex } from 'knex';

/**
 * answered_code/answered_at: the non-S0000 result a reservation's request was answered with. Such a
 * reservation is completed only by a retry of the same busNo and voided after a window; one with no
 * answer (the process died) is completed by recovery (docs/architecture.md, "An answer means what it says").
 * card_type/card_no/patient_id/id_card_no: the fields list services filter on, indexed with the business time.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bills', (t) => {
    t.string('answered_code', 10);
    t.bigInteger('answered_at');
    t.string('card_type', 10);
    t.string('card_no', 50);
    t.string('patient_id', 50);
    t.string('id_card_no', 20);
    t.index(['card_no', 'bus_date_time']);
    t.index(['bus_date_time']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bills', (t) => {
    t.dropIndex(['card_no', 'bus_date_time']);
    t.dropIndex(['bus_date_time']);
    for (const c of ['answered_code', 'answered_at', 'card_type', 'card_no', 'patient_id', 'id_card_no']) t.dropColumn(c);
  });
}
