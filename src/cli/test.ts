/**
 * `medbill test`: every golden case beside every mapping, then every flow test beside every flow —
 * what an integration engineer runs after editing data files, with no TypeScript and no mocha.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { loadFlowTest, runFlowTestCase } from '../engine/flow-tests';
import { type DefinitionRoots, definitionFiles } from '../engine/definition-files';
import { definitionRoots } from '../app';
import { displayPath, formatIssue, Problems } from '../engine/lint';
import { createScratchApp } from '../scratch-app';
import { runMappingTests } from './test-mappings';

/**
 * Runs the flow tests (shipped and overlay: an overlay test of the same name replaces the shipped one);
 * returns the number of failures (printed as it goes).
 */
export async function runFlowTests(roots: DefinitionRoots, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const files = definitionFiles(roots, 'flowTests').map((f) => f.file);
  if (!files.length) return 0;
  let failed = 0;
  for (const file of files) {
    // One scratch store per file: its cases run in order on it.
    const app = await createScratchApp();
    try {
      const problems = new Problems();
      const t = loadFlowTest(file, app.flows, problems);
      for (const i of problems.issues) out.write(`✗ ${formatIssue(i)}\n`);
      failed += problems.errors.length;
      const appid = app.config.callers[0]?.appid ?? '';
      for (const c of t?.cases ?? []) {
        const r = await runFlowTestCase(t!, c, app.flows, app.services, appid);
        if (!r.ok) failed++;
        out.write(`${r.ok ? '✓' : '✗'} ${displayPath(file)}:${c.loc.line} — ${c.name}${r.ok ? '' : `\n    ${r.problems.join('\n    ')}`}\n`);
      }
    } finally {
      await app.close();
    }
  }
  return failed;
}

export function registerTest(program: Command): void {
  program
    .command('test')
    .description('run the golden cases beside every mapping and the flow tests beside every flow (*.flow.test.yaml)')
    .option('--flows-only', 'only the flow tests')
    .option('--mappings-only', 'only the mapping golden cases')
    .action(async (opts: { flowsOnly?: boolean; mappingsOnly?: boolean }) => {
      const roots = definitionRoots(loadConfig());
      let failed = 0;
      if (!opts.flowsOnly) failed += await runMappingTests(roots);
      if (!opts.mappingsOnly) failed += await runFlowTests(roots);
      process.stdout.write(failed ? `${failed} failure(s)\n` : 'all passed\n');
      if (failed) process.exitCode = 1;
    });
}
