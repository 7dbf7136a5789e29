/**
 * The store alone (migrated), for commands that only read or list what a server wrote: no worker
 * threads, no signing key, no recovery — `medbill trace` must work at 3 a.m. without the key's passphrase.
 * Its own module, away from src/app.ts, so those commands load the store and not the whole server.
 */
import type { Config } from '../config';
import { configureLogging } from '../log';
import { Db, dialectOf, migrate, openDb } from './db';
import { GroupCommit } from './group-commit';
import { MessageStore } from './messages';
import { PaperStore } from './paper';
import { SqlDb } from './sql';
import { StockStore } from './stock';

export async function openStore(cfg: Config): Promise<{ db: Db; sql: SqlDb; writer: GroupCommit; messages: MessageStore; stock: StockStore; paper: PaperStore; close(): Promise<void> }> {
  configureLogging({ ...cfg.log, stdout: false });
  const db = openDb(cfg.db.url, { sqliteSynchronous: cfg.db.sqliteSynchronous });
  await migrate(db);
  const sql = new SqlDb(db, dialectOf(cfg.db.url));
  const writer = new GroupCommit(sql, cfg.db.groupCommitMaxBatch);
  const stock = new StockStore(db, writer, sql, cfg.stock.lowThreshold);
  return { db, sql, writer, messages: new MessageStore(db, writer), stock, paper: new PaperStore(db, writer, sql, stock), close: () => db.destroy() };
}
