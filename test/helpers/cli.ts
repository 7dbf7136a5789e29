/** The real `medbill` binary as on-call staff run it: a child process, its exit code and both streams. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { InProcessSigner } from '../../adapters/ca/in-process-signer';
import { loadUnitSigningKey } from '../../adapters/ca/key-material';
import type { SignResult, Signer } from '../../src/engine/signer';
import type { TestApp } from './app';

export const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'medbill.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Environment for CLI runs against a test app's data dir and database (no peers started, no log files). */
export function cliEnv(app: Pick<TestApp, 'dir' | 'config'>, port: number | undefined): NodeJS.ProcessEnv {
  const cfgFile = path.join(app.dir, 'cli.yaml');
  writeFileSync(cfgFile, 'svs: { start: false }\nfinance: { start: false }\n');
  return {
    ...process.env,
    MEDBILL_CONFIG: cfgFile,
    MEDBILL_DATA_DIR: app.dir,
    MEDBILL_DB_URL: app.config.db.url,
    MEDBILL_LOG_DIR: '',
    MEDBILL_QUIET: '1',
    // No server on port 9 (discard): the CLI finds none and runs in-process unless a test sets a port.
    MEDBILL_PORT: String(port ?? 9),
  };
}

/**
 * Stand-in for the hospital's CA signature server going down and coming back: throws while `down`,
 * then signs for real with the app's own pool and unit key.
 */
export class CaOutageStandIn implements Signer {
  readonly name = 'ca-outage-stand-in';
  down = true;
  private real?: Signer;

  attach(app: TestApp): void {
    const k = loadUnitSigningKey(app.config);
    this.real = new InProcessSigner(app.services.pool, k.id, k.serialHex);
  }

  signDetached(content: string, ctx?: { msgId?: string; busNo?: string }): Promise<SignResult> {
    if (this.down || !this.real) return Promise.reject(new Error('connect ECONNREFUSED (CA signature server down)'));
    return this.real.signDetached(content, ctx);
  }

  async close(): Promise<void> {}
}
