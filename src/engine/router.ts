/** (channel, serviceId) → flow. One generated table; `medbill flows` prints it. */
import type { Flow } from './flow-loader';
import type { Problems } from './lint';

type Facts = (ref: string) => string | undefined;

export class Router {
  private readonly byService = new Map<string, Flow>();
  /** the version of the definition set this table was built from (definitionsVersion); '' when not from files */
  version = '';
  /** flows that also match on the message's field values (HL7 `trigger.match`), in file order, per channel:service */
  private readonly byMatch = new Map<string, Flow[]>();
  private readonly byName = new Map<string, Flow>();

  /** Two flows for one service (and one match) are a lint problem (FLOW_DUPLICATE_SERVICE); the first one wins. */
  constructor(
    readonly flows: Flow[],
    problems?: Problems,
    /** older serviceIds (catalogue `aliasOf`) → the serviceId whose flow serves them */
    aliases: ReadonlyMap<string, string> = new Map(),
  ) {
    const matchKeys = new Map<string, Flow>();
    for (const f of flows) {
      if (!this.byName.has(f.name)) this.byName.set(f.name, f);
      if (!f.trigger.service) continue;
      const key = `${f.trigger.channel ?? 'his'}:${f.trigger.service}`;
      if (f.trigger.match) {
        const full = `${key}${matchText(f.trigger.match)}`;
        const dup = matchKeys.get(full);
        if (dup) {
          problems?.add({ file: f.file, line: 1, col: 1 }, 'FLOW_DUPLICATE_SERVICE', 'trigger.match', { service: f.trigger.service + matchText(f.trigger.match), other: dup.file });
          continue;
        }
        matchKeys.set(full, f);
        const list = this.byMatch.get(key) ?? [];
        list.push(f);
        this.byMatch.set(key, list);
        continue;
      }
      const dup = this.byService.get(key);
      if (dup) {
        problems?.add({ file: f.file, line: 1, col: 1 }, 'FLOW_DUPLICATE_SERVICE', 'trigger.service', { service: f.trigger.service, other: dup.file });
        continue;
      }
      this.byService.set(key, f);
    }
    for (const [alias, target] of aliases)
      for (const [key, f] of [...this.byService]) {
        const [channel, service] = key.split(':');
        if (service === target && !this.byService.has(`${channel}:${alias}`)) this.byService.set(`${channel}:${alias}`, f);
      }
  }

  /**
   * Every HIS channel (JSON, SOAP) shares the `his` flows: one path per service. HL7 and hospital-XML
   * flows have their own channel; of those that match on field values, the first whose every value
   * equals the message's wins, then the one without a match.
   */
  route(serviceId: string, channel = 'his', facts?: Facts): Flow | undefined {
    const key = `${channel}:${serviceId}`;
    const candidates = this.byMatch.get(key);
    if (candidates && facts) for (const f of candidates) if (Object.entries(f.trigger.match!).every(([ref, want]) => facts(ref) === want)) return f;
    return this.byService.get(key);
  }

  /** The field references the flows of this channel and service match on (what a refusal shows). */
  matchRefs(channel: string, serviceId: string): string[] {
    return [...new Set((this.byMatch.get(`${channel}:${serviceId}`) ?? []).flatMap((f) => Object.keys(f.trigger.match!)))];
  }

  flow(name: string): Flow | undefined {
    return this.byName.get(name);
  }

  table(): { channel: string; service: string; flow: string; file: string; version: string }[] {
    const rows = [...this.byService.entries()].map(([k, f]) => {
      const [channel, service] = k.split(':');
      return { channel, service, flow: f.name, file: f.file, version: f.version };
    });
    for (const [k, list] of this.byMatch) {
      const [channel, service] = k.split(':');
      for (const f of list) rows.push({ channel, service: service + matchText(f.trigger.match!), flow: f.name, file: f.file, version: f.version });
    }
    return rows;
  }
}

/** `[PV1-2=O,FT1-6=CG]`: a match as `medbill flows` shows it. */
export function matchText(match: Record<string, string>): string {
  return `[${Object.entries(match)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}]`;
}
