/** Operations: list flows (trace.ts traces a message/busNo/bill, replay.ts replays stored messages). */
import type { Command } from 'commander';
import { loadDefinitions } from '../app';
import { loadConfig } from '../config';

export function registerOps(program: Command): void {
  program
    .command('flows')
    .description('print the router table: service → flow file and version')
    .action(() => {
      const { router } = loadDefinitions(loadConfig());
      for (const r of router.table()) process.stdout.write(`${r.channel}\t${r.service}\t${r.flow}@${r.version}\t${r.file}\n`);
    });
}
