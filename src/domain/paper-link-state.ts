/**
 * The link of one e-bill to paper (bills.paper_batch_code/paper_no): none, linked, or ended (its paper
 * was voided by invalidPaper, which also red-flushes the e-bill). An e-bill converts to paper at most
 * once (turnPaper); reTurnPaper moves the link to a new paper number and voids the old paper; a linked
 * e-bill is not red-flushed on its own (invalidPaper, or writeOffEBillToPaper).
 */
import { decide, Decision, Table } from './state-machine';

export type LinkState = 'none' | 'linked' | 'ended';
export type LinkEvent = 'turn' | 'reTurn' | 'endByVoid' | 'redFlush';

export const LINK_TRANSITIONS: Table<LinkState, LinkEvent> = {
  none: {
    turn: 'linked',
    reTurn: { code: 'E2220', message: 'reTurnNotTurned' },
    endByVoid: { code: 'E2221', message: 'voidNotTurned' },
    redFlush: 'stay',
  },
  linked: {
    turn: { code: 'E2222', message: 'turnTwice' },
    reTurn: 'linked',
    endByVoid: 'ended',
    redFlush: { code: 'E2223', message: 'redFlushLinked' },
  },
  ended: {
    turn: { code: 'E2224', message: 'turnEnded' },
    reTurn: { code: 'E2225', message: 'reTurnEnded' },
    endByVoid: 'stay',
    redFlush: 'stay',
  },
};

/** The link state of a stored e-bill: linked while paper_no is set; ended once voided paper pointed at it. */
export function linkState(bill: { paper_no?: string | null; paperNo?: string }, hadPaper: boolean): LinkState {
  if (bill.paper_no ?? bill.paperNo) return 'linked';
  return hadPaper ? 'ended' : 'none';
}

export const decideLink = (state: LinkState, event: LinkEvent): Decision<LinkState> => decide(LINK_TRANSITIONS, state, event);
