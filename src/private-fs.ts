/**
 * Files only medbill's own user may read: the data directory (bills with patients' ID numbers, demo
 * keys), the databases and the logs. Directories medbill creates are 0700 and files 0600, whatever the
 * umask; its own existing files are tightened to 0600 on open (an older install left them 0644). An
 * existing directory is the operator's and is left as it is, with a warning when others can read it.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) 0700. Returns a warning when an existing `dir` is open to others. */
export function privateDir(dir: string): string | undefined {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // mkdir's mode passes through the umask; say it exactly.
    chmodSync(dir, PRIVATE_DIR_MODE);
    return undefined;
  }
  const mode = statSync(dir).mode & 0o777;
  return mode & 0o077 ? `${dir} is readable by other users (mode ${mode.toString(8)}): chmod 700 it` : undefined;
}

/** Creates `file` empty 0600 if missing, else tightens it to 0600 (medbill's own database and log files). */
export function privateFile(file: string): void {
  privateDir(path.dirname(file));
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}
