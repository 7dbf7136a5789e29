/**
 * The e-bill's own life (docs/reference/fiscal-ebill.md, status model): a number is reserved, the bill issued; an issued bill
 * may be red-flushed (冲红, once: a repeat returns the same red bill) and converted to paper; a
 * reservation that never completed is voided. A red bill is itself `issued` and immutable.
 * Whether it is linked to paper is the link machine's (paper-link-state.ts).
 */
import { decide, Decision, Table } from './state-machine';

export type EBillState = 'reserved' | 'issued' | 'redFlushed' | 'voided';
export type EBillEvent = 'complete' | 'voidReservation' | 'redFlush' | 'turnPaper' | 'print';

export const EBILL_TRANSITIONS: Table<EBillState, EBillEvent> = {
  reserved: {
    complete: 'issued',
    voidReservation: 'voided',
    redFlush: { code: 'E2201', message: 'redFlushReserved' },
    turnPaper: { code: 'E2203', message: 'turnReserved' },
    print: { code: 'E2206', message: 'printReserved' },
  },
  issued: {
    complete: 'stay',
    voidReservation: { code: 'E2208', message: 'voidIssued' },
    redFlush: 'redFlushed',
    turnPaper: 'stay',
    print: 'stay',
  },
  redFlushed: {
    complete: 'stay',
    voidReservation: { code: 'E2208', message: 'voidIssued' },
    redFlush: 'stay',
    turnPaper: { code: 'E2205', message: 'turnRedFlushed' },
    print: 'stay',
  },
  voided: {
    complete: { code: 'E2209', message: 'completeVoided' },
    voidReservation: 'stay',
    redFlush: { code: 'E2202', message: 'redFlushVoided' },
    turnPaper: { code: 'E2204', message: 'turnVoided' },
    print: { code: 'E2207', message: 'printVoided' },
  },
};

/** The machine state of a stored bill: its row state, and scarlet '1' once red-flushed. */
export function ebillState(row: { state: string; scarlet?: string | null }): EBillState {
  if (row.state === 'reserved') return 'reserved';
  if (row.state === 'voided') return 'voided';
  return row.scarlet === '1' ? 'redFlushed' : 'issued';
}

export const decideEBill = (state: EBillState, event: EBillEvent): Decision<EBillState> => decide(EBILL_TRANSITIONS, state, event);
