/**
 * The low-stock watch: told the remaining numbers of a place, medium and kind after takes near the
 * threshold and after every movement, it logs "stock low" once when the level falls to the threshold
 * or below (edge-triggered: again only after a distribution lifted it above), and keeps the gauges
 * current between scrapes. Each process logs its own edge; the gauges on /metrics are recomputed from
 * the database, so they agree across nodes.
 */
import { billKindLabel, LowStockConfig, lowStockThreshold } from './domain/stock';
import { log } from './log';
import { stockLow, stockRemaining } from './metrics';
import type { StockLevelObserver } from './store/stock';

export function lowStockWatch(cfg: LowStockConfig): { observe: StockLevelObserver; maxThreshold: number } {
  const low = new Set<string>();
  const all = [cfg.default, ...Object.values(cfg.places ?? {}).flatMap((p) => Object.values(p))];
  const observe: StockLevelObserver = ({ placeCode, medium, billKind, remaining }) => {
    const threshold = lowStockThreshold(cfg, placeCode, billKind);
    const key = `${placeCode}\u0000${medium}\u0000${billKind}`;
    const labels = { place: placeCode, medium, bill_kind: billKind };
    stockRemaining.set(labels, remaining);
    stockLow.set(labels, remaining <= threshold ? 1 : 0);
    if (remaining > threshold) {
      low.delete(key);
      return;
    }
    if (low.has(key)) return;
    low.add(key);
    log().warn('stock low', {
      placeCode,
      medium,
      billKind,
      remaining,
      threshold,
      detail: `开票点 ${placeCode} 的${medium === 'ebill' ? '电子' : '纸质'}票据 ${billKindLabel(billKind)} 仅剩 ${remaining} 份（预警线 ${threshold}），请及时分发号段`,
    });
  };
  // +1: a take reads the level when what is left could be at the threshold after it
  return { observe, maxThreshold: Math.max(0, ...all) + 1 };
}
