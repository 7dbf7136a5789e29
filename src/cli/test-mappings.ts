import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { Problems } from '../engine/lint';
import { loadMappings } from '../engine/mapping';
import { findGoldenFiles, goldenContext, runGoldenCase, untestedMappings } from '../engine/mapping-tests';

/** Runs every golden case beside every mapping; returns the number of failures (printed as it goes). */
export async function runMappingTests(root: string, opts: { update?: boolean; out?: NodeJS.WritableStream } = {}): Promise<number> {
  const out = opts.out ?? process.stdout;
  const problems = new Problems();
  const mappings = loadMappings(path.join(root, 'mappings'), problems, goldenContext());
  let failed = problems.errors.length;
  for (const i of problems.errors) out.write(`✗ ${i.loc.file}:${i.loc.line}:${i.loc.col} ${i.code} ${i.message}\n`);
  const golden = findGoldenFiles(path.join(root, 'mappings'));
  for (const f of untestedMappings(mappings, golden)) {
    failed++;
    out.write(`✗ ${path.relative(root, f)}: no golden test file beside it\n`);
  }
  for (const g of golden) {
    const m = [...mappings.values()].find((x) => path.resolve(x.file) === g.target);
    if (!m) {
      failed++;
      out.write(`✗ ${path.relative(root, g.file)}: target ${g.target} is not a mapping\n`);
      continue;
    }
    for (const c of g.cases) {
      const r = await runGoldenCase(g, c, m, opts.update);
      if (!r.ok) failed++;
      out.write(`${r.ok ? '✓' : '✗'} ${path.relative(root, g.file)} — ${c.name}${r.problem ? `: ${r.problem}` : ''}\n`);
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
      if (await runMappingTests(loadConfig().projectRoot, opts)) process.exitCode = 1;
    });
}
