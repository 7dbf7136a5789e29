/**
 * dedupe: at most one bill per (appid, busNo) (DESIGN §5.2). Concurrent requests for one busNo in this
 * process wait for the first (single flight); an issued bill with the same content is answered again
 * (goto the reply); different content under an issued busNo is refused; a reservation left by a crash
 * or a timeout is resumed with its number. The database's unique (appid, bus_no) catches the rest.
 */
import { createHash } from 'node:crypto';
import { billView } from '../../domain/bill-view';
import { FlowError, RESULT } from '../errors';
import type { StepKind } from '../step';

const inFlight = new Map<string, Promise<void>>();

export function requestHash(canonicalJson: string): string {
  return createHash('sha256').update(canonicalJson).digest('hex');
}

export const dedupeStep: StepKind<{ onDuplicate: { goto: string } }> = {
  kind: 'dedupe',
  doc: 'Once per (appid, busNo): a repeat of an issued bill jumps to onDuplicate.goto with that bill; other content under the same busNo is refused (E2001); a leftover reservation is resumed.',
  optionsSchema: {
    type: 'object',
    required: ['onDuplicate'],
    additionalProperties: false,
    properties: { onDuplicate: { type: 'object', required: ['goto'], additionalProperties: false, properties: { goto: { type: 'string' } } } },
  },
  gotoOptions: ['onDuplicate.goto'],
  prepare(o) {
    return async (rc) => {
      const doc = rc.vars.doc as { busNo: string };
      const key = `${rc.msg.appid}\u0000${doc.busNo}`;
      for (;;) {
        const running = inFlight.get(key);
        if (!running) break;
        await running.catch(() => undefined);
      }
      let release!: () => void;
      inFlight.set(key, new Promise<void>((r) => (release = r)));
      rc.finally.push(() => {
        inFlight.delete(key);
        release();
      });
      // Serialised once here: the hash and the reservation's stored settlement are the same bytes.
      const canonical = JSON.stringify(doc);
      const hash = requestHash(canonical);
      rc.vars.canonical = canonical;
      rc.vars.requestHash = hash;
      const existing = await rc.services.bills.byBusNo(rc.msg.appid, doc.busNo);
      if (!existing) return;
      if (existing.request_hash !== hash)
        throw new FlowError(
          'Conflict',
          RESULT.conflict,
          `业务流水号 busNo ${doc.busNo} 已用于另一笔内容不同的开票请求（票据 ${existing.bill_batch_code}-${existing.bill_no}），同一业务流水号只能开具一张票据；如为重试请原样重发，或用 getEBillByBusNo 查询`,
          'busNo',
        );
      if (existing.state === 'issued') {
        rc.vars.bill = billView(existing);
        rc.vars.replayed = true;
        return { goto: o.onDuplicate.goto };
      }
      if (existing.state === 'reserved') rc.vars.reservation = existing;
    };
  },
};
