/** Operations: list flows, trace a message/busNo/bill (trace.ts), replay stored messages (replay.ts). */
import type { Command } from 'commander';
import { loadDefinitions } from '../app';
import { loadConfig } from '../config';
import { registerReplay } from './replay';
import { registerTrace } from './trace';

export function registerOps(program: Command): void {
  program
    .command('flows')
    .description('print the router table: service → flow file and version')
    .action(() => {
      const { router } = loadDefinitions(loadConfig());
      for (const r of router.table()) process.stdout.write(`${r.channel}\t${r.service}\t${r.flow}@${r.version}\t${r.file}\n`);
    });

  registerTrace(program);
  registerReplay(program);
}
