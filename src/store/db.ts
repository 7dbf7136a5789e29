/**
 * knex over SQLite (better-sqlite3, WAL) by default, or MySQL/MariaDB (mysql2) for production.
 *
 * An S0000 promises the HIS a bill and a number; both must survive a power cut, not only kill -9.
 * db.sqliteSynchronous: full (the default) means a commit is fsynced before anything answers on it.
 * Who fsyncs is db.sqliteWalSync:
 *   writer (default) — the app's group commit (group-commit.ts) fsyncs the WAL file after each
 *     transaction, in libuv's thread pool, before any unit of the batch resolves; SQLite itself runs
 *     synchronous=NORMAL. The event loop keeps working meanwhile, so the requests that arrive during
 *     one fsync share the next (npm run bench, 100 clients, three runs on a shared 2-core machine:
 *     the writer's fsync ran at 84–135% of NORMAL's bills/s, PRAGMA synchronous=FULL at 52–88%, the
 *     writer had the lowest p99 of the three every time; the busier the machine, the larger the gap).
 *   commit — PRAGMA synchronous=FULL: SQLite fsyncs inside COMMIT, which blocks the event loop.
 * Every other connection (CLI, the SVS audit log) uses PRAGMA synchronous=FULL.
 * synchronous=NORMAL without the writer's fsync (db.sqliteSynchronous: normal) syncs only at
 * checkpoints — a power cut then loses every commit since the last one and rolls the number pointer
 * back; production refuses it (config.ts), and durability.ts reads back what the database does.
 */
import { chmodSync, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import knexFactory, { Knex } from 'knex';
import { PRIVATE_FILE_MODE, privateFile } from '../private-fs';
import { migrationSource } from './migrations';
import { CachedBetterSqlite3Client } from './sqlite-client';

export type Db = Knex;
export type Dialect = 'sqlite' | 'mysql';

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('mysql:') || url.startsWith('mariadb:')) return 'mysql';
  throw new Error(`unsupported database URL '${url.replace(/\/\/[^@]*@/, '//***@')}' (use sqlite:<file> or mysql://…)`);
}

/** db.sqliteSynchronous: full by default (a commit is on disk before an answer), normal for stand-ins. */
export type SqliteSynchronous = 'full' | 'normal';

export interface OpenOptions {
  sqliteSynchronous?: SqliteSynchronous;
  /**
   * The caller fsyncs the WAL itself before trusting a commit (walFsync below, from the group commit):
   * SQLite runs synchronous=NORMAL. Only for a connection whose every answer waits for that fsync.
   */
  walSyncedByCaller?: boolean;
}

const sqliteFile = (url: string) => url.slice('sqlite:'.length);

export function openDb(url: string, opts: OpenOptions = {}): Db {
  const synchronous = opts.sqliteSynchronous ?? 'full';
  if (synchronous !== 'full' && synchronous !== 'normal') throw new Error(`db.sqliteSynchronous must be full or normal, not '${String(synchronous)}'`);
  if (dialectOf(url) === 'sqlite') {
    const file = sqliteFile(url);
    if (file !== ':memory:') {
      // 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database file's mode.
      privateFile(file);
      for (const side of [`${file}-wal`, `${file}-shm`]) if (existsSync(side)) chmodSync(side, PRIVATE_FILE_MODE);
    }
    const pragma = synchronous === 'full' && !opts.walSyncedByCaller ? 'FULL' : 'NORMAL';
    return knexFactory({
      client: CachedBetterSqlite3Client as unknown as typeof Knex.Client,
      connection: { filename: file },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string, o?: { simple: boolean }): unknown }, done: (err: Error | null, conn: unknown) => void) {
          const mode = conn.pragma('journal_mode = WAL', { simple: true });
          // The caller's fsync is of the -wal file: without WAL it would sync nothing.
          if (opts.walSyncedByCaller && file !== ':memory:' && mode !== 'wal') return done(new Error(`SQLite could not switch ${file} to WAL (journal_mode is ${String(mode)})`), conn);
          conn.pragma(`synchronous = ${pragma}`);
          // A checkpoint copies the WAL into the database file and fsyncs it, inside the COMMIT that
          // crosses the threshold (the event loop waits): at ~12 KB a bill the default (every 4 MB)
          // stalled a commit every few hundred bills, so 64 MB between checkpoints. After a checkpoint
          // the WAL is reused from its start; journal_size_limit trims it to 64 MB if a long read let it grow.
          conn.pragma('wal_autocheckpoint = 16384');
          conn.pragma('journal_size_limit = 67108864');
          conn.pragma('busy_timeout = 5000');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        },
      },
    });
  }
  return knexFactory({
    client: 'mysql2',
    connection: url.replace(/^mariadb:/, 'mysql:') + (url.includes('?') ? '&' : '?') + 'charset=utf8mb4&supportBigNumbers=true&bigNumberStrings=false',
    pool: { min: 1, max: 10 },
  });
}

/**
 * Makes every commit written so far durable: fsync of the -wal file, run in libuv's thread pool so the
 * event loop goes on. The file is opened per call, so a WAL that SQLite recreated is never missed.
 * fsync of any descriptor writes back all dirty pages of the file (Windows' FlushFileBuffers wants
 * write access, hence r+).
 */
export function walFsync(url: string): () => Promise<void> {
  const wal = `${sqliteFile(url)}-wal`;
  return async () => {
    const fh = await open(wal, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  };
}

export async function migrate(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

/**
 * The database chose this transaction as a deadlock victim and rolled ALL of it back (InnoDB does; there
 * is no savepoint left to return to). Nothing of it was committed, so running it again is safe.
 */
export function isDeadlock(err: unknown): boolean {
  const e = err as { code?: string; errno?: number };
  return e?.code === 'ER_LOCK_DEADLOCK' || e?.errno === 1213;
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string };
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'ER_DUP_ENTRY' || e?.errno === 1062 ||
    (typeof e?.message === 'string' && e.message.includes('UNIQUE constraint failed'));
}
