/**
 * A copy of the built project in a temporary folder (bin, dist, definitions, config; node_modules
 * linked), so a test can break definition files and run the real `medbill` command on them without
 * touching the shipped ones.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..', '..', '..');

export interface ProjectCopy {
  root: string;
  file(rel: string): string;
  medbill(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }>;
  remove(): void;
}

export function copyProject(): ProjectCopy {
  const root = mkdtempSync(path.join(os.tmpdir(), 'medbill-copy-'));
  for (const d of ['bin', 'dist', 'config', 'flows', 'mappings', 'wsdl', 'examples', 'package.json']) cpSync(path.join(ROOT, d), path.join(root, d), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return {
    root,
    file: (rel) => path.join(root, rel),
    medbill: (args, env = {}) =>
      new Promise((resolve) => {
        execFile(process.execPath, [path.join(root, 'bin', 'medbill.js'), ...args], { cwd: root, env: { ...process.env, MEDBILL_CONFIG: '', ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
