import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { flowSchema } from '../engine/flow-schema';

export function schemaText(): string {
  return JSON.stringify(flowSchema(), null, 2) + '\n';
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('write flows/flow.schema.json from the step registry (editor completion for flow files)')
    .option('--check', 'exit 1 if the committed file differs from the registry')
    .action((opts: { check?: boolean }) => {
      const file = path.join(loadConfig().projectRoot, 'flows', 'flow.schema.json');
      if (opts.check) {
        if (readFileSync(file, 'utf8') !== schemaText()) {
          process.stderr.write(`${file} is stale: run medbill schema\n`);
          process.exitCode = 1;
        }
        return;
      }
      writeFileSync(file, schemaText());
      process.stdout.write(`wrote ${file}\n`);
    });
}
