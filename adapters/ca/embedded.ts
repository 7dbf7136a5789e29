/** Starts the embedded signature server (SVS) beside medbill when configured (svs.start), or alone (`medbill svs`). */
import type { Config } from '../../src/config';
import { startSvsServer, type SvsServer } from './svs/server';
import { auditDbUrl, svsEngineSettings } from './svs/settings';

export interface EmbeddedPeer {
  name: string;
  url: string;
  close(): Promise<void>;
}

export function startEmbeddedSvs(cfg: Config): Promise<SvsServer> {
  return startSvsServer({
    settings: svsEngineSettings(cfg),
    port: cfg.svs.port,
    host: cfg.svs.host,
    workers: cfg.svs.workers,
    maxQueue: cfg.svs.maxQueue,
    bodyLimitBytes: cfg.svs.bodyLimitBytes,
    auditDbUrl: auditDbUrl(cfg),
    engine: cfg.svs.engine,
  });
}
