/**
 * The TypeScript side of power-cut.c: builds the shim, gives the environment that loads it into a
 * medbill child, and after that child was killed -9 "cuts the power": each watched SQLite file is put
 * back to its durable image (what its last fsync made durable); a file never fsynced is removed, and
 * the -shm wal-index with it (SQLite rebuilds it from the WAL).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../server';

const SOURCE = path.join(ROOT, 'bench', 'campaign', 'power-cut.c');

/** Compiles the shim into `outDir`; undefined when this machine has no C compiler. */
export function buildPowerCutShim(outDir: string): string | undefined {
  const so = path.join(outDir, 'power-cut.so');
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang'].filter((c): c is string => !!c)) {
    try {
      execFileSync(cc, ['-shared', '-fPIC', '-O2', '-Wall', '-o', so, SOURCE, '-ldl', '-lpthread'], { stdio: 'pipe' });
      return so;
    } catch {
      /* try the next compiler */
    }
  }
  return undefined;
}

/** The environment that makes a child keep durable images of `dbFile` and its journals. */
export function powerCutEnv(shim: string, dbFile: string): NodeJS.ProcessEnv {
  return { LD_PRELOAD: shim, POWERCUT_PREFIX: dbFile };
}

/** After kill -9 of every process using `dbFile`: leaves only what an fsync made durable. */
export function cutPower(dbFile: string): void {
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-journal`]) {
    if (existsSync(`${f}.durable`)) copyFileSync(`${f}.durable`, f);
    else rmSync(f, { force: true });
  }
  rmSync(`${dbFile}-shm`, { force: true });
}
