import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { loadCatalogue } from '../engine/catalogue';
import YAML from 'yaml';
import { catalogueMarkdown, TestedCodes } from '../engine/catalogue-doc';
import { errorsMarkdown, stepKindsMarkdown } from '../engine/reference-docs';

function yamlFiles(dir: string, suffix: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? yamlFiles(path.join(dir, d.name), suffix) : d.name.endsWith(suffix) ? [path.join(dir, d.name)] : [],
  );
}

const parse = (file: string): Record<string, unknown> => {
  try {
    return (YAML.parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch {
    return {}; // an unreadable file is `medbill validate`'s to report, not the docs'
  }
};

/**
 * The result codes each service is shown answering in the repository's own tests: its flow tests
 * (flows/**\/*.flow.test.yaml, expect.result) and its conformance file (test/conformance/<id>.yaml).
 */
export function testedCodes(root: string): TestedCodes {
  const out = new Map<string, Set<string>>();
  const add = (service: unknown, code: unknown) => {
    if (typeof service !== 'string' || typeof code !== 'string') return;
    if (!out.has(service)) out.set(service, new Set());
    out.get(service)!.add(code);
  };
  for (const file of yamlFiles(path.join(root, 'flows'), '.flow.test.yaml')) {
    const t = parse(file);
    if (typeof t.flow !== 'string') continue;
    const trigger = parse(path.resolve(path.dirname(file), t.flow)).trigger as { service?: string } | undefined;
    for (const c of (Array.isArray(t.cases) ? t.cases : []) as { expect?: { result?: string } }[]) add(trigger?.service, c?.expect?.result);
  }
  for (const file of yamlFiles(path.join(root, 'test', 'conformance'), '.yaml')) {
    const c = parse(file);
    const cases = [c.happy, ...(Array.isArray(c.bad) ? c.bad : [])] as { expect?: { code?: string } }[];
    for (const k of cases) add(c.service, k?.expect?.code);
    if (c.service) add(c.service, 'E1001'); // the runner's generated "required field missing" cases
  }
  return out;
}

/** docs/reference/services.md as `medbill docs` writes it. */
export function servicesMarkdown(root: string): string {
  return catalogueMarkdown(loadCatalogue(path.join(root, 'config', 'catalogue')), testedCodes(root));
}

export function registerDocs(program: Command): void {
  program
    .command('docs')
    .description('write the generated references: docs/reference/services.md (catalogue), errors.md (code table), step-kinds.md (step registry)')
    .option('--check', 'exit 1 if a committed file is stale')
    .action((opts: { check?: boolean }) => {
      const root = loadConfig().projectRoot;
      const pages: [string, string][] = [
        ['services.md', servicesMarkdown(root)],
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
