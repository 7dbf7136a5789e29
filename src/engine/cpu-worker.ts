/**
 * Worker thread for CPU-bound per-bill work (SM2 signing, QR PNG), so the event loop never blocks on
 * it (a piscina pool). Signing keys arrive once in workerData and stay in the worker.
 */
import { workerData } from 'node:worker_threads';
import { createDetachedSigner } from '../crypto';
import { qrPng } from '../domain/qr-png';

export interface WorkerKey {
  id: string;
  privateKey: string;
  publicKey: string;
  certDer: string; // base64
  userId?: string;
}

export type CpuTask =
  | { op: 'signP7Detached'; keyId: string; content: string }
  | { op: 'qrPng'; text: string }
  | { op: 'issue'; keyId: string; content: string; qrText: string };

export interface CpuResult {
  signature?: string; // base64 DER
  qrPng?: string; // base64 PNG
}

const keys = new Map<string, (data: Uint8Array) => Buffer>();
for (const k of ((workerData as { keys?: WorkerKey[] } | undefined)?.keys ?? [])) {
  keys.set(
    k.id,
    createDetachedSigner({
      privateKey: { kind: 'sm2', privateKey: k.privateKey, publicKey: k.publicKey },
      certDer: Buffer.from(k.certDer, 'base64'),
      userId: k.userId,
    }),
  );
}

function signer(keyId: string): (data: Uint8Array) => Buffer {
  const s = keys.get(keyId);
  if (!s) throw new Error(`signing key '${keyId}' is not loaded in the worker`);
  return s;
}

export default function run(task: CpuTask): CpuResult {
  switch (task.op) {
    case 'signP7Detached':
      return { signature: signer(task.keyId)(Buffer.from(task.content, 'utf8')).toString('base64') };
    case 'qrPng':
      return { qrPng: qrPng(task.text).toString('base64') };
    case 'issue':
      return {
        signature: signer(task.keyId)(Buffer.from(task.content, 'utf8')).toString('base64'),
        qrPng: qrPng(task.qrText).toString('base64'),
      };
  }
}
