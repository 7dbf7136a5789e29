/**
 * Base information from finance (bill kinds, charge-item catalogue, code tables): downloaded by the
 * `finance-sync` schedule and `medbill finance sync`, stored with finance's version (each version once),
 * and handed to the charge catalogue issuance checks against.
 */
import { log } from '../log';
import type { BaseInfoStore } from '../store/finance-base-info';
import type { ChargeCatalogue } from './charge-catalogue';
import type { Finance, FinanceResult } from './finance';

export async function syncBaseInfo(
  finance: Finance,
  store: BaseInfoStore,
  catalogue?: ChargeCatalogue,
): Promise<FinanceResult<{ version: string; stored: boolean; chargeItems: number; billKinds: number }>> {
  const r = await finance.baseInfo();
  if (r.kind !== 'ok') return r;
  const { stored } = await store.save(r.info);
  catalogue?.use(r.info);
  log().info('finance base information synchronised', { version: r.info.version, new: stored, chargeItems: r.info.chargeItems.length });
  return { kind: 'ok', version: r.info.version, stored, chargeItems: r.info.chargeItems.length, billKinds: r.info.billKinds.length };
}
