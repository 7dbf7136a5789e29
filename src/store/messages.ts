/**
 * The message store: every inbound message, raw, before processing (what replay and trace read).
 */
import type { Knex } from 'knex';
import { markAnswered } from './bills';
import type { GroupCommit } from './group-commit';
import { insertRow } from './sql';

/** `replayed`: superseded by the message in replayed_by (a replay of this one), whatever it came to. */
export type MessageStatus = 'received' | 'processing' | 'done' | 'failed' | 'rejected' | 'interrupted' | 'replayed';

export const MESSAGE_STATUSES: readonly MessageStatus[] = ['received', 'processing', 'done', 'failed', 'rejected', 'interrupted', 'replayed'];

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
  replayed_by: string | null;
  /** the definition set the message was routed with (migration 018) */
  definitions_version: string | null;
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
  /** the version of the definition set this message is routed with */
  definitionsVersion?: string;
  /** the flow routed to, when known before it runs (recovery finds a content-routed message's flow by it) */
  flow?: string;
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

/**
 * Which result codes: error_code IN `in`, or NOT IN `notIn`; rows without a code (done, interrupted,
 * received) pass only when their status is in `noCode` ('any': every row without a code).
 */
export interface CodeFilter {
  in?: string[];
  notIn?: string[];
  noCode?: MessageStatus[] | 'any';
}

export interface MessageQuery {
  ids?: string[];
  busNo?: string;
  status?: MessageStatus[];
  serviceId?: string;
  from?: number;
  to?: number;
  codes?: CodeFilter;
  /** messages already replayed (replayed_by set): left out, or the only ones */
  replayed?: 'exclude' | 'only';
  limit?: number;
}

/** How far trace follows replay links (a chain longer than this is a loop of operators, not of data). */
const MAX_CHAIN = 200;

const numeric = (r: MessageRow): MessageRow => ({ ...r, received_at: Number(r.received_at), updated_at: Number(r.updated_at) });

export class MessageStore {
  constructor(
    private readonly db: Knex,
    private readonly writer: GroupCommit,
  ) {}

  /**
   * Durable once the promise resolves. A replay (replayOf) links its original in the same transaction:
   * the original becomes `replayed` with replayed_by = this message, so it leaves the failed pool the
   * moment its replay exists — and a replay that crashes is itself interrupted, not lost.
   */
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
        definitions_version: m.definitionsVersion || null,
        ...(m.flow ? { flow: m.flow } : {}),
        updated_at: m.receivedAt,
      });
      if (m.replayOf) await tx.run('UPDATE messages SET status = ?, replayed_by = ?, updated_at = ? WHERE id = ?', ['replayed', m.id, m.receivedAt, m.replayOf]);
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

  async get(id: string): Promise<MessageRow | undefined> {
    const r = (await this.db<MessageRow>('messages').where({ id }).first()) as MessageRow | undefined;
    return r && numeric(r);
  }

  async find(q: MessageQuery): Promise<MessageRow[]> {
    const rows = (await this.where(q).select('*').orderBy('received_at', 'asc').orderBy('id', 'asc').limit(q.limit ?? 1000)) as MessageRow[];
    return rows.map(numeric);
  }

  /** How many messages a query selects, by result code (null: no code), most frequent first. */
  async countByCode(q: Omit<MessageQuery, 'limit'>): Promise<{ code: string | null; n: number }[]> {
    const rows = (await this.where(q).select('error_code').count({ n: '*' }).groupBy('error_code')) as { error_code: string | null; n: number | string }[];
    return rows.map((r) => ({ code: r.error_code, n: Number(r.n) })).sort((a, b) => b.n - a.n || String(a.code).localeCompare(String(b.code)));
  }

  private where(q: MessageQuery): Knex.QueryBuilder {
    const query = this.db('messages');
    if (q.ids?.length) query.whereIn('id', q.ids);
    if (q.busNo) query.where('bus_no', q.busNo);
    if (q.status?.length) query.whereIn('status', q.status);
    if (q.serviceId) query.where('service_id', q.serviceId);
    if (q.from !== undefined) query.where('received_at', '>=', q.from);
    if (q.to !== undefined) query.where('received_at', '<=', q.to);
    if (q.replayed === 'exclude') query.whereNull('replayed_by');
    if (q.replayed === 'only') query.whereNotNull('replayed_by');
    const c = q.codes;
    if (c)
      query.where((w) => {
        w.where((coded) => {
          coded.whereNotNull('error_code');
          if (c.in) coded.whereIn('error_code', c.in);
          if (c.notIn?.length) coded.whereNotIn('error_code', c.notIn);
        });
        if (c.noCode === 'any') w.orWhereNull('error_code');
        else if (c.noCode?.length) w.orWhere((none) => none.whereNull('error_code').whereIn('status', c.noCode as MessageStatus[]));
      });
    return query;
  }

  /**
   * Every message linked to these by replays, both ways (the originals they replay, the replays of
   * them, and replays of those), the given ones included; in arrival order.
   */
  async chainOf(ids: string[]): Promise<MessageRow[]> {
    const found = new Map<string, MessageRow>();
    const expanded = new Set<string>();
    let frontier = [...new Set(ids)];
    for (let hop = 0; frontier.length && hop < MAX_CHAIN; hop++) {
      for (const id of frontier) expanded.add(id);
      const rows = (await this.db<MessageRow>('messages').select('*').whereIn('id', frontier).orWhereIn('replay_of', frontier)) as MessageRow[];
      const next = new Set<string>();
      for (const r of rows) {
        if (!found.has(r.id)) found.set(r.id, numeric(r));
        if (!expanded.has(r.id)) next.add(r.id);
        if (r.replay_of && !expanded.has(r.replay_of)) next.add(r.replay_of);
      }
      frontier = [...next];
    }
    return [...found.values()].sort((a, b) => a.received_at - b.received_at || a.id.localeCompare(b.id));
  }

  /** Messages left mid-flight by a crash: marked so replay and trace can tell them apart. */
  async markInterrupted(olderThanMs = 0): Promise<number> {
    return this.db('messages')
      .whereIn('status', ['received', 'processing'])
      .where('received_at', '<', Date.now() - olderThanMs)
      .update({ status: 'interrupted', updated_at: Date.now() });
  }
}
