/**
 * A throwaway medbill for flow tests and dry runs: the project's definitions and unit configuration,
 * but its own temporary SQLite with the demo stock, the in-process signer with a demo key in the same
 * temporary folder, no listener, no background work. Removed by close().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, createApp, Definitions, loadDefinitionsOrThrow } from './app';
import { Config, loadConfig } from './config';

/** `definitions` loads them for the scratch configuration (the flow tests share one load per process). */
export async function createScratchApp(
  overrides: Record<string, unknown> = {},
  definitions: (cfg: Config) => Definitions = loadDefinitionsOrThrow,
): Promise<App & { dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-scratch-'));
  const env: NodeJS.ProcessEnv = { ...process.env, MEDBILL_MODE: 'demo' };
  delete env.NODE_ENV;
  delete env.MEDBILL_DB_URL;
  const cfg = loadConfig(env, {
    dataDir: dir,
    db: { url: `sqlite:${path.join(dir, 'scratch.sqlite')}` },
    log: { level: 'error', dir: '', stdout: false },
    signer: { mode: 'in-process', keyFile: '' },
    svs: { start: false },
    // Never a real finance: port 9 (discard) refuses at once, so a flow that calls finance answers its outage code.
    finance: { start: false, url: 'http://127.0.0.1:9' },
    ...overrides,
  });
  const app = await createApp(cfg, { listen: false, background: false, recover: false, outboxHandlers: new Map(), definitions: definitions(cfg) });
  const close = app.close.bind(app);
  return Object.assign(app, {
    dir,
    async close() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
