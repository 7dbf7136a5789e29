import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes a generated file, or with `check` only compares it (exit code 1 when stale), the way `medbill
 * wsdl` and `medbill openapi` do; `command` names what regenerates it.
 */
export function writeOrCheck(file: string, text: string, check: boolean | undefined, command: string): void {
  if (check) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      /* missing counts as stale */
    }
    const same = current === text;
    process.stdout.write(same ? `up to date: ${file}\n` : `stale: ${file} (run ${command})\n`);
    if (!same) process.exitCode = 1;
    return;
  }
  writeFileSync(file, text);
  process.stdout.write(`wrote ${file}\n`);
}
