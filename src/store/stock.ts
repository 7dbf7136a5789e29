/**
 * Taking numbers from stock. Every number a bill (blue or red, e-bill or paper) uses is taken here,
 * inside the caller's transaction, so the numbering invariant (docs/architecture.md#invariants) has
 * one door.
 */
import type { SqlTx } from './sql';

export type Medium = 'ebill' | 'paper';

export interface TakenNumber {
  rangeId: number;
  billBatchCode: string;
  billNo: string;
}

export const padNo = (n: number | bigint, len: number): string => String(n).padStart(len, '0');

/** The next number of the place's active range of that medium and bill kind (oldest range first); undefined: no stock. */
export async function takeNumber(tx: SqlTx, placeCode: string, medium: Medium, billKind: string): Promise<TakenNumber | undefined> {
  const range = await tx.get<{ id: number; bill_batch_code: string; next_no: number; end_no: number; no_len: number }>(
    'SELECT id, bill_batch_code, next_no, end_no, no_len FROM stock_ranges WHERE place_code = ? AND medium = ? AND bill_kind = ? AND state = ? ORDER BY id LIMIT 1' +
      tx.forUpdate,
    [placeCode, medium, billKind, 'active'],
  );
  if (!range) return undefined;
  const next = Number(range.next_no);
  const end = Number(range.end_no);
  await tx.run('UPDATE stock_ranges SET next_no = ?, state = ? WHERE id = ?', [next + 1, next + 1 > end ? 'exhausted' : 'active', range.id]);
  return { rangeId: range.id, billBatchCode: range.bill_batch_code, billNo: padNo(next, range.no_len) };
}

/**
 * The number takeNumber would take next, without taking it (getPaperBillNo, dry runs); `billBatchCode`
 * narrows to that code's ranges. Read-only twin of takeNumber: the same range order.
 */
export async function peekNumber(
  q: Pick<SqlTx, 'get'>,
  placeCode: string,
  medium: Medium,
  by: { billKind?: string; billBatchCode?: string },
): Promise<(TakenNumber & { billKind: string }) | undefined> {
  const where = ['place_code = ?', 'medium = ?', 'state = ?'];
  const params: unknown[] = [placeCode, medium, 'active'];
  if (by.billKind) (where.push('bill_kind = ?'), params.push(by.billKind));
  if (by.billBatchCode) (where.push('bill_batch_code = ?'), params.push(by.billBatchCode));
  const range = await q.get<{ id: number; bill_batch_code: string; bill_kind: string; next_no: number; no_len: number }>(
    `SELECT id, bill_batch_code, bill_kind, next_no, no_len FROM stock_ranges WHERE ${where.join(' AND ')} ORDER BY id LIMIT 1`,
    params,
  );
  return range ? { rangeId: range.id, billBatchCode: range.bill_batch_code, billKind: range.bill_kind, billNo: padNo(Number(range.next_no), range.no_len) } : undefined;
}
