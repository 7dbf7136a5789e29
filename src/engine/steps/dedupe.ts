/**
 * dedupe: at most one bill per (appid, busNo). Concurrent requests for one busNo in this process wait
 * for the first (single flight); an issued bill with the same content takes the onDuplicate exit with
 * that bill; different content under the same busNo is refused (E2001); a reservation left by a crash
 * or a failed answer is handed on to allocate, which resumes its number. The database's unique
 * (appid, bus_no) catches what single flight cannot (another process).
 */
import { createHash } from 'node:crypto';
import { billView } from '../../store/bill-view';
import { hisError } from '../errors';
import { defineStep, type StepContext } from '../step';

const inFlight = new Map<string, Promise<void>>();

/**
 * Waits until no other run in this process holds `key`, then holds it until this run ends (released by
 * ctx.finally): requests for one busNo (dedupe) or one blue bill (red-dedupe) go one after the other.
 */
export async function singleFlight(key: string, ctx: StepContext): Promise<void> {
  for (;;) {
    const running = inFlight.get(key);
    if (!running) break;
    await running.catch(() => undefined);
  }
  let release!: () => void;
  inFlight.set(key, new Promise<void>((r) => (release = r)));
  ctx.finally.push(() => {
    inFlight.delete(key);
    release();
  });
}

export function requestHash(canonicalJson: string): string {
  return createHash('sha256').update(canonicalJson).digest('hex');
}

const reads = { settlement: { type: 'Settlement', doc: 'the canonical settlement; its busNo is the key and its text is what "the same request" means' } } as const;
const writes = {
  requestHash: { type: 'RequestHash', doc: 'the settlement text and its SHA-256' },
  reservation: { type: 'Reservation', optional: true, doc: 'a reservation of this busNo with the same content, to resume' },
  bill: { type: 'Bill', doc: 'on onDuplicate: the bill already issued for this busNo' },
} as const;

export const dedupeStep = defineStep<{ onDuplicate: { goto: string } }, typeof reads, typeof writes>({
  kind: 'dedupe',
  doc: 'Once per (appid, busNo): a repeat of an issued bill takes the onDuplicate exit with that bill; other content under the same busNo is refused (E2001); a leftover reservation is handed on to be resumed.',
  optionsSchema: {
    type: 'object',
    required: ['onDuplicate'],
    additionalProperties: false,
    properties: { onDuplicate: { type: 'object', required: ['goto'], additionalProperties: false, properties: { goto: { type: 'string' } } } },
  },
  reads,
  writes,
  nextWrites: ['requestHash', 'reservation'],
  exits: [{ option: 'onDuplicate.goto', writes: ['requestHash', 'bill'] }],
  roles: ['dedupe'],
  prepare() {
    return async ({ in: { settlement }, out, ctx }) => {
      await singleFlight(`${ctx.msg.appid}\u0000${settlement.busNo}`, ctx);
      // Serialised once here: the hash and the reservation's stored settlement are the same bytes.
      const canonical = JSON.stringify(settlement);
      const hash = requestHash(canonical);
      out.requestHash = { hash, canonical };
      const existing = await ctx.services.bills.byBusNo(ctx.msg.appid, settlement.busNo);
      if (!existing) return;
      if (existing.request_hash !== hash)
        throw hisError('E2001', 'otherContent', { busNo: settlement.busNo, bill: `${existing.bill_batch_code}-${existing.bill_no}` }, 'busNo');
      if (existing.state === 'issued') {
        out.bill = billView(existing);
        return { exit: 'onDuplicate' };
      }
      if (existing.state === 'reserved') out.reservation = existing;
    };
  },
});
