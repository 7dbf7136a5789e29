import type { Command } from 'commander';
import { loadDefinitions } from '../app';
import { loadConfig } from '../config';
import { LintError } from '../engine/yaml-source';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check the service catalogue, every mapping and every flow; errors print as file:line:col CODE message')
    .option('--format <fmt>', 'text | json', 'text')
    .action((opts: { format: string }) => {
      const cfg = loadConfig();
      try {
        const d = loadDefinitions(cfg);
        const summary = { services: d.catalogue.services.size, mappings: d.mappings.size, flows: d.flows.length };
        if (opts.format === 'json') process.stdout.write(JSON.stringify({ ok: true, ...summary }) + '\n');
        else process.stdout.write(`ok: ${summary.services} services, ${summary.mappings} mappings, ${summary.flows} flows\n`);
      } catch (e) {
        if (e instanceof LintError) {
          if (opts.format === 'json')
            process.stdout.write(JSON.stringify({ ok: false, errors: [{ ...e.loc, code: e.code, where: e.where, message: e.detail, hint: e.hint }] }) + '\n');
          else process.stderr.write(e.message + '\n');
        } else process.stderr.write(`error: ${(e as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
