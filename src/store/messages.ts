/**
 * The message store: every inbound message, raw, before processing (what replay and trace read).
 */
import type { Knex } from 'knex';
import { markAnswered } from './bills';
import type { GroupCommit } from './group-commit';
import { insertRow } from './sql';

export type MessageStatus = 'received' | 'processing' | 'done' | 'failed' | 'rejected' | 'interrupted';

export interface MessageRow {
  id: string;
  received_at: number;
  channel: string;
  service_id: string;
  appid: string | null;
  bus_no: string | null;
  noise: string | null;
  raw: string;
  flow: string | null;
  flow_version: string | null;
  status: MessageStatus;
  attempts: number;
  error_code: string | null;
  error: string | null;
  response: string | null;
  trace: string | null;
  replay_of: string | null;
  updated_at: number;
}

export interface NewMessage {
  id: string;
  receivedAt: number;
  channel: string;
  serviceId: string;
  appid?: string;
  busNo?: string;
  noise?: string;
  raw: string;
  replayOf?: string;
}

export interface MessageOutcome {
  status: MessageStatus;
  flow?: string;
  flowVersion?: string;
  errorCode?: string;
  error?: string;
  response?: string;
  trace?: string;
  busNo?: string;
  /** a reservation this request held when it was answered with a failure (see markAnswered) */
  answeredReservation?: number;
}

export interface MessageQuery {
  ids?: string[];
  busNo?: string;
  status?: MessageStatus[];
  serviceId?: string;
  from?: number;
  to?: number;
  limit?: number;
}

export class MessageStore {
  constructor(
    private readonly db: Knex,
    private readonly writer: GroupCommit,
  ) {}

  /** Durable once the promise resolves. */
  insert(m: NewMessage): Promise<void> {
    return this.writer.run(async (tx) => {
      await insertRow(tx, 'messages', {
        id: m.id,
        received_at: m.receivedAt,
        channel: m.channel,
        service_id: m.serviceId.slice(0, 60),
        appid: m.appid?.slice(0, 64) ?? null,
        bus_no: m.busNo?.slice(0, 64) ?? null,
        noise: m.noise?.slice(0, 100) ?? null,
        raw: m.raw,
        status: 'received',
        attempts: 1,
        replay_of: m.replayOf ?? null,
        updated_at: m.receivedAt,
      });
    });
  }

  /** The outcome, committed before the answer leaves (an answer and its record never disagree). */
  finish(id: string, o: MessageOutcome): Promise<void> {
    return this.writer.run(async (tx) => {
      if (o.answeredReservation !== undefined && o.errorCode) await markAnswered(tx, o.answeredReservation, o.errorCode);
      const row: Record<string, unknown> = {
        status: o.status,
        flow: o.flow ?? null,
        flow_version: o.flowVersion ?? null,
        error_code: o.errorCode ?? null,
        error: o.error ?? null,
        response: o.response ?? null,
        trace: o.trace ?? null,
        updated_at: Date.now(),
      };
      if (o.busNo) row.bus_no = o.busNo.slice(0, 64);
      const cols = Object.keys(row);
      await tx.run(`UPDATE messages SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`, [...cols.map((c) => row[c]), id]);
    });
  }

  get(id: string): Promise<MessageRow | undefined> {
    return this.db<MessageRow>('messages').where({ id }).first();
  }

  async find(q: MessageQuery): Promise<MessageRow[]> {
    const query = this.db<MessageRow>('messages').select('*').orderBy('received_at', 'asc').orderBy('id', 'asc');
    if (q.ids?.length) query.whereIn('id', q.ids);
    if (q.busNo) query.where('bus_no', q.busNo);
    if (q.status?.length) query.whereIn('status', q.status);
    if (q.serviceId) query.where('service_id', q.serviceId);
    if (q.from !== undefined) query.where('received_at', '>=', q.from);
    if (q.to !== undefined) query.where('received_at', '<=', q.to);
    query.limit(q.limit ?? 1000);
    const rows = await query;
    return rows.map((r) => ({ ...r, received_at: Number(r.received_at), updated_at: Number(r.updated_at) }));
  }

  /** Messages left mid-flight by a crash: marked so replay and trace can tell them apart. */
  async markInterrupted(olderThanMs = 0): Promise<number> {
    return this.db('messages')
      .whereIn('status', ['received', 'processing'])
      .where('received_at', '<', Date.now() - olderThanMs)
      .update({ status: 'interrupted', updated_at: Date.now() });
  }
}
