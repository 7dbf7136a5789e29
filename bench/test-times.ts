/**
 * Where `npm test` spends its time: a mocha reporter (the usual spec output) that writes, at the end,
 * every file's wall time (its hooks included) and every test's and slow hook's duration to a JSON file,
 * and prints the slowest files and tests. Durations are measured here, never asserted in tests.
 *   npm run build --silent && npx mocha --reporter dist/bench/test-times.js
 *   MEDBILL_TEST_TIMES names the JSON file (default medbill-test-times.json in the temporary folder).
 * On a shared machine compare relative figures, and re-run a changed file alone.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Mocha from 'mocha';

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_END, EVENT_HOOK_BEGIN, EVENT_HOOK_END } = Mocha.Runner.constants;

/** Hooks shorter than this are left out of the file (there are thousands). */
const SLOW_HOOK_MS = 200;
const SHOWN = 30;

interface FileTime {
  file: string;
  ms: number;
  tests: number;
}

const short = (file: string | undefined) => (file ?? '').replace(/^.*?\/dist\//, '');
const secs = (ms: number) => (ms / 1000).toFixed(1).padStart(6);

class TestTimes extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const files = new Map<string, { start: number; end: number; tests: number }>();
    const tests: { file: string; title: string; ms: number; state?: string }[] = [];
    const hooks: { file: string; title: string; ms: number }[] = [];
    let hookStart = 0;
    runner.on(EVENT_SUITE_BEGIN, (s) => {
      if (s.file && !files.has(s.file)) files.set(s.file, { start: Date.now(), end: Date.now(), tests: 0 });
    });
    runner.on(EVENT_SUITE_END, (s) => {
      const f = s.file ? files.get(s.file) : undefined;
      if (f) f.end = Date.now();
    });
    runner.on(EVENT_HOOK_BEGIN, () => (hookStart = Date.now()));
    runner.on(EVENT_HOOK_END, (h) => {
      const ms = Date.now() - hookStart;
      if (ms >= SLOW_HOOK_MS) hooks.push({ file: short(h.file), title: h.fullTitle(), ms });
    });
    runner.on(EVENT_TEST_END, (t) => {
      tests.push({ file: short(t.file), title: t.fullTitle(), ms: t.duration ?? 0, state: t.state });
      const f = t.file ? files.get(t.file) : undefined;
      if (f) f.tests++;
    });
    runner.once(EVENT_RUN_END, () => {
      const byFile: FileTime[] = [...files].map(([file, f]) => ({ file: short(file), ms: f.end - f.start, tests: f.tests })).sort((a, b) => b.ms - a.ms);
      tests.sort((a, b) => b.ms - a.ms);
      hooks.sort((a, b) => b.ms - a.ms);
      const out = process.env.MEDBILL_TEST_TIMES || path.join(os.tmpdir(), 'medbill-test-times.json');
      writeFileSync(out, JSON.stringify({ files: byFile, tests, hooks }, null, 1));
      const lines = [
        `\nslowest files (s, hooks included; all files: ${secs(byFile.reduce((a, f) => a + f.ms, 0)).trim()} s):`,
        ...byFile.slice(0, SHOWN).map((f) => `${secs(f.ms)}  ${f.file} (${f.tests} tests)`),
        `slowest tests (s):`,
        ...tests.slice(0, SHOWN).map((t) => `${secs(t.ms)}  ${t.file}  ${t.title}`),
        `every duration: ${out}\n`,
      ];
      process.stdout.write(lines.join('\n'));
    });
  }
}

export = TestTimes;
