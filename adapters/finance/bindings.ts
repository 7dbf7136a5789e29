/**
 * The finance bindings medbill can speak, by the name `finance.binding` gives (config/config.schema.yaml
 * lists the same names). A province's own protocol is one more entry here and one more module beside
 * client.ts implementing src/engine/finance.ts; flows, jobs and commands do not change.
 */
import type { Config } from '../../src/config';
import type { Finance } from '../../src/engine/finance';
import { FinanceClient } from './client';

const BINDINGS: Record<Config['finance']['binding'], (cfg: Config) => Finance> = {
  simulator: (cfg) => new FinanceClient(cfg.finance.url, cfg.finance.uploadTimeoutMs),
};

export function createFinance(cfg: Config): Finance {
  const make = BINDINGS[cfg.finance.binding];
  // The schema refuses other names; this guards a Config built by hand (tests, scratch apps).
  if (!make) throw new Error(`finance.binding '${String(cfg.finance.binding)}' is not one of: ${Object.keys(BINDINGS).join(', ')}`);
  return make(cfg);
}
