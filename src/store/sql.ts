/**
 * Plain SQL on a connection borrowed from knex's pool, for the few statements on the issuance hot path.
 * knex costs ~0.15 ms of builder/runner work per query (measured 10× the statement itself on SQLite);
 * a bill takes ~10 statements, so the hot path writes SQL that both SQLite and MariaDB accept and runs
 * it here: on SQLite synchronously through cached prepared statements, on MySQL through mysql2's
 * prepared `execute`. Borrowing from knex's pool keeps one writer on SQLite and shares MySQL's pool.
 */
import type { Knex } from 'knex';
import type { Database } from 'better-sqlite3';
import { prepareCached } from './sqlite-client';
import type { Dialect } from './db';

export interface RunResult {
  changes: number;
  lastId: number;
}

export interface SqlTx {
  readonly dialect: Dialect;
  /** " FOR UPDATE" on MySQL, "" on SQLite (whose writer lock already serialises) */
  readonly forUpdate: string;
  get<T>(sql: string, params?: unknown[]): Promise<T | undefined>;
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<RunResult>;
}

interface MysqlConnection {
  execute(sql: string, params: unknown[], cb: (err: Error | null, rows: unknown) => void): void;
  query(sql: string, cb: (err: Error | null, rows: unknown) => void): void;
}

const norm = (params?: unknown[]): unknown[] => (params ?? []).map((p) => (p === undefined ? null : typeof p === 'boolean' ? Number(p) : p));

function sqliteTx(conn: Database): SqlTx {
  return {
    dialect: 'sqlite',
    forUpdate: '',
    async get<T>(sql: string, params?: unknown[]) {
      return prepareCached(conn, sql).get(norm(params)) as T | undefined;
    },
    async all<T>(sql: string, params?: unknown[]) {
      return prepareCached(conn, sql).all(norm(params)) as T[];
    },
    async run(sql: string, params?: unknown[]) {
      const r = prepareCached(conn, sql).run(norm(params));
      return { changes: r.changes, lastId: Number(r.lastInsertRowid) };
    },
  };
}

function mysqlTx(conn: MysqlConnection): SqlTx {
  const exec = (sql: string, params?: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const p = norm(params);
      // Transaction control statements cannot be prepared.
      if (!p.length && /^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/i.test(sql)) conn.query(sql, (e, r) => (e ? reject(e) : resolve(r)));
      else conn.execute(sql, p, (e, r) => (e ? reject(e) : resolve(r)));
    });
  return {
    dialect: 'mysql',
    forUpdate: ' FOR UPDATE',
    async get<T>(sql: string, params?: unknown[]) {
      return ((await exec(sql, params)) as T[])[0];
    },
    async all<T>(sql: string, params?: unknown[]) {
      return (await exec(sql, params)) as T[];
    },
    async run(sql: string, params?: unknown[]) {
      const r = (await exec(sql, params)) as { affectedRows: number; insertId: number };
      return { changes: r.affectedRows, lastId: Number(r.insertId) };
    },
  };
}

export class SqlDb {
  constructor(
    private readonly knex: Knex,
    readonly dialect: Dialect,
  ) {}

  /** Borrows one pooled connection for `fn` (knex's own queries wait meanwhile on SQLite's single connection). */
  async withConnection<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    const client = this.knex.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<void> };
    const conn = await client.acquireConnection();
    try {
      return await fn(this.dialect === 'sqlite' ? sqliteTx(conn as Database) : mysqlTx(conn as MysqlConnection));
    } finally {
      await client.releaseConnection(conn);
    }
  }

  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    return this.withConnection(async (tx) => {
      await tx.run(this.dialect === 'sqlite' ? 'BEGIN IMMEDIATE' : 'BEGIN');
      try {
        const out = await fn(tx);
        await tx.run('COMMIT');
        return out;
      } catch (e) {
        await tx.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  get<T>(sql: string, params?: unknown[]): Promise<T | undefined> {
    return this.withConnection((tx) => tx.get<T>(sql, params));
  }
}

/** INSERT of a plain row through SqlTx (column names from the object's keys, fixed per call site). */
export function insertRow(tx: SqlTx, table: string, row: Record<string, unknown>): Promise<{ changes: number; lastId: number }> {
  const cols = Object.keys(row);
  return tx.run(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => row[c]));
}
