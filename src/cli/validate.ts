import type { Command } from 'commander';
import { definitionRoots, loadAll } from '../app';
import { DefinitionFile, definitionFiles, definitionLabel, type DefinitionKind } from '../engine/definition-files';
import { loadFlowTest } from '../engine/flow-tests';
import { formatIssue, Problems } from '../engine/lint';

/** Where a checked file of the overlay stands: the shipped file it replaces, or none (it adds). */
export interface OverlayFile {
  file: string;
  replaces?: string;
}

/**
 * Every definition and setting checked in one run — the effective configuration (files and
 * environment), code tables, catalogue, mappings, flows, flow tests — with all problems, compiler-style;
 * and which files the overlay directory supplies (they win over shipped files of the same name).
 */
export function validateAll(env: NodeJS.ProcessEnv = process.env): {
  problems: Problems;
  summary: { services: number; mappings: number; flows: number; codeTables: number };
  version: string;
  overlay: OverlayFile[];
} {
  const { config, definitions: d, problems, root } = loadAll(env);
  const roots = definitionRoots({ projectRoot: root, home: config?.home ?? '' });
  // Flow tests are definitions too: a mock naming a step that no longer exists is a mistake to show now.
  for (const f of definitionFiles(roots, 'flowTests')) loadFlowTest(f.file, d.flows, problems);
  const kinds: DefinitionKind[] = ['codes', 'catalogue', 'mappings', 'mappingTests', 'flows', 'flowTests'];
  const overlay = kinds
    .flatMap((k) => definitionFiles(roots, k))
    .filter((f: DefinitionFile) => f.origin === 'overlay')
    .map((f) => ({ file: definitionLabel(roots, f.file), replaces: f.replaces && definitionLabel(roots, f.replaces) }));
  return {
    problems,
    summary: { services: d.catalogue.services.size, mappings: d.mappings.size, flows: d.flows.length, codeTables: d.catalogue.codeTables.size },
    version: d.loaded.version,
    overlay,
  };
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check the catalogue, code tables, mappings, flows and configuration (shipped and overlay files); every problem prints as file:line:col  error  CODE  where: message — hint')
    .option('--format <fmt>', 'text | json', 'text')
    .action((opts: { format: string }) => {
      const { problems, summary, version, overlay } = validateAll();
      const issues = problems.sorted();
      const errors = problems.errors.length;
      if (opts.format === 'json') {
        process.stdout.write(
          JSON.stringify({ ok: errors === 0, ...summary, version, overlay, problems: issues.map((i) => ({ ...i.loc, severity: i.severity, code: i.code, where: i.where, message: i.message, hint: i.hint })) }) + '\n',
        );
      } else {
        // Which file wins is part of the answer: an overlay file silently replacing a shipped one is
        // exactly what an engineer needs to see before reloading.
        for (const o of overlay) process.stdout.write(`overlay  ${o.file}  ${o.replaces ? `replaces ${o.replaces}` : 'adds'}\n`);
        for (const i of issues) process.stderr.write(formatIssue(i) + '\n');
        if (errors) process.stderr.write(`${errors} error(s)${issues.length > errors ? `, ${issues.length - errors} warning(s)` : ''}\n`);
        else process.stdout.write(`ok: ${summary.services} services, ${summary.mappings} mappings, ${summary.flows} flows, ${summary.codeTables} code tables, configuration; definitions version ${version}\n`);
      }
      if (errors) process.exitCode = 1;
    });
}
