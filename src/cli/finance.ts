/** `medbill finance`: the embedded finance e-bill simulator alone, so tests and demos can stop and restart it. */
import type { Command } from 'commander';
import { startFinanceSimulator } from '../../adapters/finance/simulator';
import { loadConfig } from '../config';
import { configureLogging, log } from '../log';

export function registerFinance(program: Command): void {
  program
    .command('finance')
    .description('run the embedded finance e-bill system simulator alone (upload API and public check page, port 17003)')
    .action(async () => {
      const cfg = loadConfig(process.env, {}, 'finance');
      configureLogging(cfg.log);
      const sim = await startFinanceSimulator(cfg);
      process.stdout.write(
        `medbill finance simulator listening on ${sim.url}\n` +
          `  upload:     POST ${sim.url}/api/bills\n` +
          `  check page: ${sim.url}/billcheck\n` +
          `  database:   ${cfg.dataDir}/finance.sqlite\n`,
      );
      const stop = async (sig: string) => {
        log().info('finance simulator stopping', { signal: sig });
        await sim.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
