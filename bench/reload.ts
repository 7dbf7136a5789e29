/**
 * Hot reload (issue 11): how long loading the definitions takes — the start-up load, and a reload after
 * one mapping, one flow or one catalogue entry changed, and after nothing changed. A reload runs on the
 * event loop, so each figure is also how long request handling pauses. The changes are made in a
 * temporary overlay directory (MEDBILL_HOME), never in the shipped files.
 *
 *   node dist/bench/reload.js [--n 5]
 */
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDefinitions } from '../src/app';
import { loadConfig } from '../src/config';
import { LiveDefinitions } from '../src/engine/live-definitions';
import { configureLogging } from '../src/log';

const ROOT = path.resolve(__dirname, '..', '..');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function run(opts: { n?: number } = {}): Promise<void> {
  const n = opts.n ?? (Number(process.argv[process.argv.indexOf('--n') + 1]) || 5);
  const home = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-home-'));
  process.env.MEDBILL_QUIET = '1';
  try {
    const cfg = loadConfig({ ...process.env, MEDBILL_CONFIG: '' }, { home, log: { level: 'error', dir: '', stdout: false } });
    configureLogging(cfg.log);
    const overlay = (rel: string) => {
      const to = path.join(home, rel);
      mkdirSync(path.dirname(to), { recursive: true });
      copyFileSync(path.join(ROOT, rel), to);
      return to;
    };
    const changes: Record<string, string> = {
      mapping: overlay('mappings/his-v32/outpatient-to-bill.map.yaml'),
      flow: overlay('flows/outpatient/issue.flow.yaml'),
      'catalogue entry': overlay('config/catalogue/invoiceEBillOutpatient.yaml'),
    };
    const times = (f: () => void) =>
      Array.from({ length: n }, () => {
        const t0 = performance.now();
        f();
        return performance.now() - t0;
      });
    const report = (what: string, ms: number[]) => {
      process.stdout.write(`${what.padEnd(42)} median ${median(ms).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms (n=${n})\n`);
      process.stdout.write(JSON.stringify({ bench: 'reload', what, medianMs: Math.round(median(ms)), maxMs: Math.round(Math.max(...ms)), n }) + '\n');
    };
    report('start-up load (everything compiled)', times(() => loadDefinitions(cfg)));
    const live: LiveDefinitions = new LiveDefinitions(loadDefinitions(cfg), (p) => loadDefinitions(cfg, p, live.current()));
    report('reload, nothing changed', times(() => live.reload('bench')));
    let k = 0;
    for (const [what, file] of Object.entries(changes))
      report(`reload, one ${what} changed`, times(() => {
        appendFileSync(file, `\n# bench ${k++}\n`);
        const o = live.reload('bench');
        if (!o.ok || !o.changed) throw new Error(`reload did not take: ${o.problems.join('; ')}`);
      }));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (require.main === module) void run();
