/** What mappings see of a stored bill: camelCase identity fields and the public URLs. */
import type { BillRow } from '../store/bills';

export interface BillView {
  id: number;
  billBatchCode: string;
  billNo: string;
  random?: string;
  kind: string;
  state: string;
  billKind: string;
  busNo?: string;
  busDateTime?: string;
  busType?: string;
  placeCode?: string;
  payer?: string;
  totalAmt?: string;
  createTime?: string;
  qrPng?: string;
}

export function billView(r: BillRow): BillView {
  return {
    id: r.id,
    billBatchCode: r.bill_batch_code,
    billNo: r.bill_no,
    random: r.random ?? undefined,
    kind: r.kind,
    state: r.state,
    billKind: r.bill_kind,
    busNo: r.bus_no ?? undefined,
    busDateTime: r.bus_date_time ?? undefined,
    busType: r.bus_type ?? undefined,
    placeCode: r.place_code ?? undefined,
    payer: r.payer ?? undefined,
    totalAmt: r.total_amt ?? undefined,
    createTime: r.create_time ?? undefined,
    qrPng: r.qr_png ?? undefined,
  };
}

/** QR text: the e-bill tag first, then code, number, check code, date and amount (fiscal-ebill.md §1.5). */
export function qrText(tag: string, b: { billBatchCode: string; billNo: string; random: string; issueDate: string; totalAmt: string }): string {
  return [tag, b.billBatchCode, b.billNo, b.random, b.issueDate, b.totalAmt].join(',');
}
