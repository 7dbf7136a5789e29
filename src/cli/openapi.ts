import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { openApiText } from '../../adapters/his/json/openapi';
import { loadConfig } from '../config';
import { loadCatalogue } from '../engine/catalogue';

/** `medbill openapi`: regenerates docs/reference/openapi.json (the JSON channel) from the catalogue. */
export function registerOpenApi(program: Command): void {
  program
    .command('openapi')
    .description('generate docs/reference/openapi.json (OpenAPI 3.1 of the HIS JSON channel) from config/catalogue; the server also serves it at /<servicePath>/openapi.json')
    .option('--out <file>', 'write here instead of docs/reference/openapi.json')
    .option('--check', 'only compare: exit 1 when the file differs from a fresh generation')
    .action((opts: { out?: string; check?: boolean }) => {
      const cfg = loadConfig();
      const text = openApiText(loadCatalogue(path.join(cfg.projectRoot, 'config', 'catalogue')), { servicePath: cfg.server.servicePath });
      const file = opts.out ?? path.join(cfg.projectRoot, 'docs', 'reference', 'openapi.json');
      if (opts.check) {
        let current = '';
        try {
          current = readFileSync(file, 'utf8');
        } catch {
          /* missing counts as stale */
        }
        process.stdout.write(current === text ? `up to date: ${file}\n` : `stale: ${file} (run medbill openapi)\n`);
        if (current !== text) process.exitCode = 1;
        return;
      }
      writeFileSync(file, text);
      process.stdout.write(`wrote ${file}\n`);
    });
}
