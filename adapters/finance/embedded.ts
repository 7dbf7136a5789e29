/** Starts the embedded finance e-bill system simulator beside medbill when configured (finance.start). */
import type { Config } from '../../src/config';
import type { EmbeddedPeer } from '../ca/embedded';

export async function startEmbeddedFinance(_cfg: Config): Promise<EmbeddedPeer | undefined> {
  return undefined; // filled in by the finance simulator work
}
