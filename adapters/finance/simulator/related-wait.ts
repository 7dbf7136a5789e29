/**
 * "Not yet" for a red bill or paper event whose blue bill finance does not hold: the unit may simply
 * have uploaded them out of order (its outbox delivers jobs side by side), so finance answers 425 —
 * retry — for `finance.relatedBillWait` from the first time it heard of the thing, then refuses it
 * (`related-bill-unknown`). The first sighting is kept in memory, bounded: a simulator restart starts
 * the window again, which only ever makes it more patient.
 */
import { LRUCache } from 'lru-cache';

export class RelatedWait {
  private readonly first = new LRUCache<string, number>({ max: 10_000 });

  constructor(
    private readonly waitMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whole seconds left in the window of `key` (undefined: the window has passed). */
  notYet(key: string): number | undefined {
    const t = this.now();
    let since = this.first.get(key);
    if (since === undefined) {
      since = t;
      this.first.set(key, t);
    }
    const left = since + this.waitMs - t;
    return left > 0 ? Math.ceil(left / 1000) : undefined;
  }
}
