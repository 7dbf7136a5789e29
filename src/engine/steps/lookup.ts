/**
 * lookup: finds issued bills — by (appid, busNo), by billBatchCode + billNo, or by business-time range
 * with filters and paging — so a query service is a catalogue entry, a flow and a response mapping.
 * Key, check, filter and page values are JSONata expressions over the value the step reads.
 */
import jsonata from 'jsonata';
import { billView, billViewWithContent } from '../../store/bill-view';
import { BILL_FILTERS, BillFilter, BillRow } from '../../store/bills';
import { hisError } from '../errors';
import type { PortMap } from '../slots';
import { defineStep } from '../step';

type By = 'busNo' | 'billNumber' | 'busDateRange';
interface Options {
  by: By;
  /** key values: busNo | billBatchCode, billNo | from, to (yyyyMMddHHmmssSSS) */
  key?: Record<string, string>;
  /** stored fields that must equal what the request says (busDateTime, random, totalAmt, createTime) */
  check?: Record<string, string>;
  /** range lookups: equality filters on BILL_FILTERS; an absent or empty value filters nothing */
  where?: Record<string, string>;
  /** range lookups: page number (1-based) and size */
  page?: { pageNo: string; pageSize: string; maxPageSize?: number };
  /** also read the stored settlement: `content` of a single lookup, `item.content` of each range item */
  content?: boolean;
}

const DEFAULT_KEYS: Record<By, Record<string, string>> = {
  busNo: { busNo: 'busNo' },
  billNumber: { billBatchCode: 'billBatchCode', billNo: 'billNo' },
  busDateRange: { from: 'busBgnDate', to: 'busEndDate' },
};
const CHECKABLE = ['busDateTime', 'random', 'totalAmt', 'createTime'] as const;
type Checkable = (typeof CHECKABLE)[number];

const reads = { value: { type: 'Json', free: true, doc: 'what the key, check, filter and page expressions read (usually input)' } } as const;
const singleWrites = {
  bill: { type: 'Bill', doc: 'the bill found' },
  red: { type: 'Bill', optional: true, doc: 'its red bill, when it has been red-flushed' },
  content: { type: 'Settlement', optional: true, doc: 'with content: true, the settlement the bill was issued from' },
} as const;
const rangeWrites = { bills: { type: 'Bills', doc: 'one page of the bills found, with the total' } } as const;

type Expr = (v: unknown) => Promise<unknown>;
const text = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

export const lookupStep = defineStep<Options, typeof reads, PortMap>({
  kind: 'lookup',
  doc: 'Finds issued bills by busNo (of this appid, with its red bill), by billBatchCode + billNo, or by a business-time range with filters (placeCode, busType, kind, cardNo, scarlet, accountState, paperLinked …) and paging; `content: true` also reads the stored settlement. Not found: E2002.',
  optionsSchema: {
    type: 'object',
    required: ['by'],
    additionalProperties: false,
    properties: {
      by: { enum: ['busNo', 'billNumber', 'busDateRange'] },
      key: { type: 'object', additionalProperties: { type: 'string' }, description: 'JSONata per key field' },
      check: { type: 'object', propertyNames: { enum: [...CHECKABLE] }, additionalProperties: { type: 'string' } },
      where: { type: 'object', propertyNames: { enum: Object.keys(BILL_FILTERS) }, additionalProperties: { type: 'string' } },
      page: {
        type: 'object',
        required: ['pageNo', 'pageSize'],
        additionalProperties: false,
        properties: { pageNo: { type: 'string' }, pageSize: { type: 'string' }, maxPageSize: { type: 'integer', minimum: 1, maximum: 1000 } },
      },
      content: { type: 'boolean', description: 'also read the stored settlement (detail services, listFlag)' },
    },
  },
  reads,
  writes: (o) => (o.by === 'busDateRange' ? rangeWrites : singleWrites),
  prepare(o, env) {
    const compile = (exprs: Record<string, string> | undefined, at: string): Record<string, Expr> =>
      Object.fromEntries(
        Object.entries(exprs ?? {}).flatMap(([k, src]) => {
          try {
            const e = jsonata(src);
            return [[k, (v: unknown) => e.evaluate(v)]];
          } catch (err) {
            env.fail('FLOW_BAD_OPTION', [at, k], { path: `${at}.${k}`, detail: `JSONata 表达式错误：${(err as Error).message}` });
            return [];
          }
        }),
      );
    const keys = compile({ ...DEFAULT_KEYS[o.by], ...(o.key ?? {}) }, 'key');
    const checks = compile(o.check, 'check');
    const where = compile(o.where, 'where');
    const page = o.page ? compile({ pageNo: o.page.pageNo, pageSize: o.page.pageSize }, 'page') : undefined;
    const maxPageSize = o.page?.maxPageSize ?? 200;
    const wantRed = env.bound.writes.has('red');
    const wantContent = o.content === true;
    const view = wantContent ? billViewWithContent : billView;
    if (env.bound.writes.has('content') && !wantContent) env.fail('FLOW_BAD_OPTION', ['content'], { path: 'content', detail: '写入 content 需要选项 content: true' });
    if (o.by === 'busDateRange' && !page) env.fail('FLOW_BAD_OPTION', ['page'], { path: 'page', detail: '按时间范围查询需要 page（pageNo、pageSize）' });

    const checkFields = async (row: BillRow, v: unknown, label: { busNo?: string }) => {
      const view = billView(row);
      for (const [field, e] of Object.entries(checks)) {
        const want = text(await e(v));
        if (want === undefined || want === view[field as Checkable]) continue;
        if (field === 'busDateTime' && label.busNo !== undefined) throw hisError('E2002', 'busDateTime', { busNo: label.busNo }, 'busDateTime');
        throw hisError('E2002', 'mismatch', { billBatchCode: row.bill_batch_code, billNo: row.bill_no, field }, field);
      }
    };

    return async ({ in: { value }, out, ctx }) => {
      const bills = ctx.services.bills;
      const k: Record<string, string | undefined> = {};
      for (const [name, e] of Object.entries(keys)) k[name] = text(await e(value));
      if (o.by === 'busDateRange') {
        const filters: Partial<Record<BillFilter, string>> = {};
        for (const [name, e] of Object.entries(where)) {
          const val = text(await e(value));
          if (val !== undefined) filters[name as BillFilter] = val;
        }
        const pageNo = Math.max(1, Math.trunc(Number(text(await page!.pageNo(value)) ?? 1)) || 1);
        const pageSize = Math.min(maxPageSize, Math.max(1, Math.trunc(Number(text(await page!.pageSize(value)) ?? 20)) || 20));
        const found = await bills.range({ from: k.from, to: k.to, where: filters, pageNo, pageSize });
        out.bills = { total: found.total, pageNo, pageSize, items: found.rows.map(view) };
        return;
      }
      const row = o.by === 'busNo' ? await bills.byBusNo(ctx.msg.appid, k.busNo ?? '') : await bills.byNumber(k.billBatchCode ?? '', k.billNo ?? '');
      // A reservation is not a bill yet: "not issued" makes the HIS resend the issue, which resumes it.
      if (!row || row.state !== 'issued') {
        if (o.by === 'busNo') throw hisError('E2002', 'busNo', { busNo: k.busNo ?? '' }, 'busNo');
        throw hisError('E2002', 'billNumber', { billBatchCode: k.billBatchCode ?? '', billNo: k.billNo ?? '' }, 'billNo');
      }
      await checkFields(row, value, { busNo: o.by === 'busNo' ? k.busNo : undefined });
      out.bill = billView(row);
      if (wantContent) out.content = billViewWithContent(row).content;
      if (wantRed) {
        const red = await bills.redOf(row.id);
        if (red) out.red = billView(red);
      }
    };
  },
});
