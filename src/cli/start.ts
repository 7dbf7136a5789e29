import type { Command } from 'commander';
import { startEmbeddedSvs } from '../../adapters/ca/embedded';
import { startEmbeddedFinance } from '../../adapters/finance/embedded';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { log } from '../log';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start medbill on the HIS port (17001), with the embedded signature server and finance system unless configured off')
    .action(async () => {
      const cfg = loadConfig();
      // The signature server first: with signer.mode svs, createApp's start-up recovery already signs through it.
      const svs = cfg.svs.start ? await startEmbeddedSvs(cfg) : undefined;
      const app = await createApp(cfg);
      const peers = [...(svs ? [`${svs.name}: ${svs.url}`] : []), ...(await startEmbeddedPeers(cfg))];
      process.stdout.write(
        `medbill ${cfg.mode === 'demo' ? '(demo mode) ' : ''}listening on http://127.0.0.1:${app.port}\n` +
          `  HIS JSON: POST http://127.0.0.1:${app.port}/${cfg.server.servicePath}/api/medical/{serviceId}\n` +
          `  health:   http://127.0.0.1:${app.port}/healthz   metrics: /metrics\n` +
          peers.map((p) => `  ${p}\n`).join(''),
      );
      const stop = async (sig: string) => {
        log().info('stopping', { signal: sig });
        await app.close();
        await svs?.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}

/** The embedded finance system, on its own port (DESIGN §3); the SVS is started before createApp above. */
async function startEmbeddedPeers(cfg: ReturnType<typeof loadConfig>): Promise<string[]> {
  const lines: string[] = [];
  if (cfg.finance.start) {
    const p = await startEmbeddedFinance(cfg);
    if (p) lines.push(`${p.name}: ${p.url}`);
  }
  return lines;
}
