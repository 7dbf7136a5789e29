/**
 * knex over SQLite (better-sqlite3, WAL) by default, or MySQL/MariaDB (mysql2) for production.
 *
 * An S0000 promises the HIS a bill and a number; both must survive a power cut, not only kill -9.
 * SQLite therefore runs WAL with synchronous=FULL by default: COMMIT returns after the WAL is fsynced.
 * The group commit (group-commit.ts) puts a whole batch of requests in one transaction, so one fsync
 * covers the batch. synchronous=NORMAL (db.sqliteSynchronous: normal) fsyncs only at checkpoints — a
 * power cut then loses every commit since the last one and rolls the number pointer back; production
 * mode refuses it (config.ts), and durability.ts reads back what the database really does.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';
import { migrationSource } from './migrations';
import { CachedBetterSqlite3Client } from './sqlite-client';

export type Db = Knex;
export type Dialect = 'sqlite' | 'mysql';

export function dialectOf(url: string): Dialect {
  if (url.startsWith('sqlite:')) return 'sqlite';
  if (url.startsWith('mysql:') || url.startsWith('mariadb:')) return 'mysql';
  throw new Error(`unsupported database URL '${url.replace(/\/\/[^@]*@/, '//***@')}' (use sqlite:<file> or mysql://…)`);
}

/** SQLite's synchronous pragma as configured (db.sqliteSynchronous): full by default, normal for stand-ins. */
export type SqliteSynchronous = 'full' | 'normal';

export interface OpenOptions {
  sqliteSynchronous?: SqliteSynchronous;
}

export function openDb(url: string, opts: OpenOptions = {}): Db {
  const synchronous = opts.sqliteSynchronous ?? 'full';
  if (synchronous !== 'full' && synchronous !== 'normal') throw new Error(`db.sqliteSynchronous must be full or normal, not '${String(synchronous)}'`);
  if (dialectOf(url) === 'sqlite') {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    return knexFactory({
      client: CachedBetterSqlite3Client as unknown as typeof Knex.Client,
      connection: { filename: file },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('journal_mode = WAL');
          conn.pragma(`synchronous = ${synchronous.toUpperCase()}`);
          // Under FULL each COMMIT fsyncs the WAL (one fsync per group-commit batch). A checkpoint copies
          // the WAL into the database file and fsyncs that too, inside the COMMIT that crosses the
          // threshold (the event loop waits): at ~12 KB a bill the default (every 4 MB) stalled a commit
          // every few hundred bills, so 64 MB between checkpoints. After a checkpoint the WAL is reused
          // from its start; journal_size_limit trims it back to 64 MB if a long read let it grow past.
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
