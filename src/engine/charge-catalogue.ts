/**
 * The charge-item catalogue issuance checks chargeDetail[].chargeCode against: the newest base
 * information downloaded from finance (src/store/finance-base-info.ts), held in memory so the check
 * costs a map lookup. A server re-reads the stored version every REFRESH_MS, so a `medbill finance sync`
 * run beside it takes effect without a restart. Before any catalogue was downloaded nothing is checked
 * (a fresh installation must issue with the stock it was given) and /readyz says so.
 */
import type { FinanceBaseInfo, FinanceChargeItem } from './finance';
import type { BaseInfoStore } from '../store/finance-base-info';
import { log } from '../log';

/** How stale a server's copy may get after a sync by another process. */
const REFRESH_MS = 30_000;

export type ChargeCodeProblem = { kind: 'unknown' } | { kind: 'notForKind'; name: string; billCodes: string } | { kind: 'notValid'; name: string; validFrom: string; validTo: string };

export class ChargeCatalogue {
  private version: string | undefined;
  private items = new Map<string, FinanceChargeItem>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: BaseInfoStore) {}

  /** The version checked against, or undefined when none was downloaded (nothing is checked). */
  get loadedVersion(): string | undefined {
    return this.version;
  }

  get size(): number {
    return this.items.size;
  }

  /** Loads the stored set when its version differs from the one held. */
  async refresh(): Promise<void> {
    const v = await this.store.currentVersion();
    if (v === this.version) return;
    const cur = await this.store.current<FinanceBaseInfo>();
    if (cur) this.use(cur.info);
  }

  use(info: FinanceBaseInfo): void {
    this.items = new Map(info.chargeItems.map((c) => [c.code, c]));
    this.version = info.version;
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh().catch((e) => log().warn('charge catalogue refresh failed', { error: (e as Error).message })), REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Why a charge code may not be billed on a kind (billCode 0601…) on a day (yyyyMMdd); undefined when
   * it may, or when there is no catalogue to check against.
   */
  problem(code: string, billCode: string | undefined, day: string): ChargeCodeProblem | undefined {
    if (this.version === undefined) return undefined;
    const item = this.items.get(code);
    if (!item) return { kind: 'unknown' };
    if (billCode && item.billCodes.length && !item.billCodes.includes(billCode)) return { kind: 'notForKind', name: item.name, billCodes: item.billCodes.join('、') };
    if ((item.validFrom && day < item.validFrom) || (item.validTo && day > item.validTo))
      return { kind: 'notValid', name: item.name, validFrom: item.validFrom ?? '—', validTo: item.validTo ?? '—' };
    return undefined;
  }
}
