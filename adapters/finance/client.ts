/**
 * medbill's side of the simulator binding (./api.ts), as the engine's Finance port (src/engine/finance.ts):
 * one HTTP attempt per call, classified. Whether and when to try again is the outbox's business; this
 * module only says which kind of failure it was.
 */
import type {
  Finance,
  FinanceApplicationStatus,
  FinanceBaseInfo,
  FinanceBill,
  FinanceDailyTotals,
  FinanceEvent,
  FinanceEventAccepted,
  FinanceResult,
  FinanceStockApplication,
  FinanceUploadResult,
} from '../../src/engine/finance';
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

  async upload(bill: FinanceBill): Promise<FinanceUploadResult> {
    const req: UploadRequest = {
      billBatchCode: bill.billBatchCode,
      billNo: bill.billNo,
      random: bill.random,
      fiscalXml: Buffer.from(bill.fiscalXml, 'utf8').toString('base64'),
      ...(bill.placeCode ? { placeCode: bill.placeCode } : {}),
      ...(bill.billKind ? { billKind: bill.billKind } : {}),
    };
    const r = await this.call('POST', '/api/bills', req);
    if (r.kind !== 'ok') return r;
    const body = r.body;
    // A 2xx we cannot read is more likely a proxy or a half-deployed peer than a verdict on the bill.
    if (!isAccepted(body)) return { kind: 'transient', reason: 'finance answered without a valid acceptance' };
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

  async sendEvent(event: FinanceEvent): Promise<FinanceResult<FinanceEventAccepted>> {
    const r = await this.call('POST', '/api/events', event);
    if (r.kind !== 'ok') return r;
    const b = r.body as Partial<FinanceEventAccepted> | undefined;
    if (b?.eventId !== event.eventId) return { kind: 'transient', reason: `finance answered for event ${String(b?.eventId)}, not ${event.eventId}` };
    return { kind: 'ok', eventId: event.eventId, repeated: b.repeated === true };
  }

  async baseInfo(): Promise<FinanceResult<{ info: FinanceBaseInfo }>> {
    const r = await this.call('GET', '/api/base-info');
    if (r.kind !== 'ok') return r;
    const b = r.body as Partial<FinanceBaseInfo> | undefined;
    if (typeof b?.version !== 'string' || !Array.isArray(b.billKinds) || !Array.isArray(b.chargeItems) || typeof b.codeTables !== 'object') {
      return { kind: 'transient', reason: 'finance answered base information of the wrong shape' };
    }
    return { kind: 'ok', info: b as FinanceBaseInfo };
  }

  applyStock(app: FinanceStockApplication): Promise<FinanceResult<{ status: FinanceApplicationStatus }>> {
    return this.statusCall('POST', '/api/stock/applications', app);
  }

  stockApplication(applicationId: string): Promise<FinanceResult<{ status: FinanceApplicationStatus }>> {
    return this.statusCall('GET', `/api/stock/applications/${encodeURIComponent(applicationId)}`);
  }

  confirmReceipt(applicationId: string): Promise<FinanceResult<{ status: FinanceApplicationStatus }>> {
    return this.statusCall('POST', `/api/stock/applications/${encodeURIComponent(applicationId)}/receipt`, {});
  }

  async dailyTotals(date: string): Promise<FinanceResult<{ totals: FinanceDailyTotals }>> {
    const r = await this.call('GET', `/api/reconciliation/daily?date=${encodeURIComponent(date)}`);
    if (r.kind !== 'ok') return r;
    const b = r.body as Partial<FinanceDailyTotals> | undefined;
    if (b?.date !== date || !Array.isArray(b.rows)) return { kind: 'transient', reason: 'finance answered daily totals of the wrong shape' };
    return { kind: 'ok', totals: b as FinanceDailyTotals };
  }

  private async statusCall(method: 'GET' | 'POST', path: string, body?: unknown): Promise<FinanceResult<{ status: FinanceApplicationStatus }>> {
    const r = await this.call(method, path, body);
    if (r.kind !== 'ok') return r;
    const b = r.body as Partial<FinanceApplicationStatus> | undefined;
    if (typeof b?.applicationId !== 'string' || typeof b.state !== 'string') return { kind: 'transient', reason: 'finance answered an application status of the wrong shape' };
    return { kind: 'ok', status: b as FinanceApplicationStatus };
  }

  /** One JSON request, classified by the rules in ./api.ts; `body` of an ok is the parsed JSON. */
  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<FinanceResult<{ body: unknown }>> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      // The reason reaches /readyz: it names the failure, not where finance lives (that is config).
      return { kind: 'transient', reason: `finance unreachable: ${describeFetchError(e)}` };
    }
    const text = await res.text().catch(() => '');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (res.status >= 500 || RETRYABLE_4XX.has(res.status)) {
      return { kind: 'transient', reason: `finance answered HTTP ${res.status}${messageOf(parsed) ? `: ${messageOf(parsed)}` : ''}` };
    }
    if (res.status >= 400) return refusedOf(res.status, parsed, text);
    if (res.status >= 200 && res.status < 300 && parsed !== undefined) return { kind: 'ok', body: parsed };
    return { kind: 'transient', reason: `finance answered HTTP ${res.status} without a JSON body` };
  }
}

function refusedOf(status: number, body: unknown, text: string): { kind: 'refused'; status: number; code: string; message: string; detail?: string } {
  const b = (body ?? {}) as Partial<Extract<UploadResponse, { ok: false }>>;
  return {
    kind: 'refused',
    status,
    code: typeof b.code === 'string' ? b.code : `http-${status}`,
    message: typeof b.message === 'string' ? b.message : text.slice(0, 200),
    detail: typeof b.detail === 'string' ? b.detail : undefined,
  };
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
