/**
 * The HIS side of the crash campaign: concurrent issuers that behave as a correct HIS does. Each takes
 * a fresh busNo, sends invoiceEBillOutpatient and, on anything but S0000 — an error code or no answer
 * at all (the node died) — asks getEBillByBusNo and sends the same busNo again until it is issued.
 * Every S0000 received is an acknowledgement: the HIS now holds that number and random, and so will
 * finance; the ledger walk checks each one against the database.
 */
import http from 'node:http';
import { HIS_CODES, type HisCode } from '../../src/engine/codes';
import { post, signedBody, type Answer } from '../his-client';
import { outpatientSettlement } from '../settlement';

export interface Ack {
  busNo: string;
  billBatchCode: string;
  billNo: string;
  random: string;
  /** which call gave it: the issue itself or the query after a failure */
  via: 'issue' | 'query';
}

export interface IssuerStats {
  requests: number;
  /** no answer: the connection was refused (node down) */
  refusedConnections: number;
  /** no answer: the request was in flight when its node died (reset, hang-up, truncated reply) */
  cutInFlight: number;
  /** non-S0000 answers by code, issue and query together */
  codes: Record<string, number>;
  /** busNos refused with a "do not retry" code (a campaign bug or a medbill bug: must stay 0) */
  refused: Map<string, string>;
  /** every acknowledgement received, in order (a busNo may be acknowledged more than once) */
  acks: Ack[];
  /** busNos taken, in order */
  started: string[];
  /** busNos that ended with an acknowledgement */
  finished: Set<string>;
}

export interface IssuerOptions {
  issuers: number;
  /** the ports of the medbill nodes (one for SQLite, two for MariaDB) */
  ports: number[];
  runId: string;
  /** pause after a failed attempt, ms (random in [min, max]) */
  backoff: [number, number];
  random: () => number;
}

const BUS_DATE_TIME = '20261125093015123';

/** Runs the issuers until `stop()` is called; each then finishes the busNo in hand. */
export function startIssuers(o: IssuerOptions): { stats: IssuerStats; stop(): Promise<void> } {
  const stats: IssuerStats = { requests: 0, refusedConnections: 0, cutInFlight: 0, codes: {}, refused: new Map(), acks: [], started: [], finished: new Set() };
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.issuers * 2 });
  let accepting = true;
  let seq = 0;
  const pause = () => new Promise((r) => setTimeout(r, o.backoff[0] + o.random() * (o.backoff[1] - o.backoff[0])));

  const call = async (port: number, serviceId: string, data: unknown): Promise<Answer> => {
    stats.requests++;
    const a = await post(agent, port, serviceId, signedBody(data));
    if (a.kind === 'noAnswer') {
      if (a.error.includes('ECONNREFUSED')) stats.refusedConnections++;
      else stats.cutInFlight++;
    }
    else if (a.result !== 'S0000') stats.codes[a.result] = (stats.codes[a.result] ?? 0) + 1;
    return a;
  };

  const ack = (busNo: string, text: string, via: Ack['via']) => {
    const b = JSON.parse(text) as { billBatchCode: string; billNo: string; random: string };
    stats.acks.push({ busNo, billBatchCode: b.billBatchCode, billNo: b.billNo, random: b.random, via });
    stats.finished.add(busNo);
  };

  /** One busNo, to the end: issued (acknowledged) or refused for good. */
  async function issue(issuer: number, busNo: string, i: number): Promise<void> {
    const settlement = outpatientSettlement(busNo, i);
    let node = issuer % o.ports.length;
    for (;;) {
      const a = await call(o.ports[node], 'invoiceEBillOutpatient', settlement);
      if (a.kind === 'answer' && a.result === 'S0000') return ack(busNo, a.text, 'issue');
      if (a.kind === 'answer' && HIS_CODES[a.result as HisCode]?.retry === 'no') {
        stats.refused.set(busNo, `${a.result} ${a.text}`);
        return;
      }
      // No answer: that node is down (or died mid-request); a HIS with two nodes fails over.
      if (a.kind === 'noAnswer') {
        node = (node + 1) % o.ports.length;
        await pause();
      }
      const q = await call(o.ports[node], 'getEBillByBusNo', { busNo, busDateTime: BUS_DATE_TIME });
      if (q.kind === 'answer' && q.result === 'S0000') return ack(busNo, q.text, 'query');
      if (q.kind === 'noAnswer') node = (node + 1) % o.ports.length;
      if (a.kind === 'answer' || q.kind === 'noAnswer') await pause();
    }
  }

  const workers = Array.from({ length: o.issuers }, async (_, issuer) => {
    while (accepting) {
      const i = seq++;
      const busNo = `C${o.runId}-${issuer}-${i}`;
      stats.started.push(busNo);
      await issue(issuer, busNo, i);
    }
  });

  return {
    stats,
    async stop() {
      accepting = false;
      await Promise.all(workers);
      agent.destroy();
    },
  };
}
