/**
 * knex over SQLite (better-sqlite3, WAL) by default, or MySQL/MariaDB (mysql2) for production.
 *
 * SQLite runs with synchronous=NORMAL in WAL mode: a committed transaction is in the WAL file before
 * COMMIT returns, so it survives kill -9 of the process (only an OS crash/power loss could drop the
 * last commits; production runs MariaDB with its own durability settings).
 */
import { chmodSync, existsSync } from 'node:fs';
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

export function openDb(url: string): Db {
  if (dialectOf(url) === 'sqlite') {
    const file = url.slice('sqlite:'.length);
    if (file !== ':memory:') {
      // 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database file's mode.
      privateFile(file);
      for (const side of [`${file}-wal`, `${file}-shm`]) if (existsSync(side)) chmodSync(side, PRIVATE_FILE_MODE);
    }
    return knexFactory({
      client: CachedBetterSqlite3Client as unknown as typeof Knex.Client,
      connection: { filename: file },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          // Checkpoints are the only fsyncs in WAL/NORMAL; at ~12 KB a bill the default (every 4 MB)
          // stalled a commit every few hundred bills. 64 MB between checkpoints, WAL trimmed after.
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
