/**
 * stock: the HIS's view of the bill stock (src/store/stock.ts), one kind for the five stock services,
 * chosen by `op`:
 *   - distribute / return: billStockOut / billStockReturn — a list of ranges to or back from a place,
 *     all or none, each one ledger row (copyNum checked against the range);
 *   - holdings: getValidBillNo — a place's unused ranges (optionally of one billCode / code);
 *   - codes: getValidBillBatchCode — the codes a place holds, by billCode;
 *   - distributions: getBillStockOutList — what was distributed in a date window (all places or one).
 * Field expressions are JSONata over the value read (the request), so a dialect with other names is a
 * flow option, not code. The query ops write a neutral result a response mapping shapes.
 */
import jsonata from 'jsonata';
import { BILL_KINDS, billKindOf, billTypeOf, isBillKind, parseSpan } from '../../domain/stock';
import { isoBeijing, parseBeijingTime } from '../../domain/time';
import { hisError } from '../errors';
import type { PortMap } from '../slots';
import { defineStep } from '../step';
import { stockRefusalError } from '../stock-errors';

type Op = 'distribute' | 'return' | 'holdings' | 'codes' | 'distributions';
interface Options {
  op: Op;
  /** JSONata per field; defaults are the v3.2 names */
  fields?: Record<string, string>;
}

const DEFAULT_FIELDS: Record<string, string> = {
  placeCode: 'placeCode',
  operator: 'operator',
  returner: 'returner',
  reason: 'reason',
  remark: 'remark',
  list: 'billNoList',
  billCode: 'billCode',
  billBatchCode: 'billBatchCode',
  bgnDate: 'bgnDate',
  endDate: 'endDate',
};

const reads = { value: { type: 'Json', free: true, doc: 'the request the field expressions read (usually input)' } } as const;
const queryWrites = { result: { type: 'Json', free: true, doc: '{ count, items } for the response mapping' } } as const;

const text = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));

export const stockStep = defineStep<Options, typeof reads, PortMap>({
  kind: 'stock',
  doc:
    "Bill stock for the HIS, by op: distribute (billStockOut) and return (billStockReturn) move a list of ranges to or back from the place, all or none; holdings (getValidBillNo), codes (getValidBillBatchCode) and distributions (getBillStockOutList) read it. Refusals: E2101–E2106.",
  optionsSchema: {
    type: 'object',
    required: ['op'],
    additionalProperties: false,
    properties: {
      op: { enum: ['distribute', 'return', 'holdings', 'codes', 'distributions'] },
      fields: { type: 'object', propertyNames: { enum: Object.keys(DEFAULT_FIELDS) }, additionalProperties: { type: 'string' }, description: 'JSONata per request field' },
    },
  },
  reads,
  writes: (o) => (o.op === 'distribute' || o.op === 'return' ? {} : queryWrites),
  prepare(o, env) {
    const exprs: Record<string, (v: unknown) => Promise<unknown>> = {};
    for (const [k, src] of Object.entries({ ...DEFAULT_FIELDS, ...(o.fields ?? {}) })) {
      try {
        const e = jsonata(src);
        exprs[k] = (v) => e.evaluate(v);
      } catch (err) {
        env.fail('FLOW_BAD_OPTION', ['fields', k], { path: `fields.${k}`, detail: `JSONata 表达式错误：${(err as Error).message}` });
      }
    }
    const field = async (k: string, v: unknown): Promise<string | undefined> => text(await exprs[k]?.(v));

    return async ({ in: { value }, out, ctx }) => {
      const stock = ctx.services.stock;
      const placeCode = await field('placeCode', value);
      const billNames = ctx.services.config.unit.billNames;
      const nameOf = (kind: string) => billNames[kind] ?? (isBillKind(kind) ? BILL_KINDS[kind].name : kind);
      const codeOf = (kind: string) => (isBillKind(kind) ? BILL_KINDS[kind].billCode : kind);

      if (o.op === 'distribute' || o.op === 'return') {
        const list = (await exprs.list?.(value)) as Record<string, unknown>[] | undefined;
        const refs = [];
        for (const item of Array.isArray(list) ? list : []) {
          const r = { billBatchCode: text(item.billBatchCode) ?? '', startNo: text(item.billBgnNo) ?? '', endNo: text(item.billEndNo) ?? '', billCode: text(item.billCode) };
          if (r.billCode && !billKindOf(r.billCode)) throw hisError('E2106', 'unknownBillCode', { billCode: r.billCode }, 'billCode');
          const span = parseSpan(r.startNo, r.endNo);
          if ('error' in span) throw hisError('E2102', 'badRange', { detail: span.error }, 'billBgnNo');
          const copyNum = text(item.copyNum);
          if (copyNum !== undefined && Number(copyNum) !== span.end - span.start + 1)
            throw hisError('E2102', 'copyNum', { copyNum, billBgnNo: r.startNo, billEndNo: r.endNo, count: span.end - span.start + 1 }, 'copyNum');
          refs.push(r);
        }
        if (ctx.dryRun) return;
        const who = {
          operator: o.op === 'distribute' ? await field('operator', value) : await field('returner', value),
          remark: await field('remark', value),
          reason: await field('reason', value),
          source: 'his' as const,
        };
        const done = await stock.moveAll(o.op, placeCode ?? '', refs, who);
        if (!done.ok) throw stockRefusalError(done);
        return;
      }

      if (o.op === 'distributions') {
        const from = dayStart(await field('bgnDate', value), 'bgnDate');
        const to = dayStart(await field('endDate', value), 'endDate') + 86_400_000 - 1;
        const rows = await stock.distributions(placeCode, from, to);
        const items = rows.map((m) => ({
          at: Number(m.at),
          date: isoBeijing(Number(m.at)).slice(0, 10),
          placeCode: m.place_code,
          billCode: codeOf(m.bill_kind),
          billName: nameOf(m.bill_kind),
          billBatchCode: m.bill_batch_code,
          startNo: String(m.start_no).padStart(m.no_len, '0'),
          endNo: String(m.end_no).padStart(m.no_len, '0'),
          billType: billTypeOf(m.medium),
          count: Number(m.end_no) - Number(m.start_no) + 1,
        }));
        out.result = { count: items.length, items };
        return;
      }

      const billCode = await field('billCode', value);
      const billKind = billCode ? billKindOf(billCode) : undefined;
      if (billCode && !billKind) throw hisError('E2106', 'unknownBillCode', { billCode }, 'billCode');
      const held = await stock.holdings({ placeCode: placeCode ?? '', billKind, billBatchCode: o.op === 'holdings' ? await field('billBatchCode', value) : undefined });
      if (o.op === 'holdings') {
        const items = held.map((h) => ({ billCode: codeOf(h.billKind), billName: nameOf(h.billKind), billBatchCode: h.billBatchCode, startNo: h.startNo, endNo: h.endNo, billType: billTypeOf(h.medium), count: h.count }));
        out.result = { count: items.length, items };
        return;
      }
      const byCode = new Map<string, Set<string>>();
      for (const h of held) {
        const k = codeOf(h.billKind);
        (byCode.get(k) ?? byCode.set(k, new Set()).get(k)!).add(h.billBatchCode);
      }
      const items = [...byCode].sort(([a], [b]) => a.localeCompare(b)).map(([code, batches]) => ({ billCode: code, billBatchCodes: [...batches].sort().map((b) => ({ billBatchCode: b })) }));
      out.result = { count: items.length, items };
    };
  },
});

/** yyyy-MM-dd (Beijing) → the day's first millisecond. */
function dayStart(s: string | undefined, field: string): number {
  const t = s && /^\d{4}-\d{2}-\d{2}$/.test(s) ? parseBeijingTime(`${s}T00:00:00`) : null;
  if (t === null) throw hisError('E2102', 'badDate', { field, value: s ?? '' }, field);
  return t;
}
