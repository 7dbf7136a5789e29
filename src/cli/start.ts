import type { Command } from 'commander';
import { EmbeddedPeer, startEmbeddedSvs } from '../../adapters/ca/embedded';
import { startEmbeddedFinance } from '../../adapters/finance/embedded';
import { createApp, loadAll } from '../app';
import { formatIssue } from '../engine/lint';
import { log } from '../log';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start medbill on the HIS port (17001), with the embedded signature server and finance system unless configured off')
    .action(async () => {
      // Every configuration and definition problem, all listed, stops start-up before anything listens.
      const { config: cfg, definitions, problems } = loadAll();
      if (!cfg || !problems.ok) {
        const errors = problems.sorted().filter((i) => i.severity === 'error');
        throw new Error(`refusing to start, ${errors.length} error(s):\n${errors.map(formatIssue).join('\n')}`);
      }
      // Peers first: start-up recovery may sign through the SVS, and the outbox uploads to finance at once.
      const peers: EmbeddedPeer[] = [];
      if (cfg.svs.start) peers.push(await startEmbeddedSvs(cfg));
      if (cfg.finance.start) {
        const finance = await startEmbeddedFinance(cfg);
        if (finance) peers.push(finance);
      }
      const app = await createApp(cfg, { definitions, mllp: cfg.hl7.mllp.enabled });
      let stopping = false;
      const stop = async (sig: string) => {
        if (stopping) return;
        stopping = true;
        log().info('stopping', { signal: sig });
        await app.close();
        for (const p of peers.reverse()) await p.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
      // kill -HUP <pid>: reload the definition files (a set with errors is refused and logged).
      process.on('SIGHUP', () => {
        if (!stopping) app.reload('SIGHUP');
      });
      // Announced only now: whoever waits for this line may stop us at once, and that stop must be the
      // graceful one (a SIGTERM before the handlers above would end the process with requests cut off).
      process.stdout.write(
        `medbill ${cfg.mode === 'demo' ? '(demo mode) ' : ''}listening on http://127.0.0.1:${app.port}\n` +
          `  HIS JSON: POST http://127.0.0.1:${app.port}/${cfg.server.servicePath}/api/medical/{serviceId}\n` +
          `  HIS SOAP: http://127.0.0.1:${app.port}/${cfg.server.servicePath}/ws/EBillService?wsdl\n` +
          `  health:   http://127.0.0.1:${app.port}/healthz   metrics: /metrics\n` +
          `  definitions: version ${app.definitions.version}${cfg.home ? ` (overlay ${cfg.home}, ${app.definitions.overlay.length} file(s))` : ''}; reload: kill -HUP ${process.pid} or medbill reload\n` +
          peers.map((p) => `  ${p.name}: ${p.url}\n`).join(''),
      );
    });
}
