import type { Knex } from 'knex';

/**
 * The columns every later service reads of one e-bill's life, in one place so the services that
 * write them (red-flush, paper, accounting, feedback, batch) and those that report them
 * (queries, reconciliation) agree on one meaning:
 * - scarlet: '1' once a red bill (kind red, related_bill_id = this id) was issued for this blue bill.
 * - paper_batch_code/paper_no/paper_time: the paper bill this e-bill is currently converted to
 *   (换开); empty when not converted or after the paper was voided. History lives with the paper bills.
 * - account_state: '0' not booked, '1' booked (入账); a booked bill may not be red-flushed.
 * - is_arrears: what the HIS sent (inpatient/registration): '0' not circulable, '1' circulable;
 *   receiveArreasFeedBack turns '0' into '1' (arrears_feedback_date keeps its date).
 * - batch_no: the batch (batchInvoiceEBill*) that issued this bill, if any.
 * - operator/red_reason: on a red bill, who red-flushed and why.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bills', (t) => {
    t.string('scarlet', 1).notNullable().defaultTo('0');
    t.string('paper_batch_code', 50);
    t.string('paper_no', 20);
    t.string('paper_time', 17);
    t.string('account_state', 1).notNullable().defaultTo('0');
    t.string('is_arrears', 1);
    t.string('arrears_feedback_date', 10);
    t.string('batch_no', 60);
    t.string('operator', 60);
    t.string('red_reason', 200);
    t.index(['create_time']);
    t.index(['related_bill_id']);
    t.index(['paper_batch_code', 'paper_no']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('bills', (t) => {
    t.dropIndex(['create_time']);
    t.dropIndex(['related_bill_id']);
    t.dropIndex(['paper_batch_code', 'paper_no']);
    for (const c of ['scarlet', 'paper_batch_code', 'paper_no', 'paper_time', 'account_state', 'is_arrears', 'arrears_feedback_date', 'batch_no', 'operator', 'red_reason']) t.dropColumn(c);
  });
}
