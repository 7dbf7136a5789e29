/**
 * Per-flow enable/disable (Mirth's deploy/undeploy), kept in the database so a switch holds across
 * restarts and every node on the database obeys it. Each node holds the disabled set in memory (the
 * message path never waits on a query) and rereads it every `definitions.switchPoll`; the node that
 * set a switch rereads at once.
 */
import type { Knex } from 'knex';
import { log } from '../log';

export interface FlowSwitch {
  flow: string;
  enabled: boolean;
  reason?: string;
  changedBy?: string;
  changedAt: number;
}

interface Row {
  flow: string;
  enabled: number | boolean;
  reason: string | null;
  changed_by: string | null;
  changed_at: number | string;
}

export class FlowSwitchStore {
  private disabledNow = new Map<string, FlowSwitch>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly db: Knex) {}

  async list(): Promise<FlowSwitch[]> {
    const rows = (await this.db<Row>('flow_switches').select('*').orderBy('flow')) as Row[];
    return rows.map((r) => ({ flow: r.flow, enabled: Boolean(r.enabled), reason: r.reason ?? undefined, changedBy: r.changed_by ?? undefined, changedAt: Number(r.changed_at) }));
  }

  /** Sets a flow's switch (a row per flow; the last word wins) and rereads the set of this node. */
  async set(flow: string, enabled: boolean, o: { reason?: string; by?: string } = {}): Promise<FlowSwitch> {
    const row = { flow: flow.slice(0, 100), enabled, reason: o.reason?.slice(0, 200) ?? null, changed_by: o.by?.slice(0, 64) ?? null, changed_at: Date.now() };
    await this.db('flow_switches').insert(row).onConflict('flow').merge();
    await this.refresh();
    return { flow: row.flow, enabled, reason: row.reason ?? undefined, changedBy: row.changed_by ?? undefined, changedAt: row.changed_at };
  }

  /** Rereads the switches; on a database error the last known set stays (and the error is logged). */
  async refresh(): Promise<void> {
    try {
      this.disabledNow = new Map((await this.list()).filter((s) => !s.enabled).map((s) => [s.flow, s]));
    } catch (e) {
      log().error('flow switches not reread (the last known set stays)', { error: (e as Error).message });
    }
  }

  /** The switch that disabled this flow, or undefined when it is enabled (no database round trip). */
  disabled(flow: string): FlowSwitch | undefined {
    return this.disabledNow.get(flow);
  }

  disabledFlows(): FlowSwitch[] {
    return [...this.disabledNow.values()];
  }

  start(pollMs: number): void {
    this.timer = setInterval(() => void this.refresh(), pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
