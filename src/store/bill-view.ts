/** What mappings see of a stored bill: camelCase identity fields, without the stored documents. */
import type { Settlement } from '../domain/settlement';
import type { BillRow } from './bills';

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
  /** the blue bill this red bill flushes */
  relatedBillId?: number;
  /** '1' once red-flushed (blue bills) */
  scarlet: string;
  paperBatchCode?: string;
  paperNo?: string;
  paperTime?: string;
  /** '0' not booked, '1' booked (入账) */
  accountState: string;
  isArrears?: string;
  batchNo?: string;
  operator?: string;
  redReason?: string;
  arrearsFeedbackDate?: string;
  /** the stored settlement, only where a lookup asks for it (`content: true`): detail and list services */
  content?: Settlement;
}

/** One page of a range lookup. */
export interface BillPage {
  total: number;
  pageNo: number;
  pageSize: number;
  items: BillView[];
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
    relatedBillId: r.related_bill_id ?? undefined,
    scarlet: r.scarlet ?? '0',
    paperBatchCode: r.paper_batch_code ?? undefined,
    paperNo: r.paper_no ?? undefined,
    paperTime: r.paper_time ?? undefined,
    accountState: r.account_state ?? '0',
    isArrears: r.is_arrears ?? undefined,
    batchNo: r.batch_no ?? undefined,
    operator: r.operator ?? undefined,
    redReason: r.red_reason ?? undefined,
    arrearsFeedbackDate: r.arrears_feedback_date ?? undefined,
  };
}

/** The view with the stored settlement (getBillDetail, list services that report listFlag). */
export function billViewWithContent(r: BillRow): BillView {
  return { ...billView(r), content: r.canonical ? (JSON.parse(r.canonical) as Settlement) : undefined };
}
