/** Starts the embedded finance e-bill system simulator beside medbill when configured (finance.start). */
import type { Config } from '../../src/config';
import type { EmbeddedPeer } from '../ca/embedded';
import { startFinanceSimulator } from './simulator';

export async function startEmbeddedFinance(cfg: Config): Promise<EmbeddedPeer | undefined> {
  const sim = await startFinanceSimulator(cfg);
  return { name: 'finance simulator', url: `${sim.url}/`, close: () => sim.close() };
}
