/**
 * Group commit (a durable commit per request would cap throughput at the disk's sync rate): concurrent requests share one transaction. Work submitted while a commit
 * is in flight waits for the next one, so the batch size follows the load without any fixed delay.
 * Each unit of work runs in its own savepoint, so one failing unit (a unique violation, say) rolls
 * back alone and its caller gets the error while the rest of the batch commits.
 * A unit's promise resolves only after COMMIT returns and, when the store makes commits durable itself
 * (`durable`: SQLite's WAL fsync, see db.ts), after that fsync too: callers may then say "done" to the
 * outside. Every answer medbill gives waits for its own message outcome here (inbound.ts), so it also
 * waits for an fsync that began after everything the request wrote or read was committed.
 */
import { isDeadlock } from './db';
import type { SqlDb, SqlTx } from './sql';

/** How often a batch chosen as deadlock victim is run again before its callers get the error. */
const DEADLOCK_ATTEMPTS = 5;

type Work<T> = (tx: SqlTx) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private flushing = false;
  batches = 0;
  units = 0;
  deadlockRetries = 0;

  constructor(
    private readonly sql: SqlDb,
    private readonly maxBatch = 256,
    /** makes the committed batch durable before its units resolve (undefined: COMMIT already is) */
    private readonly durable?: () => Promise<void>,
  ) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work: work as Work<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      for (let attempt = 1; ; attempt++) {
        const results: { ok: boolean; value: unknown }[] = [];
        try {
          await this.sql.transaction(async (tx) => {
            const alone = batch.length === 1;
            for (const p of batch) {
              if (alone) {
                results.push({ ok: true, value: await p.work(tx) });
                continue;
              }
              await tx.run('SAVEPOINT unit');
              try {
                const value = await p.work(tx);
                await tx.run('RELEASE SAVEPOINT unit');
                results.push({ ok: true, value });
              } catch (e) {
                // A deadlock victim has lost the whole transaction, not just this unit: no savepoint is left.
                if (isDeadlock(e)) throw e;
                await tx.run('ROLLBACK TO SAVEPOINT unit');
                await tx.run('RELEASE SAVEPOINT unit');
                results.push({ ok: false, value: e });
              }
            }
          });
          // Requests arriving while this fsync runs queue up for the next batch: one fsync per batch.
          // If it fails the batch was committed but may not be on disk: nobody is told "done".
          if (this.durable) await this.durable();
          this.batches++;
          this.units += batch.length;
          batch.forEach((p, i) => (results[i].ok ? p.resolve(results[i].value) : p.reject(results[i].value)));
        } catch (e) {
          // Nothing of the batch was committed and the other transaction has gone ahead: run it again
          // rather than fail every request in it (two nodes on one MariaDB do deadlock now and then).
          if (isDeadlock(e) && attempt < DEADLOCK_ATTEMPTS) {
            this.deadlockRetries++;
            continue;
          }
          batch.forEach((p, i) => (results[i] && !results[i].ok ? p.reject(results[i].value) : p.reject(e)));
        }
        break;
      }
    }
    this.flushing = false;
  }

  /** Resolves once everything queued so far has been committed or failed. */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.length) await new Promise((r) => setTimeout(r, 5));
  }
}
