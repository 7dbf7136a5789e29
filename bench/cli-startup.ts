/**
 * What one `medbill` process costs before it does its work: the tests run the real binary well over a
 * hundred times (on-call commands, `medbill start` for the crash and signal tests), so its start-up
 * is much of `npm test`. Each command runs `--runs` times on a fresh data folder; the best wall time
 * and the CPU time of that run (user + system, from the child's own accounting) are printed, with one
 * JSON line per command, e.g. {"bench":"cli-startup","command":"dlq list","wallMs":420,"cpuMs":510}.
 *
 *   node dist/bench/cli-startup.js [--runs 3]      (or npm run bench -- --only start-up)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'medbill.js');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/** user + system CPU ms of a live process (Linux /proc; 0 elsewhere). */
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}

/**
 * Runs `medbill args` until it exits, or — with `until` — until its output matches (then SIGTERM), and
 * reads its CPU time just before it ends (a process reaped has no /proc entry).
 */
function once(args: string[], env: NodeJS.ProcessEnv, until?: RegExp): Promise<{ wallMs: number; cpuMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let cpu = 0;
  let wall = 0;
  return new Promise((resolve, reject) => {
    const sample = () => {
      cpu = Math.max(cpu, cpuMs(child.pid!));
    };
    const timer = setInterval(sample, 5);
    const watch = (c: Buffer) => {
      out += c.toString();
      if (until && !wall && until.test(out)) {
        wall = performance.now() - t0;
        sample();
        child.kill('SIGTERM');
      }
    };
    child.stdout!.on('data', watch);
    child.stderr!.on('data', watch);
    child.once('exit', () => {
      clearInterval(timer);
      if (until && !wall) reject(new Error(`medbill ${args.join(' ')} ended before ${until}:\n${out}`));
      else resolve({ wallMs: Math.round(wall || performance.now() - t0), cpuMs: Math.round(cpu) });
    });
  });
}

export async function run(opts: { runs?: number } = {}): Promise<void> {
  const runs = opts.runs ?? arg('runs', 3);
  const commands: { args: string[]; until?: RegExp }[] = [
    { args: ['--version'] },
    { args: ['dlq', 'list'] },
    { args: ['stock', 'balance'] },
    { args: ['trace', '--bus-no', 'BENCH-NONE'] },
    { args: ['flows'] },
    { args: ['validate'] },
    { args: ['start'], until: /listening on/ },
  ];
  for (const c of commands) {
    let best: { wallMs: number; cpuMs: number } | undefined;
    for (let i = 0; i < runs; i++) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-cli-'));
      try {
        const cfg = path.join(dir, 'medbill.yaml');
        writeFileSync(cfg, 'svs: { start: false }\nfinance: { start: false }\nlog: { dir: "" }\n');
        const env = { ...process.env, MEDBILL_CONFIG: cfg, MEDBILL_DATA_DIR: path.join(dir, 'data'), MEDBILL_DB_URL: `sqlite:${path.join(dir, 'db.sqlite')}`, MEDBILL_PORT: '0', MEDBILL_HOST: '127.0.0.1', MEDBILL_LOG_DIR: '', MEDBILL_QUIET: '1' };
        const r = await once(c.args, env, c.until);
        if (!best || r.wallMs < best.wallMs) best = r;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const command = c.args.join(' ');
    process.stdout.write(`medbill ${command.padEnd(28)} ${String(best!.wallMs).padStart(6)} ms wall, ${String(best!.cpuMs).padStart(6)} ms CPU${c.until ? ' (until listening)' : ''}\n`);
    process.stdout.write(JSON.stringify({ bench: 'cli-startup', command, wallMs: best!.wallMs, cpuMs: best!.cpuMs }) + '\n');
  }
}

if (require.main === module) void run();
