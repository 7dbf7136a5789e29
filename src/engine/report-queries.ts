/**
 * The named queries (and the few bookkeeping commands) of the `report` step: reconciliation (对账) and
 * accounting sheets (汇总单). Each names the request values it reads and the fixed options a flow gives
 * it; its result is a plain object in the vendor's field names, which the flow's response mapping
 * shapes. SQL lives in src/store/reports.ts, the arithmetic in src/domain/reconcile.ts; the meaning of
 * every figure is in docs/reference/accounting-and-reconciliation.md.
 */
import { fen } from '../domain/money';
import {
  billRuns,
  checkFigures,
  compareBills,
  compareRuns,
  dayBounds,
  daysBetween,
  HisRun,
  ListedBill,
  money2,
  pageOf,
  ReconBill,
  signedFen,
  sumFen,
} from '../domain/reconcile';
import { stamp17 } from '../domain/time';
import type { DateBasis, DayBillRow, ListDataType, PushKind, SheetRow } from '../store/reports';
import type { JsonSchema } from './catalogue';
import { hisError } from './errors';
import type { StepContext } from './step';

export type Params = Record<string, unknown>;
type Json = Record<string, unknown>;

export interface ReportQuery {
  doc: string;
  /** the request values it reads (each `name` from the field of that name unless the flow says otherwise) */
  params: readonly string[];
  /** the fixed options a flow gives it */
  options: JsonSchema;
  /** true: it writes (dry runs skip it) */
  writes?: boolean;
  run(ctx: StepContext, p: Params, o: Json): Promise<Json>;
}

const MAX_PAGE = 200;
const txt = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const opt = (v: unknown): string | undefined => (txt(v) === '' ? undefined : txt(v));
const basisOf = (o: Json): DateBasis => (o.basis === 'ivc' ? 'ivc' : 'bus');
const kindOf = (o: Json): 'blue' | 'red' => (o.kind === 'red' ? 'red' : 'blue');
const billName = (ctx: StepContext) => (billKind: string) => ctx.services.config.unit.billNames[billKind] ?? billKind;
const page = (ctx: StepContext, p: Params) => pageOf(p.pageNo, p.pageSize, MAX_PAGE, ctx.services.config.reconcile.defaultPageSize);

/** yyyy-MM-dd → its day bounds, or E2504 naming the field. */
function day(field: string, value: unknown): { from: string; to: string } {
  const b = dayBounds(txt(value));
  if (!b) throw hisError('E2504', 'notADay', { field, value: txt(value) }, field);
  return b;
}

function period(bgnField: string, bgn: string, endField: string, end: string, maxDays: number): void {
  const n = daysBetween(bgn, end);
  if (n < 1) throw hisError('E2504', 'order', { bgnField, bgn, endField, end }, endField);
  if (n > maxDays) throw hisError('E2504', 'tooLong', { bgnField, endField, days: maxDays }, endField);
}

/** A 17-digit time range; the date part must be a calendar day and the end not before the start. */
function timeRange(ctx: StepContext, p: Params): { from: string; to: string } {
  const from = txt(p.from);
  const to = txt(p.to);
  const asDay = (s: string) => `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
  period('busBgnDate', asDay(from), 'busEndDate', asDay(to), ctx.services.config.reconcile.maxListDays);
  if (to < from) throw hisError('E2504', 'order', { bgnField: 'busBgnDate', bgn: from, endField: 'busEndDate', end: to }, 'busEndDate');
  return { from, to };
}

const reconBill = (r: DayBillRow): ReconBill => ({
  busType: r.bus_type ?? '',
  placeCode: r.place_code ?? '',
  billKind: r.bill_kind,
  billBatchCode: r.bill_batch_code,
  billNo: r.bill_no,
  fen: signedFen(r.total_amt, r.kind),
});

async function runsOfDay(ctx: StepContext, basis: DateBasis, kind: 'blue' | 'red', dateField: string, p: Params) {
  const b = day(dateField, p.date);
  const rows = await ctx.services.reports.dayBills({ basis, kind, ...b, busType: opt(p.busType), placeCode: opt(p.placeCode) });
  return billRuns(rows.map(reconBill));
}

const dateFieldOf = (o: Json) => (basisOf(o) === 'ivc' ? 'ivcDate' : 'busDate');

/** What the HIS pushed, as runs (receive* validated it when it arrived). */
const hisRuns = (list: unknown): HisRun[] =>
  (Array.isArray(list) ? (list as Json[]) : []).map((e) => ({
    busType: opt(e.busType),
    placeCode: opt(e.placeCode),
    billBatchCode: txt(e.billBatchCode),
    bgnNo: txt(e.bgnNo),
    endNo: txt(e.endNo),
    copyNum: Number(e.copyNum),
    fen: fen(txt(e.totalAmt) || '0'),
  }));

const scopeOfDay = (p: Params) => [txt(p.date), txt(p.placeCode), txt(p.busType)].join('|');
const scopeOfRange = (p: Params) => [txt(p.from), txt(p.to), txt(p.placeCode)].join('|');
const RECEIVE_SERVICE: Record<PushKind, string> = { total: 'receiveCheckTotalData', writeOff: 'receiveCheckWriteOffData', bills: 'receiveBillByBusDate' };

/** What query* answers: both sides' totals, equal or not, and one page of the differences. */
function comparison(receiveTime: string, his: { num: number; fen: bigint }, plat: { num: number; fen: bigint }, diffs: readonly unknown[], pg: { pageNo: number; pageSize: number }): Json {
  return {
    checkResult: his.num === plat.num && his.fen === plat.fen && diffs.length === 0 ? '1' : '0',
    receiveTime,
    hisTotalNum: his.num,
    hisTotalAmt: money2(his.fen),
    platTotalNum: plat.num,
    platTotalAmt: money2(plat.fen),
    total: diffs.length,
    pageNo: pg.pageNo,
    diffList: diffs.slice((pg.pageNo - 1) * pg.pageSize, pg.pageNo * pg.pageSize),
  };
}

function sheetView(ctx: StepContext, s: SheetRow): Json {
  const blue = BigInt(s.blue_fen);
  const red = BigInt(s.red_fen);
  return {
    accountNo: s.account_no,
    placeCode: s.place_code,
    bgnDate: s.bgn_date,
    endDate: s.end_date,
    dateBasis: s.date_basis,
    state: s.state,
    copyNum: Number(s.blue_num) + Number(s.red_num),
    normalNum: Number(s.blue_num),
    normalAmt: money2(blue),
    scarletNum: Number(s.red_num),
    scarletAmt: money2(red),
    totalAmt: money2(blue + red),
    operator: s.operator,
    remark: s.remark ?? undefined,
    createTime: s.create_time,
    registerOperator: s.register_operator ?? undefined,
    registerTime: s.register_time ?? undefined,
    cancelOperator: s.cancel_operator ?? undefined,
    cancelReason: s.cancel_reason ?? undefined,
    cancelTime: s.cancel_time ?? undefined,
    unitName: ctx.services.config.unit.name,
  };
}

const KIND_OPTION = { kind: { enum: ['blue', 'red'] } };
const BASIS_OPTION = { basis: { enum: ['bus', 'ivc'] } };
const PUSH_OPTION = { push: { enum: ['total', 'writeOff'] } };
const closed = (properties: Json): JsonSchema => ({ type: 'object', additionalProperties: false, properties });

export const REPORT_QUERIES: Record<string, ReportQuery> = {
  dayTotals: {
    doc: 'checkTotalData & co: one day of issued blue (kind blue) or red (kind red) e-bills by business or issue date (basis), as runs of consecutive numbers per busType, place and code, with page and whole totals.',
    params: ['date', 'busType', 'placeCode', 'isReturnList', 'pageNo', 'pageSize'],
    options: closed({ ...KIND_OPTION, ...BASIS_OPTION }),
    async run(ctx, p, o) {
      const runs = await runsOfDay(ctx, basisOf(o), kindOf(o), dateFieldOf(o), p);
      return { ...checkFigures(txt(p.date), runs, billName(ctx), page(ctx, p), txt(p.isReturnList) !== '0') };
    },
  },

  billList: {
    doc: 'getBillByBusDate & co: every use of a number in a time range (e-bills, voided numbers, red e-bills, paper conversions), by business or issue time (basis), one page.',
    params: ['from', 'to', 'placeCode', 'dataType', 'pageNo', 'pageSize'],
    options: closed(BASIS_OPTION),
    async run(ctx, p, o) {
      const r = timeRange(ctx, p);
      const pg = page(ctx, p);
      const dt = opt(p.dataType);
      // dataType 5 (blank paper voided) lives with the paper bills.
      if (dt && !['1', '2', '3', '4'].includes(dt)) return { total: 0, pageNo: pg.pageNo, billList: [] };
      const found = await ctx.services.reports.billList({ basis: basisOf(o), ...r, placeCode: opt(p.placeCode), dataType: dt as ListDataType | undefined, ...pg });
      const name = billName(ctx);
      return {
        total: found.total,
        pageNo: pg.pageNo,
        billList: found.rows.map((b) => ({
          busDate: b.bus_dt ?? '',
          busNo: b.bus_no ?? '',
          placeCode: b.place_code ?? '',
          billName: name(b.bill_kind),
          billBatchCode: b.bill_batch_code,
          billNo: b.bill_no,
          random: b.random ?? '',
          totalAmt: money2(signedFen(b.total_amt, b.kind)),
          ivcDateTime: b.ivc ?? '',
          dataType: b.data_type,
          state: b.state === 'voided' ? '2' : '1',
          relateBillBatchCode: b.rel_code ?? '',
          relateBillNo: b.rel_no ?? '',
        })),
      };
    },
  },

  receiveTotals: {
    doc: 'receiveCheckTotalData / receiveCheckWriteOffData: checks what the HIS pushed adds up (E2506) and stores it for its scope (day, place, busType), replacing an earlier push.',
    params: ['date', 'busType', 'placeCode', 'allTotalNum', 'allTotalAmt', 'billNoList'],
    options: closed(PUSH_OPTION),
    writes: true,
    async run(ctx, p, o) {
      day('busDate', p.date);
      const runs = hisRuns(p.billNoList);
      runs.forEach((r, i) => {
        const span = BigInt(r.endNo) - BigInt(r.bgnNo) + 1n;
        if (span !== BigInt(r.copyNum)) throw hisError('E2506', 'range', { index: i + 1, bgnNo: r.bgnNo, endNo: r.endNo, span: span.toString(), copyNum: r.copyNum }, 'billNoList');
      });
      if (runs.length) {
        const num = runs.reduce((s, r) => s + r.copyNum, 0);
        if (num !== Number(p.allTotalNum)) throw hisError('E2506', 'sum', { field: 'allTotalNum', total: txt(p.allTotalNum), list: 'billNoList.copyNum', sum: num }, 'allTotalNum');
        const amt = sumFen(runs);
        if (amt !== fen(txt(p.allTotalAmt))) throw hisError('E2506', 'sum', { field: 'allTotalAmt', total: txt(p.allTotalAmt), list: 'billNoList.totalAmt', sum: money2(amt) }, 'allTotalAmt');
      }
      const kind = (o.push === 'writeOff' ? 'writeOff' : 'total') as PushKind;
      await ctx.services.reports.savePush(ctx.msg.appid, kind, scopeOfDay(p), 1, { allTotalNum: Number(p.allTotalNum), allTotalAmt: txt(p.allTotalAmt), billNoList: p.billNoList ?? [] }, stamp17());
      return {};
    },
  },

  compareTotals: {
    doc: 'queryCheckTotalData / queryCheckWriteOffData: what the HIS pushed for the scope beside medbill’s own figures now, with every range that differs.',
    params: ['date', 'busType', 'placeCode', 'pageNo', 'pageSize'],
    options: closed(PUSH_OPTION),
    async run(ctx, p, o) {
      const kind = (o.push === 'writeOff' ? 'writeOff' : 'total') as PushKind;
      day('busDate', p.date);
      const pushed = await ctx.services.reports.pushes(ctx.msg.appid, kind, scopeOfDay(p));
      if (!pushed.length) throw hisError('E2505', 'notReceived', { scope: `busDate ${txt(p.date)}${opt(p.placeCode) ? `，placeCode ${txt(p.placeCode)}` : ''}`, service: RECEIVE_SERVICE[kind] });
      const his = pushed[0].payload as Json;
      const mine = await runsOfDay(ctx, 'bus', kind === 'writeOff' ? 'red' : 'blue', 'busDate', p);
      const hisNum = Number(his.allTotalNum);
      const hisFen = fen(txt(his.allTotalAmt) || '0');
      const platNum = mine.reduce((s, r) => s + r.copyNum, 0);
      const platFen = sumFen(mine);
      const hasList = Array.isArray(his.billNoList) && (his.billNoList as unknown[]).length > 0;
      const diffs = hasList ? compareRuns(hisRuns(his.billNoList), mine) : [];
      return {
        busDate: txt(p.date),
        ...comparison(pushed[0].receivedTime, { num: hisNum, fen: hisFen }, { num: platNum, fen: platFen }, diffs, page(ctx, p)),
        diffNum: platNum - hisNum,
        diffAmt: money2(platFen - hisFen),
      };
    },
  },

  receiveBills: {
    doc: 'receiveBillByBusDate: stores one page of the HIS’s own bill list of a time range (a repeat of the page replaces it).',
    params: ['from', 'to', 'placeCode', 'billList', 'pageNo'],
    options: closed({}),
    writes: true,
    async run(ctx, p) {
      timeRange(ctx, p);
      const pageNo = pageOf(p.pageNo, 1, Number.MAX_SAFE_INTEGER, 1).pageNo;
      await ctx.services.reports.savePush(ctx.msg.appid, 'bills', scopeOfRange(p), pageNo, { billList: p.billList ?? [] }, stamp17());
      return {};
    },
  },

  compareBills: {
    doc: 'queryBillByBusDate: the HIS’s pushed bill list (all pages) against medbill’s e-bills and red e-bills of the range, bill by bill; one page of the differences.',
    params: ['from', 'to', 'placeCode', 'pageNo', 'pageSize'],
    options: closed({}),
    async run(ctx, p) {
      const r = timeRange(ctx, p);
      const pushed = await ctx.services.reports.pushes(ctx.msg.appid, 'bills', scopeOfRange(p));
      if (!pushed.length) throw hisError('E2505', 'notReceived', { scope: `${r.from}–${r.to}${opt(p.placeCode) ? `，placeCode ${txt(p.placeCode)}` : ''}`, service: RECEIVE_SERVICE.bills });
      const his: ListedBill[] = pushed.flatMap((x) => ((x.payload as Json).billList as Json[]).map((b) => ({ busNo: txt(b.busNo), billBatchCode: txt(b.billBatchCode), billNo: txt(b.billNo), fen: fen(txt(b.totalAmt) || '0') })));
      const plat: ListedBill[] = [];
      for (const kind of ['1', '2'] as const) {
        for (let pageNo = 1; ; pageNo++) {
          const got = await ctx.services.reports.billList({ basis: 'bus', ...r, placeCode: opt(p.placeCode), dataType: kind, pageNo, pageSize: 1000 });
          for (const b of got.rows) if (b.state === 'issued') plat.push({ busNo: b.bus_no ?? '', billBatchCode: b.bill_batch_code, billNo: b.bill_no, fen: signedFen(b.total_amt, b.kind) });
          if (pageNo * 1000 >= got.total) break;
        }
      }
      return comparison(pushed[pushed.length - 1].receivedTime, { num: his.length, fen: sumFen(his) }, { num: plat.length, fen: sumFen(plat) }, compareBills(his, plat), page(ctx, p));
    },
  },

  generateAccount: {
    doc: 'generateAccount: a new accounting sheet over the issued bills (blue and red) of the period and place that are neither booked nor on a live sheet (accounting.* in the config).',
    params: ['placeCode', 'bgnDate', 'endDate', 'operator', 'remark'],
    options: closed({}),
    writes: true,
    async run(ctx, p) {
      const a = ctx.services.config.accounting;
      const bgn = day('bgnDate', p.bgnDate);
      const end = day('endDate', p.endDate);
      period('bgnDate', txt(p.bgnDate), 'endDate', txt(p.endDate), a.maxDays);
      const out = await ctx.services.reports.generateSheet({
        appid: ctx.msg.appid,
        placeCode: txt(p.placeCode),
        bgnDate: txt(p.bgnDate),
        endDate: txt(p.endDate),
        basis: a.dateBasis,
        from: bgn.from,
        to: end.to,
        operator: txt(p.operator),
        remark: opt(p.remark),
        prefix: a.numberPrefix,
        allowEmpty: a.allowEmpty,
        createTime: stamp17(),
        total(rows) {
          let blueNum = 0;
          let redNum = 0;
          let blueFen = 0n;
          let redFen = 0n;
          for (const r of rows) {
            if (r.kind === 'red') (redNum++, (redFen += signedFen(r.total_amt, 'red')));
            else (blueNum++, (blueFen += signedFen(r.total_amt, 'blue')));
          }
          return { blueNum, blueFen, redNum, redFen };
        },
      });
      if (out.kind === 'empty') throw hisError('E2503', 'empty', { bgnDate: txt(p.bgnDate), endDate: txt(p.endDate), placeCode: txt(p.placeCode) || '全部' });
      return sheetView(ctx, out.sheet);
    },
  },

  accountList: {
    doc: 'getEBillAcList: the sheets generated in a period (by their generation date), optionally of one place and state, one page.',
    params: ['bgnDate', 'endDate', 'placeCode', 'state', 'pageNo', 'pageSize'],
    options: closed({}),
    async run(ctx, p) {
      const bgn = day('bgnDate', p.bgnDate);
      const end = day('endDate', p.endDate);
      period('bgnDate', txt(p.bgnDate), 'endDate', txt(p.endDate), 366);
      const pg = page(ctx, p);
      const found = await ctx.services.reports.sheets({ from: bgn.from, to: end.to, placeCode: opt(p.placeCode), state: opt(p.state), ...pg });
      return { total: found.total, pageNo: pg.pageNo, accountList: found.rows.map((s) => sheetView(ctx, s)) };
    },
  },

  accountBills: {
    doc: 'downEBillAccount: a sheet with its figures and one page of its bills.',
    params: ['accountNo', 'pageNo', 'pageSize'],
    options: closed({}),
    async run(ctx, p) {
      const sheet = await ctx.services.reports.sheet(txt(p.accountNo));
      if (!sheet) throw hisError('E2501', 'accountNo', { accountNo: txt(p.accountNo) }, 'accountNo');
      const pg = page(ctx, p);
      const found = await ctx.services.reports.sheetBills(sheet.id, pg.pageNo, pg.pageSize);
      const name = billName(ctx);
      return {
        ...sheetView(ctx, sheet),
        total: found.total,
        pageNo: pg.pageNo,
        billList: found.rows.map((b) => ({
          busNo: b.bus_no ?? '',
          busType: b.bus_type ?? '',
          placeCode: b.place_code ?? '',
          billName: name(b.bill_kind),
          billBatchCode: b.bill_batch_code,
          billNo: b.bill_no,
          random: b.random ?? '',
          totalAmt: money2(signedFen(b.total_amt, b.kind)),
          busDateTime: b.bus_date_time ?? '',
          ivcDateTime: b.create_time ?? '',
          dataType: b.kind === 'red' ? '2' : '1',
          relateBillBatchCode: b.rel_code ?? '',
          relateBillNo: b.rel_no ?? '',
        })),
      };
    },
  },

  registerAccount: {
    doc: 'registerEBillAcc: books a generated sheet (its bills’ account_state becomes 1); booking a booked sheet again changes nothing. A cancelled sheet: E2502.',
    params: ['accountNo', 'operator'],
    options: closed({}),
    writes: true,
    async run(ctx, p) {
      const r = await ctx.services.reports.registerSheet(txt(p.accountNo), txt(p.operator), stamp17());
      if (r.kind === 'notFound') throw hisError('E2501', 'accountNo', { accountNo: txt(p.accountNo) }, 'accountNo');
      if (r.kind === 'state') throw hisError('E2502', 'cancelled', { accountNo: txt(p.accountNo) }, 'accountNo');
      return sheetView(ctx, r.sheet);
    },
  },

  cancelAccount: {
    doc: 'cancelEBillAcc: cancels a sheet and releases its bills (not booked, on no sheet); a booked sheet only when accounting.cancelBooked (else E2502). Cancelling again changes nothing.',
    params: ['accountNo', 'operator', 'reason'],
    options: closed({}),
    writes: true,
    async run(ctx, p) {
      const r = await ctx.services.reports.cancelSheet(txt(p.accountNo), txt(p.operator), txt(p.reason), stamp17(), ctx.services.config.accounting.cancelBooked);
      if (r.kind === 'notFound') throw hisError('E2501', 'accountNo', { accountNo: txt(p.accountNo) }, 'accountNo');
      if (r.kind === 'state') throw hisError('E2502', 'booked', { accountNo: txt(p.accountNo) }, 'accountNo');
      return sheetView(ctx, r.sheet);
    },
  },
};
