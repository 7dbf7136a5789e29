import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { Problems } from '../engine/lint';
import { loadMappingFiles } from '../engine/mapping';
import { goldenContext, loadGoldenFile, runGoldenCase, untestedMappings } from '../engine/mapping-tests';
import { type DefinitionRoots, definitionFiles, definitionLabel } from '../engine/definition-files';
import { definitionRoots } from '../app';

/**
 * Runs every golden case beside every mapping, shipped and overlay; returns the number of failures
 * (printed as it goes). A golden file's target is found by its name relative to its tree, so a shipped
 * golden file checks the overlay mapping that replaces its target (until the overlay brings its own
 * golden file of the same name, which then replaces the shipped one).
 */
export async function runMappingTests(r: DefinitionRoots, opts: { update?: boolean; out?: NodeJS.WritableStream } = {}): Promise<number> {
  const out = opts.out ?? process.stdout;
  const label = (f: string) => definitionLabel(r, f);
  const problems = new Problems();
  const byKey = new Map(definitionFiles(r, 'mappings').map((f) => [f.key, f.file]));
  const mappings = loadMappingFiles(new Map([...byKey].map(([k, f]) => [k.replace(/^mappings\//, '').replace(/\.map\.yaml$/, ''), f])), problems, goldenContext());
  let failed = problems.errors.length;
  for (const i of problems.errors) out.write(`✗ ${i.loc.file}:${i.loc.line}:${i.loc.col} ${i.code} ${i.message}\n`);
  const golden = definitionFiles(r, 'mappingTests').flatMap((t) =>
    loadGoldenFile(t.file).map((g) => {
      // The target's name in its own tree, then the file that wins for that name.
      const base = t.origin === 'overlay' ? r.home! : r.root;
      const key = path.relative(base, g.target).split(path.sep).join('/');
      return { ...g, target: path.resolve(byKey.get(key) ?? g.target) };
    }),
  );
  for (const f of untestedMappings(mappings, golden)) {
    failed++;
    out.write(`✗ ${label(f)}: no golden test file beside it\n`);
  }
  for (const g of golden) {
    const m = [...mappings.values()].find((x) => path.resolve(x.file) === g.target);
    if (!m) {
      failed++;
      out.write(`✗ ${label(g.file)}: target ${g.target} is not a mapping\n`);
      continue;
    }
    for (const c of g.cases) {
      const res = await runGoldenCase(g, c, m, opts.update);
      if (!res.ok) failed++;
      out.write(`${res.ok ? '✓' : '✗'} ${label(g.file)} — ${c.name}${res.problem ? `: ${res.problem}` : ''}\n`);
    }
  }
  return failed;
}

export function registerTestMappings(program: Command): void {
  program
    .command('test-mappings')
    .description('run the golden cases beside every mapping (mappings/**/*.map.test.yaml)')
    .option('--update', 'rewrite expectFile fixtures from the current output (review the diff!)')
    .action(async (opts: { update?: boolean }) => {
      if (await runMappingTests(definitionRoots(loadConfig()), opts)) process.exitCode = 1;
    });
}
