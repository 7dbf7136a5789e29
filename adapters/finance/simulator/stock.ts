/**
 * Stock from finance, the simulated bureau's side: a unit applies (申领), finance approves — at once by
 * policy (finance.simulator.approval.autoMaxQuantity) or by hand on /admin/stock/applications and
 * through `medbill finance approve|reject` — allocating a range under the bill code region + billCode
 * + year, and the unit confirms receipt (入库确认). Every step is idempotent by the application id.
 * Paths and refusal codes: ../api.ts.
 */
import { createHash } from 'node:crypto';
import express from 'express';
import type { Knex } from 'knex';
import { stamp17 } from '../../../src/domain/time';
import type { FinanceApplicationStatus, FinanceStockApplication } from '../../../src/engine/finance';
import { log } from '../../../src/log';
import { xmlEscape as esc } from '../../../src/xml-escape';
import { refusal } from './upload';

/** Above every number of medbill's demo stock (config demoStock ends at 0009999999): the two never meet. */
export const FIRST_ALLOCATED_NO = 10_000_001;
const NO_LEN = 10;
/** One application may not ask for more than this (a typo of a few zeros should not empty a code). */
export const MAX_QUANTITY = 1_000_000;

export interface StockPolicy {
  /** applications of at most this many numbers are approved at once; 0 = every one waits for a person */
  autoMaxQuantity: number;
  /** first two digits of the bill codes allocated (the unit's province) */
  region: string;
  /** ms → two-digit year of the bill code (Beijing); injectable for tests around New Year */
  now?: () => number;
}

interface AppRow {
  application_id: string;
  content_sha256: string;
  bill_kind: string;
  bill_code: string;
  medium: 'ebill' | 'paper';
  quantity: number;
  applicant: string;
  reason: string | null;
  state: FinanceApplicationStatus['state'];
  reject_reason: string | null;
  decided_by: string | null;
  bill_batch_code: string | null;
  start_no: string | null;
  end_no: string | null;
  updated_at: string;
  created_at: number;
}

type Answer = { status: number; body: unknown };

const stamp14 = (ms: number) => stamp17(ms).slice(0, 14);

export function statusOf(r: AppRow): FinanceApplicationStatus {
  return {
    applicationId: r.application_id,
    state: r.state,
    ...(r.reject_reason ? { rejectReason: r.reject_reason } : {}),
    ...(r.bill_batch_code && r.start_no && r.end_no
      ? { allocation: { billBatchCode: r.bill_batch_code, startNo: r.start_no, endNo: r.end_no, count: Number(r.end_no) - Number(r.start_no) + 1 } }
      : {}),
    updatedAt: r.updated_at,
  };
}

/** The request body, checked; the refusal names the field. */
function readApplication(b: unknown): FinanceStockApplication | string {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'body is not a JSON object';
  const o = b as Record<string, unknown>;
  if (typeof o.applicationId !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(o.applicationId)) return 'applicationId missing or not 1-64 of [A-Za-z0-9._:-]';
  if (typeof o.billKind !== 'string' || !/^[a-z]{1,20}$/.test(o.billKind)) return 'billKind missing';
  if (typeof o.billCode !== 'string' || !/^\d{4}$/.test(o.billCode)) return 'billCode must be 4 digits';
  if (o.medium !== 'ebill' && o.medium !== 'paper') return 'medium must be ebill or paper';
  if (typeof o.quantity !== 'number' || !Number.isInteger(o.quantity) || o.quantity < 1 || o.quantity > MAX_QUANTITY) return `quantity must be an integer 1-${MAX_QUANTITY}`;
  if (typeof o.applicant !== 'string' || !o.applicant.trim() || o.applicant.length > 60) return 'applicant missing or longer than 60';
  if (o.reason !== undefined && (typeof o.reason !== 'string' || o.reason.length > 200)) return 'reason longer than 200';
  return { applicationId: o.applicationId, billKind: o.billKind, billCode: o.billCode, medium: o.medium, quantity: o.quantity, applicant: o.applicant, ...(o.reason ? { reason: o.reason as string } : {}) };
}

const contentHash = (a: FinanceStockApplication) =>
  createHash('sha256').update(JSON.stringify([a.billKind, a.billCode, a.medium, a.quantity, a.applicant, a.reason ?? ''])).digest('hex');

export class StockDesk {
  constructor(
    private readonly db: Knex,
    private readonly policy: StockPolicy,
  ) {}

  private now(): number {
    return (this.policy.now ?? Date.now)();
  }

  private row(id: string, q: Knex = this.db): Promise<AppRow | undefined> {
    return q<AppRow>('fin_stock_applications').where({ application_id: id }).first();
  }

  async apply(body: unknown): Promise<Answer> {
    const a = readApplication(body);
    if (typeof a === 'string') return refusal('bad-request', a);
    const sha = contentHash(a);
    const held = await this.row(a.applicationId);
    if (held) return held.content_sha256 === sha ? { status: 200, body: statusOf(held) } : refusal('conflict', `application ${a.applicationId} exists with other content`);
    const now = this.now();
    try {
      await this.db('fin_stock_applications').insert({
        application_id: a.applicationId,
        content_sha256: sha,
        bill_kind: a.billKind,
        bill_code: a.billCode,
        medium: a.medium,
        quantity: a.quantity,
        applicant: a.applicant.slice(0, 60),
        reason: a.reason ?? null,
        state: 'pending',
        updated_at: stamp14(now),
        created_at: now,
      });
    } catch {
      // Two applies of one id at once: the loser answers what the winner stored.
      const again = await this.row(a.applicationId);
      if (!again) throw new Error('stock application insert failed');
      return again.content_sha256 === sha ? { status: 200, body: statusOf(again) } : refusal('conflict', `application ${a.applicationId} exists with other content`);
    }
    log().info('finance: stock application received', { applicationId: a.applicationId, billCode: a.billCode, medium: a.medium, quantity: a.quantity });
    if (this.policy.autoMaxQuantity > 0 && a.quantity <= this.policy.autoMaxQuantity) return this.approve(a.applicationId, 'auto');
    return { status: 200, body: statusOf((await this.row(a.applicationId))!) };
  }

  async status(id: string): Promise<Answer> {
    const r = await this.row(id);
    return r ? { status: 200, body: statusOf(r) } : refusal('unknown-application', id.slice(0, 64));
  }

  /** Approves and allocates in one transaction: the counter moves exactly when a range is handed out. */
  async approve(id: string, by: string): Promise<Answer> {
    const now = this.now();
    const out = await this.db.transaction(async (tx): Promise<Answer> => {
      const r = await this.row(id, tx);
      if (!r) return refusal('unknown-application', id.slice(0, 64));
      if (r.state === 'approved' || r.state === 'received') return { status: 200, body: statusOf(r) };
      if (r.state !== 'pending') return refusal('application-state', `application ${id} is ${r.state}`);
      const code = `${this.policy.region}${r.bill_code}${stamp17(now).slice(2, 4)}`;
      const counter = await tx('fin_number_counters').where({ bill_batch_code: code, medium: r.medium }).first();
      const start = counter ? Number(counter.next_no) : FIRST_ALLOCATED_NO;
      const end = start + r.quantity - 1;
      if (String(end).length > NO_LEN) return refusal('application-state', `bill code ${code} has no ${r.quantity} numbers left`);
      if (counter) await tx('fin_number_counters').where({ bill_batch_code: code, medium: r.medium }).update({ next_no: end + 1 });
      else await tx('fin_number_counters').insert({ bill_batch_code: code, medium: r.medium, next_no: end + 1 });
      const pad = (n: number) => String(n).padStart(NO_LEN, '0');
      await tx('fin_stock_applications')
        .where({ application_id: id })
        .update({ state: 'approved', decided_by: by.slice(0, 60), bill_batch_code: code, start_no: pad(start), end_no: pad(end), updated_at: stamp14(now) });
      return { status: 200, body: statusOf((await this.row(id, tx))!) };
    });
    if (out.status === 200) log().info('finance: stock application approved', { applicationId: id, by });
    return out;
  }

  async reject(id: string, reason: unknown, by: string): Promise<Answer> {
    if (typeof reason !== 'string' || !reason.trim() || reason.length > 200) return refusal('bad-request', 'reason missing or longer than 200');
    const r = await this.row(id);
    if (!r) return refusal('unknown-application', id.slice(0, 64));
    if (r.state === 'rejected') return { status: 200, body: statusOf(r) };
    if (r.state !== 'pending') return refusal('application-state', `application ${id} is ${r.state}`);
    await this.db('fin_stock_applications').where({ application_id: id, state: 'pending' }).update({ state: 'rejected', reject_reason: reason.trim(), decided_by: by.slice(0, 60), updated_at: stamp14(this.now()) });
    return this.status(id);
  }

  /** 入库确认: only an approved (or already received) application. */
  async receipt(id: string): Promise<Answer> {
    const r = await this.row(id);
    if (!r) return refusal('unknown-application', id.slice(0, 64));
    if (r.state === 'received') return { status: 200, body: statusOf(r) };
    if (r.state !== 'approved') return refusal('application-state', `application ${id} is ${r.state}, not approved`);
    await this.db('fin_stock_applications').where({ application_id: id, state: 'approved' }).update({ state: 'received', updated_at: stamp14(this.now()) });
    return this.status(id);
  }

  async list(): Promise<(FinanceApplicationStatus & { billKind: string; billCode: string; medium: string; quantity: number; applicant: string; reason?: string })[]> {
    const rows = await this.db<AppRow>('fin_stock_applications').orderBy('id', 'desc').limit(500);
    return rows.map((r) => ({ ...statusOf(r), billKind: r.bill_kind, billCode: r.bill_code, medium: r.medium, quantity: Number(r.quantity), applicant: r.applicant, ...(r.reason ? { reason: r.reason } : {}) }));
  }
}

const STATE_ZH: Record<string, string> = { pending: '待审批', approved: '已批准', rejected: '已驳回', received: '已入库' };

function renderApplications(rows: Awaited<ReturnType<StockDesk['list']>>): string {
  const line = (r: (typeof rows)[number]) =>
    '<tr>' +
    [r.applicationId, r.billCode, r.medium === 'ebill' ? '电子' : '纸质', String(r.quantity), r.applicant, r.reason ?? '', STATE_ZH[r.state] ?? r.state]
      .map((v) => `<td>${esc(v)}</td>`)
      .join('') +
    `<td>${r.allocation ? esc(`${r.allocation.billBatchCode} ${r.allocation.startNo}-${r.allocation.endNo}`) : esc(r.rejectReason ?? '')}</td>` +
    '<td>' +
    (r.state === 'pending'
      ? `<form method="post" action="applications/${encodeURIComponent(r.applicationId)}/approve"><button>批准</button></form>` +
        `<form method="post" action="applications/${encodeURIComponent(r.applicationId)}/reject"><input name="reason" placeholder="驳回原因" required><button>驳回</button></form>`
      : '') +
    '</td></tr>';
  return (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>票据申领审批</title>' +
    '<style>body{font:14px sans-serif;margin:1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem}form{display:inline}</style></head><body>' +
    '<h1>票据申领审批（财政模拟系统）</h1><table><tr><th>申领单</th><th>种类编码</th><th>介质</th><th>数量</th><th>申领人</th><th>原因</th><th>状态</th><th>号段 / 驳回原因</th><th>操作</th></tr>' +
    rows.map(line).join('') +
    '</table></body></html>'
  );
}

const wantsJson = (req: express.Request) => (req.get('accept') ?? '').includes('application/json');

export function stockRoutes(desk: StockDesk): express.Router {
  const r = express.Router();
  const send = (res: express.Response) => (a: Answer) => void res.status(a.status).json(a.body);
  const json = express.json({ limit: '16kb' });
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  r.post('/api/stock/applications', json, (req, res, next) => void desk.apply(req.body).then(send(res), next));
  r.get('/api/stock/applications/:id', (req, res, next) => void desk.status(req.params.id).then(send(res), next));
  r.post('/api/stock/applications/:id/receipt', json, (req, res, next) => void desk.receipt(req.params.id).then(send(res), next));

  // Finance staff. The simulator is a local stand-in (demo and tests, refused in production mode): its
  // admin paths are as open as its port; a real bureau's approval lives in its own system.
  r.get('/admin/stock/applications', (req, res, next) =>
    void desk.list().then((rows) => {
      if (wantsJson(req)) res.json({ applications: rows });
      else res.type('text/html; charset=utf-8').send(renderApplications(rows));
    }, next),
  );
  const after = (req: express.Request, res: express.Response) => (a: Answer) => {
    if (wantsJson(req) || a.status !== 200) res.status(a.status).json(a.body);
    else res.redirect(303, '../../applications');
  };
  r.post('/admin/stock/applications/:id/approve', json, form, (req, res, next) => void desk.approve(req.params.id, 'finance-staff').then(after(req, res), next));
  r.post('/admin/stock/applications/:id/reject', json, form, (req, res, next) =>
    void desk.reject(req.params.id, (req.body as { reason?: unknown } | undefined)?.reason, 'finance-staff').then(after(req, res), next),
  );
  return r;
}
