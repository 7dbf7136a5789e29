import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { setFunctionContext } from '../engine/functions';
import { loadMappings } from '../engine/mapping';
import { findGoldenFiles, runGoldenCase, untestedMappings } from '../engine/mapping-tests';

export function registerTestMappings(program: Command): void {
  program
    .command('test-mappings')
    .description('run the golden cases beside every mapping (mappings/**/*.map.test.yaml)')
    .option('--update', 'rewrite expectFile fixtures from the current output (review the diff!)')
    .action(async (opts: { update?: boolean }) => {
      const root = loadConfig().projectRoot;
      setFunctionContext({ publicBaseUrl: 'http://127.0.0.1:17001', publicNetUrl: '' }); // what golden cases assume
      const mappings = loadMappings(path.join(root, 'mappings'));
      const golden = findGoldenFiles(path.join(root, 'mappings'));
      let failed = 0;
      for (const f of untestedMappings(mappings, golden)) {
        failed++;
        process.stdout.write(`✗ ${path.relative(root, f)}: no golden test file beside it\n`);
      }
      for (const g of golden) {
        const m = [...mappings.values()].find((x) => path.resolve(x.file) === g.target);
        if (!m) {
          failed++;
          process.stdout.write(`✗ ${path.relative(root, g.file)}: target ${g.target} is not a mapping\n`);
          continue;
        }
        for (const c of g.cases) {
          const r = await runGoldenCase(g, c, m, opts.update);
          if (!r.ok) failed++;
          process.stdout.write(`${r.ok ? '✓' : '✗'} ${path.relative(root, g.file)} — ${c.name}${r.problem ? `: ${r.problem}` : ''}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });
}
