/**
 * Outbox job of topic `finance-upload` (enqueued by the persist step with the issued bill, blue or red):
 * uploads the bill's fiscal XML through the Finance port (src/engine/finance.ts), verifies the
 * supervisory signature it gets back in the worker pool (SM2 off the event loop) against the finance
 * CA (`finance.supervisorTrustRoots`, in demo mode also the demo finance CA), and only then archives
 * the bill: the stored fiscal_xml becomes the document with both signatures, spliced beside the unit's.
 *
 * Failure kinds (the outbox does the retrying, src/engine/outbox.ts):
 *   transient (unreachable, timeout, overload, server fault, 425 "blue bill not there yet") → retried
 *   refused (bad signature, revoked certificate, conflict…) → retried `finance.refusalAttempts` times,
 *            then a dead letter with finance's reason, the bill marked finance_state = 'rejected'
 *   a supervisory signature that does not verify → dead letter, bill marked 'unverified', nothing archived
 *   the job or the bill itself makes no sense → PermanentJobError
 * Idempotent: a bill already marked uploaded is not sent again; finance answers a repeat upload
 * with the same signature anyway.
 */
import { normaliseSerial, parseP7 } from '../../crypto';
import { fiscalXml, splitFiscalXml, UnitSignature } from '../../domain/fiscal-xml';
import { log } from '../../log';
import { BillWithFinance, billWithFinance, recordFinanceRefusal, recordSupervisorSignature } from '../../store/bill-finance';
import type { Finance, FinanceAccepted } from '../finance';
import { JobHandler, OutboxRow, PermanentJobError } from '../outbox';
import type { Services } from '../services';
import { refusalError } from './finance-outcome';

export const FINANCE_UPLOAD_TOPIC = 'finance-upload';

export interface FinanceUploadPayload {
  billId: number;
  billBatchCode: string;
  billNo: string;
}

export interface FinanceUploadOptions {
  /** PEM bundle of the finance CA(s) the supervisory signature must chain to; empty = nothing verifies */
  supervisorTrustPem: string;
  refusalAttempts: number;
}

export function createFinanceUploadHandler(services: Pick<Services, 'db' | 'pool'>, finance: Finance, o: FinanceUploadOptions): JobHandler {
  return async (payload: unknown, job: OutboxRow): Promise<void> => {
    const p = readPayload(payload);
    const ctx = { jobId: job.id, msgId: job.message_id, busNo: job.bus_no, billBatchCode: p.billBatchCode, billNo: p.billNo, attempt: job.attempts + 1 };
    const bill = await billWithFinance(services.db, p.billId);
    if (!bill || bill.bill_batch_code !== p.billBatchCode || bill.bill_no !== p.billNo) {
      throw new PermanentJobError(`bill ${p.billId} (${p.billBatchCode}/${p.billNo}) not found`);
    }
    if (bill.finance_state === 'uploaded') {
      log().info('finance upload skipped: already uploaded', ctx);
      return;
    }
    if (bill.state !== 'issued' || !bill.fiscal_xml || !bill.random) throw new PermanentJobError(`bill ${p.billBatchCode}/${p.billNo} is ${bill.state}, not an issued bill with a fiscal XML`);

    const outcome = await finance.upload({
      billBatchCode: bill.bill_batch_code,
      billNo: bill.bill_no,
      random: bill.random,
      fiscalXml: bill.fiscal_xml,
      // Finance's daily totals are per place and kind (reconciliation compares them with the ledger).
      ...(bill.place_code ? { placeCode: bill.place_code } : {}),
      billKind: bill.bill_kind,
    });
    if (outcome.kind === 'transient') throw new Error(outcome.reason);
    if (outcome.kind === 'refused') {
      const { error, final } = refusalError(outcome, job, o.refusalAttempts);
      if (final) await recordFinanceRefusal(services.db, bill.id, error.message);
      log().warn('finance upload refused', { ...ctx, status: outcome.status, code: outcome.code, final });
      throw error;
    }
    await verifySupervisor(services, bill, outcome, o.supervisorTrustPem);
    await storeSupervisorSignature(services, bill, outcome);
    log().info('finance upload accepted', { ...ctx, supervisorCertSerial: outcome.certSerial, repeated: outcome.repeated });
  };
}

function readPayload(payload: unknown): FinanceUploadPayload {
  const p = payload as Partial<FinanceUploadPayload> | null;
  if (!p || !Number.isInteger(p.billId) || typeof p.billBatchCode !== 'string' || typeof p.billNo !== 'string') {
    throw new PermanentJobError('finance-upload payload must be {billId, billBatchCode, billNo}');
  }
  return p as FinanceUploadPayload;
}

async function storeSupervisorSignature(services: Pick<Services, 'db'>, bill: BillWithFinance, acc: FinanceAccepted): Promise<void> {
  if (acc.billBatchCode !== bill.bill_batch_code || acc.billNo !== bill.bill_no) {
    throw new PermanentJobError(`finance answered for ${acc.billBatchCode}/${acc.billNo}, not ${bill.bill_batch_code}/${bill.bill_no}`);
  }
  const sigProblem = supervisorSignatureProblem(acc);
  if (sigProblem) throw new PermanentJobError(`finance's supervisory signature is unusable: ${sigProblem}`);

  const stored = bill.fiscal_xml!;
  const content = splitFiscalXml(stored)?.content;
  if (!content) throw new PermanentJobError('the stored fiscal XML has no signed text to splice beside');
  const unit: UnitSignature = { value: bill.unit_signature ?? '', time: (bill.create_time ?? '').slice(0, 14), serialNumber: bill.sig_cert_serial ?? '' };
  // Rebuilding must give back exactly the stored document, or splicing would silently change it.
  if (fiscalXml(content, unit) !== stored) throw new PermanentJobError('the stored fiscal XML is not the document fiscalXml() builds; refusing to splice');
  const xml = fiscalXml(content, unit, { value: acc.supervisorSignature, time: acc.time, serialNumber: acc.certSerial });
  if (splitFiscalXml(xml)?.content !== content) throw new PermanentJobError('splicing the supervisory signature would change the signed text');

  const n = await recordSupervisorSignature(services.db, bill.id, stored, {
    signature: acc.supervisorSignature,
    certSerial: acc.certSerial,
    time: acc.time,
    fiscalXml: xml,
  });
  // Retryable: the bill changed under us; the next attempt reads it again.
  if (n !== 1) throw new Error(`bill ${bill.bill_batch_code}/${bill.bill_no} changed while uploading`);
}

/**
 * The supervisory signature over the bill's own signed text, verified in the worker pool (an SM2
 * verification is ~2.5 ms: never on the event loop) and chained to the finance CA at the time finance
 * says it signed. One that does not verify is never archived: the bill is marked 'unverified' with the
 * reason, and the job is a dead letter (requeue it once finance's certificate or our trust is fixed).
 */
async function verifySupervisor(services: Pick<Services, 'db' | 'pool'>, bill: BillWithFinance, acc: FinanceAccepted, trustPem: string): Promise<void> {
  const content = splitFiscalXml(bill.fiscal_xml!)?.content;
  if (!content) throw new PermanentJobError('the stored fiscal XML has no signed text to verify the supervisory signature over');
  const fail = async (why: string): Promise<never> => {
    const reason = `finance's supervisory signature does not verify: ${why}`;
    await recordFinanceRefusal(services.db, bill.id, reason, 'unverified');
    log().error('finance supervisory signature not verified; bill not archived', { billBatchCode: bill.bill_batch_code, billNo: bill.bill_no, detail: why });
    throw new PermanentJobError(reason);
  };
  if (!trustPem.trim()) return fail('no finance CA is configured (finance.supervisorTrustRoots)');
  const { verdict } = await services.pool.run({ op: 'verifyP7Detached', content, signature: acc.supervisorSignature, trustRootsPem: trustPem, at: signedAt(acc.time) });
  if (!verdict?.verified) return fail(verdict?.detail ?? 'no verdict from the worker');
}

/** yyyyMMddHHmmss Beijing → epoch ms (the chain is judged when finance signed, not today). */
function signedAt(t: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(t);
  if (!m) return Date.now();
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 8, +m[5], +m[6]);
}

/** Structural: one detached GM/T 0010 signer whose certificate serial is the one finance named. */
function supervisorSignatureProblem(acc: FinanceAccepted): string | undefined {
  const parsed = parseP7(Buffer.from(acc.supervisorSignature, 'base64'));
  if (!parsed.ok) return `not a SignedData (${parsed.detail})`;
  const sd = parsed.value;
  if (sd.form !== 'gm' || !sd.detached || sd.signers.length !== 1) return 'expected one detached GM/T 0010 signer';
  const sid = sd.signers[0].sid;
  if (sid.type !== 'issuerSerial' || normaliseSerial(sid.serialHex) !== normaliseSerial(acc.certSerial)) {
    return `signer serial does not match the certificate serial finance named (${acc.certSerial})`;
  }
  return undefined;
}
