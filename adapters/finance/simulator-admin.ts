/**
 * The embedded simulator's staff API (/admin/stock/applications…, see ./api.ts), for `medbill finance
 * applications|approve|reject`: what finance's people do on their own page, typed at a terminal. Not
 * part of the Finance port: a real bureau approves in its own system, not through medbill.
 */
import type { FinanceApplicationStatus } from '../../src/engine/finance';

export type AdminResult<T> = { ok: true; value: T } | { ok: false; status: number; message: string };

export interface ListedApplication extends FinanceApplicationStatus {
  billKind: string;
  billCode: string;
  medium: string;
  quantity: number;
  applicant: string;
  reason?: string;
}

async function call<T>(baseUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<AdminResult<T>> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    return { ok: false, status: 0, message: `财政模拟系统无法连接：${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}` };
  }
  const parsed = (await res.json().catch(() => undefined)) as (T & { message?: string; detail?: string }) | undefined;
  if (res.ok && parsed !== undefined) return { ok: true, value: parsed };
  return { ok: false, status: res.status, message: [parsed?.message ?? `HTTP ${res.status}`, parsed?.detail].filter(Boolean).join('：') };
}

export const simulatorAdmin = (baseUrl: string) => ({
  list: async (): Promise<AdminResult<ListedApplication[]>> => {
    const r = await call<{ applications: ListedApplication[] }>(baseUrl, 'GET', '/admin/stock/applications');
    return r.ok ? { ok: true, value: r.value.applications } : r;
  },
  approve: (id: string) => call<FinanceApplicationStatus>(baseUrl, 'POST', `/admin/stock/applications/${encodeURIComponent(id)}/approve`, {}),
  reject: (id: string, reason: string) => call<FinanceApplicationStatus>(baseUrl, 'POST', `/admin/stock/applications/${encodeURIComponent(id)}/reject`, { reason }),
});
