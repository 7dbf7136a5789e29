/**
 * One paper bill number (纸质票据) of the stock: blank in the printer, linked to an e-bill by
 * turnPaper/reTurnPaper (换开), printed, and voided (作废) — a linked one by reTurnPaper (the old paper)
 * or invalidPaper, a blank one by invalidBlankBillNo. A printed paper bill is printed again only as a
 * reprint (补打), which needs an approved application (the store checks it; the table says where
 * the event may happen at all). Voiding a voided paper again "stays": invalidPaper resumes that way.
 */
import { decide, Decision, Table } from './state-machine';

export type PaperState = 'blank' | 'linked' | 'printed' | 'voided';
export type PaperEvent = 'turn' | 'print' | 'reprint' | 'voidLinked' | 'voidBlank';

export const PAPER_TRANSITIONS: Table<PaperState, PaperEvent> = {
  blank: {
    turn: 'linked',
    print: { code: 'E2210', message: 'printBlank' },
    reprint: { code: 'E2210', message: 'printBlank' },
    voidLinked: { code: 'E2211', message: 'voidLinkedBlank' },
    voidBlank: 'voided',
  },
  linked: {
    turn: { code: 'E2212', message: 'turnUsed' },
    print: 'printed',
    reprint: { code: 'E2213', message: 'reprintNotPrinted' },
    voidLinked: 'voided',
    voidBlank: { code: 'E2214', message: 'voidBlankUsed' },
  },
  printed: {
    turn: { code: 'E2212', message: 'turnUsed' },
    print: { code: 'E2215', message: 'printAgain' },
    reprint: 'stay',
    voidLinked: 'voided',
    voidBlank: { code: 'E2214', message: 'voidBlankUsed' },
  },
  voided: {
    turn: { code: 'E2216', message: 'turnVoided' },
    print: { code: 'E2217', message: 'printVoided' },
    reprint: { code: 'E2217', message: 'printVoided' },
    voidLinked: 'stay',
    voidBlank: { code: 'E2218', message: 'voidBlankVoided' },
  },
};

export const decidePaper = (state: PaperState, event: PaperEvent): Decision<PaperState> => decide(PAPER_TRANSITIONS, state, event);
