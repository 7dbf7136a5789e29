/**
 * The audit trail of the signature server: one row per private-key use (time, application, operation,
 * key index, SM3 of the data — never the data — return code, client address). A reply that used a
 * private key is sent only after its row is committed, so no signature leaves without its record.
 *
 * Rows of concurrent requests share one multi-row INSERT (group commit): while one batch commits the
 * next gathers, so the batch size follows the load and a busy server commits a few hundred rows at a time.
 * "Committed" means on disk: on SQLite each batch's WAL is fsynced off the event loop before its replies
 * go (walFsync, as medbill's own group commit does; db.ts), on MariaDB/MySQL COMMIT is.
 */
import { dialectOf, openDb, walFsync, type Db } from '../../../src/store/db';
import type { AuditFacts } from './engine';

export const AUDIT_TABLE = 'svs_audit';

export interface AuditRow {
  id: number;
  at: number;
  app_name: string;
  op: string;
  key_index: number | null;
  data_sm3: string | null;
  result: number;
  client_ip: string;
  ms: number;
}

interface Pending {
  row: AuditFacts;
  resolve(): void;
  reject(e: unknown): void;
}

const MAX_BATCH = 400;

export class AuditLog {
  private queue: Pending[] = [];
  private flushing = false;
  written = 0;

  private constructor(
    readonly db: Db,
    private readonly durable?: () => Promise<void>,
  ) {}

  static async open(url: string): Promise<AuditLog> {
    const fileDb = dialectOf(url) === 'sqlite' && url !== 'sqlite::memory:';
    const db = openDb(url, { walSyncedByCaller: fileDb });
    if (!(await db.schema.hasTable(AUDIT_TABLE))) {
      await db.schema.createTable(AUDIT_TABLE, (t) => {
        t.increments('id');
        t.bigInteger('at').notNullable().index();
        t.string('app_name', 64).notNullable();
        t.string('op', 40).notNullable();
        t.integer('key_index').nullable();
        t.string('data_sm3', 64).nullable();
        t.bigInteger('result').notNullable();
        t.string('client_ip', 64).notNullable();
        t.integer('ms').notNullable();
      });
    }
    return new AuditLog(db, fileDb ? walFsync(url) : undefined);
  }

  /** Resolves once the row is committed. */
  write(row: AuditFacts): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await this.db(AUDIT_TABLE).insert(
          batch.map(({ row: r }) => ({ at: r.at, app_name: r.appName, op: r.op, key_index: r.keyIndex, data_sm3: r.dataSm3, result: r.result, client_ip: r.clientIp, ms: r.ms })),
        );
        if (this.durable) await this.durable();
        this.written += batch.length;
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.flushing = false;
  }

  async rows(filter: Partial<Pick<AuditRow, 'app_name' | 'op'>> = {}): Promise<AuditRow[]> {
    return (await this.db(AUDIT_TABLE).where(filter).orderBy('id')) as AuditRow[];
  }

  async close(): Promise<void> {
    while (this.flushing || this.queue.length) await new Promise((r) => setTimeout(r, 2));
    await this.db.destroy();
  }
}
