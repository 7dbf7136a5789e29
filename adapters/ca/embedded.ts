/** Starts the embedded signature server (SVS) beside medbill when configured (svs.start). */
import type { Config } from '../../src/config';

export interface EmbeddedPeer {
  name: string;
  url: string;
  close(): Promise<void>;
}

export async function startEmbeddedSvs(_cfg: Config): Promise<EmbeddedPeer | undefined> {
  return undefined; // filled in by the SVS work (issue #3)
}
