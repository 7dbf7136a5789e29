import type { Command } from 'commander';
import path from 'node:path';
import { loadAll } from '../app';
import { flowTestFiles, loadFlowTest } from '../engine/flow-tests';
import { formatIssue, Problems } from '../engine/lint';

/**
 * Every definition and setting checked in one run — the effective configuration (files and
 * environment), code tables, catalogue, mappings, flows, flow tests — with all problems, compiler-style.
 */
export function validateAll(env: NodeJS.ProcessEnv = process.env): { problems: Problems; summary: { services: number; mappings: number; flows: number; codeTables: number } } {
  const { definitions: d, problems, root } = loadAll(env);
  // Flow tests are definitions too: a mock naming a step that no longer exists is a mistake to show now.
  for (const f of flowTestFiles(path.join(root, 'flows'))) loadFlowTest(f, d.flows, problems);
  return { problems, summary: { services: d.catalogue.services.size, mappings: d.mappings.size, flows: d.flows.length, codeTables: d.catalogue.codeTables.size } };
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check the catalogue, code tables, mappings, flows and configuration; every problem prints as file:line:col  error  CODE  where: message — hint')
    .option('--format <fmt>', 'text | json', 'text')
    .action((opts: { format: string }) => {
      const { problems, summary } = validateAll();
      const issues = problems.sorted();
      const errors = problems.errors.length;
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify({ ok: errors === 0, ...summary, problems: issues.map((i) => ({ ...i.loc, severity: i.severity, code: i.code, where: i.where, message: i.message, hint: i.hint })) }) + '\n');
      } else {
        for (const i of issues) process.stderr.write(formatIssue(i) + '\n');
        if (errors) process.stderr.write(`${errors} error(s)${issues.length > errors ? `, ${issues.length - errors} warning(s)` : ''}\n`);
        else process.stdout.write(`ok: ${summary.services} services, ${summary.mappings} mappings, ${summary.flows} flows, ${summary.codeTables} code tables, configuration\n`);
      }
      if (errors) process.exitCode = 1;
    });
}
