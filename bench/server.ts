/**
 * A real `node bin/medbill.js start` child on a fresh port, as the benchmarks and the crash campaign
 * run it: configuration from a YAML file (MEDBILL_CONFIG) and the environment, no output of its own.
 */
import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export async function waitHealthy(url: string, ms: number, alive: () => boolean = () => true): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until && alive()) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not become healthy at ${url}`);
}

export interface MedbillProcess {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** the last 8 KB the child wrote to stderr (for failure messages) */
  stderr(): string;
}

export interface SpawnOptions {
  port: number;
  configFile: string;
  dataDir: string;
  dbUrl: string;
  /** more environment (MEDBILL_* overrides, LD_PRELOAD …) */
  env?: NodeJS.ProcessEnv;
  nodeArgs?: string[];
}

export function spawnMedbill(o: SpawnOptions): MedbillProcess {
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), path.join(ROOT, 'bin', 'medbill.js'), 'start'], {
    env: {
      ...process.env,
      MEDBILL_CONFIG: o.configFile,
      MEDBILL_DATA_DIR: o.dataDir,
      MEDBILL_PORT: String(o.port),
      MEDBILL_HOST: '127.0.0.1',
      MEDBILL_DB_URL: o.dbUrl,
      MEDBILL_QUIET: '1',
      ...(o.env ?? {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-8192)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, port: o.port, exited, stderr: () => err };
}
