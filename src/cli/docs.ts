import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { loadCatalogue } from '../engine/catalogue';
import { catalogueMarkdown } from '../engine/catalogue-doc';

export function registerDocs(program: Command): void {
  program
    .command('docs')
    .description('write docs/reference/services.md (every service and field, from config/catalogue)')
    .option('--check', 'exit 1 if the committed file is stale')
    .action((opts: { check?: boolean }) => {
      const root = loadConfig().projectRoot;
      const text = catalogueMarkdown(loadCatalogue(path.join(root, 'config', 'catalogue')));
      const file = path.join(root, 'docs', 'reference', 'services.md');
      if (opts.check) {
        if (readFileSync(file, 'utf8') !== text) {
          process.stderr.write(`${file} is stale: run medbill docs\n`);
          process.exitCode = 1;
        }
        return;
      }
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      process.stdout.write(`wrote ${file}\n`);
    });
}
