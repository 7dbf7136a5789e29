/**
 * Notice jobs and what the recording channel delivered. sendBillNotice enqueues one outbox job per
 * notice (topic bill-notice) in one transaction: accepted means durable, delivered later and retried.
 * notice_deliveries (migration 013) is the recording channel's log — the rendered text and the masked
 * address, once per job (a retried job records once).
 */
import type { Knex } from 'knex';
import type { GroupCommit } from './group-commit';
import { insertJob, type OutboxJob } from './bills';
import { isUniqueViolation } from './db';

export interface NoticeDelivery {
  bill_id: number;
  notice_type: string;
  channel: string;
  address_masked: string;
  rendered: string;
  job_key: string;
  created_at: number;
}

export class NoticeStore {
  constructor(
    private readonly db: Knex,
    private readonly writer: GroupCommit,
  ) {}

  enqueue(jobs: OutboxJob[]): Promise<void> {
    return this.writer.run(async (tx) => {
      const now = Date.now();
      for (const j of jobs) await insertJob(tx, j, now);
    });
  }

  /** Records one delivery; a second record of the same job (a retry after a crash) is a no-op. */
  async record(d: Omit<NoticeDelivery, 'created_at'>): Promise<void> {
    try {
      await this.db('notice_deliveries').insert({ ...d, created_at: Date.now() });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
    }
  }

  deliveries(billId: number): Promise<NoticeDelivery[]> {
    return this.db<NoticeDelivery>('notice_deliveries').where({ bill_id: billId }).orderBy('id');
  }
}
