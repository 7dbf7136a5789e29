/** (channel, serviceId) → flow. One generated table; `medbill flows` prints it. */
import type { Flow } from './flow-loader';
import type { Problems } from './lint';

export class Router {
  private readonly byService = new Map<string, Flow>();
  /** the version of the definition set this table was built from (definitionsVersion); '' when not from files */
  version = '';

  /** Two flows for one service are a lint problem (FLOW_DUPLICATE_SERVICE); the first one wins. */
  constructor(
    readonly flows: Flow[],
    problems?: Problems,
    /** older serviceIds (catalogue `aliasOf`) → the serviceId whose flow serves them */
    aliases: ReadonlyMap<string, string> = new Map(),
  ) {
    for (const f of flows) {
      if (!f.trigger.service) continue;
      const key = `${f.trigger.channel ?? 'his'}:${f.trigger.service}`;
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

  /** Every HIS channel (JSON, SOAP, HL7-derived) shares the `his` flows: one path per service. */
  route(serviceId: string, channel = 'his'): Flow | undefined {
    return this.byService.get(`${channel}:${serviceId}`);
  }

  table(): { channel: string; service: string; flow: string; file: string; version: string }[] {
    return [...this.byService.entries()].map(([k, f]) => {
      const [channel, service] = k.split(':');
      return { channel, service, flow: f.name, file: f.file, version: f.version };
    });
  }
}
