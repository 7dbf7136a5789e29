/** Runs the `openssl` CLI in a private temp directory that the caller removes with `cleanup()`. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslRun {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export class OpensslDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'medbill-openssl-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  write(name: string, data: string | Uint8Array): string {
    const p = this.path(name);
    writeFileSync(p, data);
    return p;
  }

  read(name: string): Buffer {
    return readFileSync(this.path(name));
  }

  /** openssl with cwd = the temp dir; never throws, the test asserts on status. */
  run(args: string[], input?: Uint8Array): OpensslRun {
    const r = spawnSync('openssl', args, { cwd: this.dir, input, maxBuffer: 16 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout ?? Buffer.alloc(0), stderr: (r.stderr ?? Buffer.alloc(0)).toString() };
  }

  /** Like run(), but fails loudly with openssl's own message when the exit status is not 0. */
  ok(args: string[], input?: Uint8Array): Buffer {
    const r = this.run(args, input);
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} → ${r.status}\n${r.stderr}`);
    return r.stdout;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function opensslAvailable(): boolean {
  return spawnSync('openssl', ['version']).status === 0;
}
