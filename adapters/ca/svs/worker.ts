/**
 * Piscina worker of the signature server. The keys, access rules and trust roots arrive once in
 * workerData and stay in this thread; each task is one SOAP request (fast engine), one parsed call
 * (node-soap engine), one OCSP request or one CRL to sign.
 */
import { workerData } from 'node:worker_threads';
import { type CallOutcome, type EngineSettings, type HttpOutcome, SvsEngine } from './engine';

export type SvsTask =
  | { kind: 'soap'; body: string; contentType?: string; clientIp: string }
  | { kind: 'call'; op: string; fields: Record<string, string>; clientIp: string }
  | { kind: 'ocsp'; der: Uint8Array }
  | { kind: 'crl' }
  | { kind: 'warm' };

export type SvsTaskResult =
  | { kind: 'soap'; http: HttpOutcome }
  | { kind: 'call'; outcome: CallOutcome | null }
  | { kind: 'ocsp'; der: Uint8Array }
  | { kind: 'crl'; der: Uint8Array; nextUpdate: number }
  | { kind: 'warm'; keys: number };

const engine = new SvsEngine((workerData as { settings: EngineSettings }).settings);

export default async function run(task: SvsTask): Promise<SvsTaskResult> {
  switch (task.kind) {
    case 'soap':
      return { kind: 'soap', http: await engine.soap(task.body, task.contentType, task.clientIp) };
    case 'call': {
      const op = engine.operation(task.op);
      return { kind: 'call', outcome: op ? await engine.call(op, task.fields, task.clientIp) : null };
    }
    case 'ocsp': {
      if (!engine.demoCa) throw new Error('this signature server runs no demo CA');
      return { kind: 'ocsp', der: await engine.demoCa.ocsp(Buffer.from(task.der)) };
    }
    case 'warm':
      return { kind: 'warm', keys: engine.warm() };
    case 'crl': {
      if (!engine.demoCa) throw new Error('this signature server runs no demo CA');
      const c = engine.demoCa.crl();
      return { kind: 'crl', der: c.der, nextUpdate: c.nextUpdate.getTime() };
    }
  }
}
