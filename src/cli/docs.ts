import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { loadCatalogue } from '../engine/catalogue';
import { catalogueMarkdown } from '../engine/catalogue-doc';
import { errorsMarkdown, stepKindsMarkdown } from '../engine/reference-docs';

export function registerDocs(program: Command): void {
  program
    .command('docs')
    .description('write the generated references: docs/reference/services.md (catalogue), errors.md (code table), step-kinds.md (step registry)')
    .option('--check', 'exit 1 if a committed file is stale')
    .action((opts: { check?: boolean }) => {
      const root = loadConfig().projectRoot;
      const pages: [string, string][] = [
        ['services.md', catalogueMarkdown(loadCatalogue(path.join(root, 'config', 'catalogue')))],
        ['errors.md', errorsMarkdown()],
        ['step-kinds.md', stepKindsMarkdown()],
      ];
      for (const [name, text] of pages) {
        const file = path.join(root, 'docs', 'reference', name);
        if (opts.check) {
          let old = '';
          try {
            old = readFileSync(file, 'utf8');
          } catch {
            /* missing counts as stale */
          }
          if (old !== text) {
            process.stderr.write(`${file} is stale: run medbill docs\n`);
            process.exitCode = 1;
          }
          continue;
        }
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, text);
        process.stdout.write(`wrote ${file}\n`);
      }
    });
}
