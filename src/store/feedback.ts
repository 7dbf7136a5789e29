/**
 * What the HIS reports back about an issued bill: the circulation feedback (receiveArreasFeedBack turns a
 * non-circulable bill, is_arrears '0', into circulable '1' once, with its date) and the itemised list rows
 * v2.0.3 clients push after issue (receiveListDetail, stored beside the bill, not on it).
 */
import { isUniqueViolation } from './db';
import type { GroupCommit } from './group-commit';
import { insertRow, SqlDb } from './sql';

export type ArrearsOutcome = { kind: 'done' } | { kind: 'notArrears'; isArrears: string | null; feedbackDate: string | null };

export class FeedbackStore {
  constructor(
    private readonly writer: GroupCommit,
    private readonly sql: SqlDb,
  ) {}

  /** '0' → '1' with the feedback date, guarded so two feedbacks cannot both succeed. */
  markCirculable(billId: number, feedbackDate: string): Promise<ArrearsOutcome> {
    return this.writer.run(async (tx): Promise<ArrearsOutcome> => {
      const { changes } = await tx.run('UPDATE bills SET is_arrears = ?, arrears_feedback_date = ?, updated_at = ? WHERE id = ? AND is_arrears = ?', ['1', feedbackDate, Date.now(), billId, '0']);
      if (changes === 1) return { kind: 'done' };
      const row = await tx.get<{ is_arrears: string | null; arrears_feedback_date: string | null }>('SELECT is_arrears, arrears_feedback_date FROM bills WHERE id = ?', [billId]);
      return { kind: 'notArrears', isArrears: row?.is_arrears ?? null, feedbackDate: row?.arrears_feedback_date ?? null };
    });
  }

  /** Stores one chunk of list rows; 'repeat' when this bill already has that batchNo. */
  async addListDetail(billId: number, batchNo: number, rows: unknown[], messageId: string): Promise<'stored' | 'repeat'> {
    try {
      await this.writer.run((tx) =>
        insertRow(tx, 'bill_list_details', { bill_id: billId, batch_no: batchNo, row_count: rows.length, rows: JSON.stringify(rows), message_id: messageId, created_at: Date.now() }),
      );
      return 'stored';
    } catch (e) {
      if (isUniqueViolation(e)) return 'repeat';
      throw e;
    }
  }

  listDetails(billId: number): Promise<{ batch_no: number; row_count: number; rows: string }[]> {
    return this.sql.withConnection((tx) => tx.all<{ batch_no: number; row_count: number; rows: string }>('SELECT batch_no, row_count, rows FROM bill_list_details WHERE bill_id = ? ORDER BY batch_no', [billId]));
  }
}
