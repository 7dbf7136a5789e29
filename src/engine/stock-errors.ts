/**
 * The HIS errors of stock: E2003 when a place has no number to take, E2101–E2106 for a refused
 * movement. One place turns the store's typed refusals into coded Chinese messages, for the
 * `stock` step and `medbill stock` alike.
 */
import { billKindLabel, Medium } from '../domain/stock';
import type { StockRefusal } from '../store/stock';
import { FlowError, hisError } from './errors';

/** E2003 naming the place and the bill kind (in Chinese and as the configured key). Every takeNumber caller raises this. */
export function noStockError(placeCode: string, medium: Medium, billKind: string): FlowError {
  return hisError('E2003', medium === 'ebill' ? 'noStock' : 'noPaperStock', { placeCode, billKind: billKindLabel(billKind) }, 'placeCode');
}

export function stockRefusalError(r: StockRefusal): FlowError {
  switch (r.kind) {
    case 'badPlace':
      return hisError('E2102', 'badRange', { detail: r.detail }, 'placeCode');
    case 'unknownPlace':
      return hisError('E2101', 'unknownPlace', { placeCode: r.placeCode }, 'placeCode');
    case 'badRange':
      return hisError('E2102', 'badRange', { detail: r.detail }, 'billBgnNo');
    case 'overlap':
      return hisError('E2105', 'overlap', { billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo }, 'billBgnNo');
    case 'notInStore':
      return hisError('E2103', 'notInStore', { billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo }, 'billBgnNo');
    case 'notHeld':
      return hisError('E2104', 'notHeld', { placeCode: r.placeCode, billBatchCode: r.billBatchCode, startNo: r.startNo, endNo: r.endNo }, 'billBgnNo');
    case 'ambiguousMedium':
      return hisError('E2106', 'ambiguousMedium', { billBatchCode: r.billBatchCode }, 'billBatchCode');
    case 'kindMismatch':
      return hisError('E2106', 'kindMismatch', { billCode: r.billCode, billBatchCode: r.billBatchCode, billKind: billKindLabel(r.billKind) }, 'billCode');
  }
}
