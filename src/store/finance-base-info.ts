/** Base information downloaded from finance (migration 016): each version once, the newest is current. */
import type { Knex } from 'knex';
import { isUniqueViolation } from './db';

/** The set as finance sent it; its shape is the engine's (src/engine/finance.ts), the store keeps JSON. */
export interface BaseInfoSet {
  version: string;
  chargeItems: unknown[];
}

export interface StoredBaseInfo<T extends BaseInfoSet = BaseInfoSet> {
  version: string;
  fetchedAt: number;
  info: T;
}

export class BaseInfoStore {
  constructor(private readonly db: Knex) {}

  /** Stores a set unless that version is held; `stored` says whether it was new. */
  async save(info: BaseInfoSet, now = Date.now()): Promise<{ stored: boolean }> {
    const held = await this.db('finance_base_info').where({ version: info.version }).first('id');
    if (held) return { stored: false };
    try {
      await this.db('finance_base_info').insert({ version: info.version, info: JSON.stringify(info), charge_items: info.chargeItems.length, fetched_at: now });
      return { stored: true };
    } catch (e) {
      // Two syncs at once (the schedule and the command): one row wins, both are done.
      if (isUniqueViolation(e)) return { stored: false };
      throw e;
    }
  }

  /** The version held now (cheap: what a running server polls to see a sync made by the CLI). */
  async currentVersion(): Promise<string | undefined> {
    const r = await this.db('finance_base_info').orderBy('id', 'desc').first('version');
    return r?.version;
  }

  async current<T extends BaseInfoSet>(): Promise<StoredBaseInfo<T> | undefined> {
    const r = await this.db('finance_base_info').orderBy('id', 'desc').first('version', 'info', 'fetched_at');
    if (!r) return undefined;
    return { version: r.version, fetchedAt: Number(r.fetched_at), info: JSON.parse(r.info) as T };
  }
}
