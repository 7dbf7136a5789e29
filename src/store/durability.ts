/**
 * Is a commit on disk when medbill answers on it? An S0000 is sent once the group commit says its
 * batch is committed (inbound.ts, group-commit.ts): on MariaDB/MySQL once COMMIT returns, on SQLite
 * once COMMIT or the group commit's own WAL fsync has synced it. That is what an acknowledged bill
 * rests on — and a power cut that drops
 * acknowledged commits also rolls the number pointer back, so the next start reissues numbers the HIS
 * and finance already hold. This reads the settings that decide it from the database itself (not from
 * our config: a DBA may have changed the server) and says which are unsafe; the caller decides what an
 * unsafe one means (production refuses to start, demo warns).
 */
import type { Dialect } from './db';
import type { SqlDb } from './sql';

export interface DurabilitySetting {
  /** the variable or pragma, as an operator would type it */
  name: string;
  /** what the database reported ('unreadable' when it could not be read) */
  value: string;
  /** the value to set when this one is unsafe */
  safe: string;
  ok: boolean;
  /** why the value is (un)safe, in one line */
  why: string;
}

export interface DurabilityReport {
  dialect: Dialect;
  settings: DurabilitySetting[];
}

export const unsafeSettings = (r: DurabilityReport): DurabilitySetting[] => r.settings.filter((s) => !s.ok);

/** One line per unsafe setting: the variable, its value, why, and what to set instead. */
export function describeUnsafe(r: DurabilityReport): string[] {
  return unsafeSettings(r).map((s) =>
    r.dialect === 'sqlite'
      ? `SQLite ${s.name} is ${s.value}: ${s.why}; set db.sqliteSynchronous: full`
      : `${s.name} = ${s.value}: ${s.why}; set ${s.name} = ${s.safe} in the server's configuration ([mysqld]) and SET GLOBAL ${s.name} = ${s.safe} to apply it now`,
  );
}

/** What MariaDB/MySQL reported; null = the variable could not be read. */
export interface MysqlDurabilityVars {
  innodbFlushLogAtTrxCommit: number | null;
  syncBinlog: number | null;
  logBin: boolean | null;
}

const SQLITE_SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/**
 * SQLite: `PRAGMA synchronous` as a number (0 OFF … 3 EXTRA). FULL and EXTRA fsync the WAL in every
 * COMMIT; NORMAL is safe only when the group commit fsyncs the WAL before its units resolve.
 */
export function judgeSqlite(synchronous: number | null, walSyncedByWriter = false): DurabilitySetting[] {
  const value = synchronous === null ? 'unreadable' : (SQLITE_SYNCHRONOUS[synchronous] ?? String(synchronous));
  const byWriter = synchronous === 1 && walSyncedByWriter;
  const ok = byWriter || (synchronous !== null && synchronous >= 2);
  return [
    {
      name: 'synchronous (db.sqliteSynchronous)',
      value: byWriter ? `${value}, WAL fsynced by the group commit` : value,
      safe: 'FULL',
      ok,
      why: byWriter
        ? 'the group commit fsyncs the WAL after each transaction, before any answer'
        : ok
          ? 'the WAL is fsynced before COMMIT returns'
          : 'the WAL is fsynced only at checkpoints: a power cut loses the commits since the last one',
    },
  ];
}

/**
 * MariaDB/MySQL. innodb_flush_log_at_trx_commit 1 (and MariaDB's 3) flush the redo log at every commit;
 * 0 and 2 flush it once a second. With the binary log on, a commit is two-phase and crash recovery rolls
 * back a prepared transaction whose binlog event is missing — so the binlog must be synced at every
 * commit too (sync_binlog = 1); with the binary log off sync_binlog does not matter.
 */
export function judgeMysql(v: MysqlDurabilityVars): DurabilitySetting[] {
  const flush = v.innodbFlushLogAtTrxCommit;
  const flushOk = flush === 1 || flush === 3;
  const out: DurabilitySetting[] = [
    {
      name: 'innodb_flush_log_at_trx_commit',
      value: flush === null ? 'unreadable' : String(flush),
      safe: '1',
      ok: flushOk,
      why: flushOk ? 'the redo log is flushed at every commit' : flush === null ? 'could not be read, so durability is unknown' : 'the redo log is flushed once a second: a power cut loses up to a second of acknowledged commits',
    },
  ];
  const binlogOn = v.logBin;
  const syncOk = binlogOn === false || v.syncBinlog === 1;
  out.push({
    name: 'sync_binlog',
    value: v.syncBinlog === null ? 'unreadable' : String(v.syncBinlog),
    safe: '1',
    ok: syncOk,
    why:
      binlogOn === false
        ? 'the binary log is off (log_bin = OFF)'
        : syncOk
          ? 'the binary log is synced at every commit'
          : binlogOn === null
            ? 'log_bin could not be read, so whether the binary log must be synced is unknown'
            : 'the binary log is on and not synced at every commit: crash recovery rolls back commits whose binlog event a power cut lost',
  });
  return out;
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v));

/**
 * Reads the durability settings of the database behind `sql` (any user may read them).
 * `walSyncedByWriter`: this process's group commit fsyncs the SQLite WAL itself (db.ts walFsync).
 */
export async function readDurability(sql: SqlDb, o: { walSyncedByWriter?: boolean } = {}): Promise<DurabilityReport> {
  if (sql.dialect === 'sqlite') {
    const row = await sql.get<{ synchronous: number }>('PRAGMA synchronous');
    return { dialect: 'sqlite', settings: judgeSqlite(num(row?.synchronous), o.walSyncedByWriter) };
  }
  return { dialect: 'mysql', settings: judgeMysql(await readMysqlVars(sql)) };
}

async function readMysqlVars(sql: SqlDb): Promise<MysqlDurabilityVars> {
  // One variable per query: a server without one of them (a MySQL-compatible proxy, say) still reports the others.
  const read = async (name: string): Promise<unknown> => {
    try {
      return (await sql.get<{ v: unknown }>(`SELECT @@GLOBAL.${name} AS v`))?.v;
    } catch {
      return null;
    }
  };
  const logBin = num(await read('log_bin'));
  return {
    innodbFlushLogAtTrxCommit: num(await read('innodb_flush_log_at_trx_commit')),
    syncBinlog: num(await read('sync_binlog')),
    logBin: logBin === null ? null : logBin !== 0,
  };
}
