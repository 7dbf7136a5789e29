/**
 * Worker thread for CPU-bound per-bill work (SM2 signing, QR PNG), so the event loop never blocks on
 * it (a piscina pool). Signing keys arrive once in workerData and stay in the worker.
 */
import { workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { certificatesFromPemBundle, ChainValidator, createDetachedSigner, parseCertificateCached, verifyP7 } from '../crypto';
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
  | { op: 'issue'; keyId: string; content: string; qrText: string }
  /** a detached GM/T 0010 signature over `content`, its signer chained to one of `trustRootsPem` at `at` (epoch ms) */
  | { op: 'verifyP7Detached'; content: string; signature: string; trustRootsPem: string; at: number };

export interface CpuResult {
  signature?: string; // base64 DER
  qrPng?: string; // base64 PNG
  verdict?: VerifyVerdict;
}

export interface VerifyVerdict {
  verified: boolean;
  /** why not (English, for the dead letter and logs), or the chain's summary */
  detail: string;
  /** the signer certificate's serial, lower-case hex, when found */
  signerSerial?: string;
}

// One validator per trust bundle: parsing the roots once per worker, not per bill.
const validators = new Map<string, ChainValidator>();
function validatorFor(pem: string): ChainValidator {
  const key = createHash('sha256').update(pem).digest('hex');
  let v = validators.get(key);
  if (!v) {
    v = new ChainValidator({ trustRoots: certificatesFromPemBundle(pem) });
    validators.set(key, v);
  }
  return v;
}

async function verifyDetached(t: Extract<CpuTask, { op: 'verifyP7Detached' }>): Promise<VerifyVerdict> {
  const r = verifyP7(Buffer.from(t.signature, 'base64'), { content: Buffer.from(t.content, 'utf8') });
  const cert = r.signerCert ? parseCertificateCached(r.signerCert) : undefined;
  const signerSerial = cert?.ok ? cert.value.serialHex : undefined;
  if (!r.valid) return { verified: false, detail: `${r.reason}: ${r.detail}`, signerSerial };
  if (r.form !== 'gm' || r.signers.length !== 1) return { verified: false, detail: `expected one GM/T 0010 SM2 signer, got ${r.signers.length} ${r.form} signer(s)`, signerSerial };
  const chain = await validatorFor(t.trustRootsPem).validate(r.signerCert!, { at: new Date(t.at), purpose: 'signing', extraCertificates: r.certificates, checkRevocation: false });
  if (!chain.ok) return { verified: false, detail: `${chain.code}: ${chain.reason}`, signerSerial };
  return { verified: true, detail: chain.reason, signerSerial };
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

export default function run(task: CpuTask): CpuResult | Promise<CpuResult> {
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
    case 'verifyP7Detached':
      return verifyDetached(task).then((verdict) => ({ verdict }));
  }
}
