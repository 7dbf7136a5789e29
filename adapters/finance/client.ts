/**
 * medbill's side of the upload protocol (./api.ts), as the engine's Finance port (src/engine/finance.ts):
 * one HTTP attempt, classified. Whether and when to try again is the outbox's business; this module
 * only says which kind of failure it was.
 */
import type { Finance, FinanceBill, FinanceUploadResult } from '../../src/engine/finance';
import type { UploadAccepted, UploadRequest, UploadResponse } from './api';

// Statuses that mean "not now" rather than "not this".
const RETRYABLE_4XX = new Set([408, 425, 429]);

export class FinanceClient implements Finance {
  readonly name = 'finance-http';
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  upload(bill: FinanceBill): Promise<FinanceUploadResult> {
    const req: UploadRequest = {
      billBatchCode: bill.billBatchCode,
      billNo: bill.billNo,
      random: bill.random,
      fiscalXml: Buffer.from(bill.fiscalXml, 'utf8').toString('base64'),
    };
    return uploadBill(this.baseUrl, req, this.timeoutMs);
  }
}

async function uploadBill(baseUrl: string, req: UploadRequest, timeoutMs: number): Promise<FinanceUploadResult> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}/api/bills`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(req),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    // The reason reaches /readyz: it names the failure, not where finance lives (that is config).
    return { kind: 'transient', reason: `finance unreachable: ${describeFetchError(e)}` };
  }
  let body: unknown;
  const text = await res.text().catch(() => '');
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.status >= 500 || RETRYABLE_4XX.has(res.status)) {
    return { kind: 'transient', reason: `finance answered HTTP ${res.status}${messageOf(body) ? `: ${messageOf(body)}` : ''}` };
  }
  if (res.status >= 400) {
    const b = (body ?? {}) as Partial<Extract<UploadResponse, { ok: false }>>;
    return {
      kind: 'refused',
      status: res.status,
      code: typeof b.code === 'string' ? b.code : `http-${res.status}`,
      message: typeof b.message === 'string' ? b.message : text.slice(0, 200),
      detail: typeof b.detail === 'string' ? b.detail : undefined,
    };
  }
  if (res.status === 200 && isAccepted(body)) {
    return {
      kind: 'accepted',
      billBatchCode: body.billBatchCode,
      billNo: body.billNo,
      supervisorSignature: body.supervisorSignature,
      certSerial: body.supervisorCertSerial,
      time: body.time,
      repeated: body.repeated === true,
    };
  }
  // A 2xx we cannot read is more likely a proxy or a half-deployed peer than a verdict on the bill.
  return { kind: 'transient', reason: `finance answered HTTP ${res.status} without a valid acceptance` };
}

function isAccepted(b: unknown): b is UploadAccepted {
  const o = b as Partial<UploadAccepted> | undefined;
  return (
    !!o &&
    o.ok === true &&
    typeof o.billBatchCode === 'string' &&
    typeof o.billNo === 'string' &&
    typeof o.supervisorSignature === 'string' &&
    /^[A-Za-z0-9+/]+={0,2}$/.test(o.supervisorSignature) &&
    typeof o.supervisorCertSerial === 'string' &&
    /^[0-9A-Fa-f]{1,64}$/.test(o.supervisorCertSerial) &&
    typeof o.time === 'string' &&
    /^\d{14}$/.test(o.time)
  );
}

function messageOf(b: unknown): string | undefined {
  const m = (b as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m.slice(0, 200) : undefined;
}

/** Node's fetch hides the socket error in `cause`; surface its code (ECONNREFUSED, ETIMEDOUT…). */
function describeFetchError(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'timed out';
  return err?.cause?.code ?? err?.cause?.message ?? err?.message ?? String(e);
}
