/** (channel, serviceId) → flow. One generated table; `medbill flows` prints it. */
import type { Flow } from './flow-loader';

export class Router {
  private readonly byService = new Map<string, Flow>();

  constructor(readonly flows: Flow[]) {
    for (const f of flows) {
      if (!f.trigger.service) continue;
      const key = `${f.trigger.channel ?? 'his'}:${f.trigger.service}`;
      const dup = this.byService.get(key);
      if (dup) throw new Error(`${f.file}: service ${f.trigger.service} is already handled by ${dup.file}`);
      this.byService.set(key, f);
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
