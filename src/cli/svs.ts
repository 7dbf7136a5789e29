/** `medbill svs`: the embedded signature server alone, so tests and demos can stop and restart it. */
import type { Command } from 'commander';
import { startEmbeddedSvs } from '../../adapters/ca/embedded';
import { hashPassword } from '../../adapters/ca/svs/password';
import { auditDbUrl } from '../../adapters/ca/svs/settings';
import { loadConfig } from '../config';
import { configureLogging, log } from '../log';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerSvs(program: Command): void {
  program
    .command('svs')
    .description('run the embedded signature server (SVS) alone: SOAP at /svs, WSDL at /svs?wsdl, port svs.port (17002)')
    .option('--hash-password', 'print the scrypt hash of a password read from stdin, for svs.applications[].passwordHash, and exit')
    .action(async (opts: { hashPassword?: boolean }) => {
      if (opts.hashPassword) {
        const pw = await readStdin();
        if (!pw) throw new Error('no password on stdin');
        process.stdout.write(hashPassword(pw) + '\n');
        return;
      }
      const cfg = loadConfig(process.env, {}, 'svs');
      configureLogging(cfg.log);
      const svs = await startEmbeddedSvs(cfg);
      process.stdout.write(
        `medbill signature server (SVS) listening on ${svs.url.replace(/\?wsdl$/, '')}\n` +
          `  WSDL:   ${svs.url}\n` +
          `  engine: ${cfg.svs.engine}, ${cfg.svs.workers} workers, ${cfg.svs.keys.length} keys, ${cfg.svs.applications.length} applications\n` +
          `  audit:  ${auditDbUrl(cfg).replace(/\/\/[^@]*@/, '//***@')}\n`,
      );
      const stop = async (sig: string) => {
        log().info('svs stopping', { signal: sig });
        await svs.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}
