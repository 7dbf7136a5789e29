/**
 * `medbill stock`: the bill administrator's commands. Places are registered, stock applied for from
 * finance (apply; receive --application takes the approved range in and confirms it), ranges received
 * into the unit's store, distributed to places, returned from them, blanks voided with a
 * reason, and the ledger of a number or range shown. Each movement is one ledger row; balances are
 * computed from the ledger. Opens the store alone (no key, no listener), so it runs beside a live
 * medbill, whose next takeNumber sees the new ranges. Exit codes: 0 done, 1 refused (nothing changed), 2 finance
 * unreachable (apply, receive --application: run it again later, every step is idempotent).
 */
import type { Command } from 'commander';
import { openStore } from '../store/open-store';
import { loadConfig } from '../config';
import { billKindLabel, billKindOf, Medium, MOVEMENT_ZH, PLACE_TYPES } from '../domain/stock';
import { beijingDisplay } from '../domain/time';
import { createFinance } from '../../adapters/finance/bindings';
import { FinanceStockDesk, newApplicationId, type StockStepResult } from '../engine/finance-stock';
import { stockRefusalError } from '../engine/stock-errors';
import { FinanceApplicationStore } from '../store/finance-applications';
import { financeFailed } from './finance';
import type { StockOutcome, StockStore } from '../store/stock';

class StockMiss extends Error {}

async function withStock(fn: (stock: StockStore, store: Awaited<ReturnType<typeof openStore>>) => Promise<void>, cfg = loadConfig()): Promise<void> {
  const store = await openStore(cfg);
  try {
    await fn(store.stock, store);
  } catch (e) {
    if (!(e instanceof StockMiss)) throw e;
    process.stderr.write(`medbill stock: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

/** The finance side of stock (apply, receive an application): the store, the stock ledger and the finance binding. */
async function withFinanceStock(fn: (desk: FinanceStockDesk) => Promise<void>): Promise<void> {
  const cfg = loadConfig();
  return withStock((stock, store) => fn(new FinanceStockDesk(createFinance(cfg), new FinanceApplicationStore(store.db, store.writer, stock))), cfg);
}

const STATE_ZH: Record<string, string> = { new: '未送达财政', pending: '待财政审批', approved: '财政已批准', rejected: '财政已驳回', received: '已入库' };

/** Prints where an application stands; refusals and outages set the exit code (1 refused, 2 unreachable). */
function report(what: string, r: StockStepResult): void {
  if (r.kind === 'invalid') throw new StockMiss(r.message);
  if (r.kind === 'ledger') throw new StockMiss(`申领单 ${r.row.application_id} 的号段未能入库：${stockRefusalError(r.refusal).message}`);
  if (r.kind !== 'ok') return financeFailed(what, r);
  const a = r.row;
  out(
    `application ${a.application_id}: ${a.state} (${STATE_ZH[a.state] ?? a.state}) — ${a.bill_kind} ${a.medium} ×${a.quantity}` +
      (a.bill_batch_code ? `, range ${a.bill_batch_code} ${a.start_no}-${a.end_no}` : '') +
      (a.reject_reason ? `, 驳回原因：${a.reject_reason}` : '') +
      (r.confirmed ? ', receipt confirmed to finance' : ''),
  );
  if (a.state === 'rejected') process.exitCode = 1;
}

function done<T>(r: StockOutcome<T>): T {
  if (!r.ok) throw new StockMiss(stockRefusalError(r).message);
  return r;
}

const out = (line: string) => process.stdout.write(line + '\n');

function medium(s: string | undefined): Medium | undefined {
  if (s === undefined) return undefined;
  if (s !== 'ebill' && s !== 'paper') throw new StockMiss(`--medium ${s}：应为 ebill（电子）或 paper（纸质）`);
  return s;
}

function kind(s: string): string {
  const k = billKindOf(s);
  if (!k) throw new StockMiss(`--kind ${s}：未知的票据种类（outpatient、inpatient、registration、checkup、exchange、donation、nontax、prepay，或其编码如 0601）`);
  return k;
}

interface RangeOpts {
  code: string;
  from: string;
  to?: string;
  medium?: string;
  operator?: string;
  remark?: string;
}
const range = (o: RangeOpts) => ({ billBatchCode: o.code, startNo: o.from, endNo: o.to ?? o.from, medium: medium(o.medium) });
const who = (o: RangeOpts) => ({ operator: o.operator ?? process.env.USER ?? 'admin', remark: o.remark, source: 'cli' as const });

function rangeOptions(c: Command, mediumHelp = 'only when one code is stocked as both'): Command {
  return c
    .requiredOption('--code <billBatchCode>', '票据代码, e.g. 44060126')
    .requiredOption('--from <no>', 'first number, with its leading zeros (0000000001)')
    .option('--to <no>', 'last number (default: --from, one number)')
    .option('--medium <ebill|paper>', mediumHelp)
    .option('--operator <name>', 'who does it (default: $USER)')
    .option('--remark <text>', 'kept on the ledger row');
}

export function registerStock(program: Command): void {
  const stock = program.command('stock').description('bill stock for the administrator: places, receive from finance, distribute, return, void blanks, balances, ledger');

  const place = stock.command('place').description('issuing places (开票点): cashier windows, kiosks, online');
  place
    .command('add <placeCode>')
    .description('register a place (or rename it)')
    .option('--name <name>', 'its name', '')
    .option('--type <type>', `window | kiosk | online (${Object.values(PLACE_TYPES).join('、')})`, 'window')
    .action((code: string, o: { name: string; type: string }) =>
      withStock(async (s) => {
        const r = done(await s.addPlace(code, o.name || code, o.type));
        out(`${r.created ? 'registered' : 'updated'} place ${code} (${o.type})`);
      }),
    );
  place
    .command('list')
    .description('the registered places')
    .action(() =>
      withStock(async (s) => {
        for (const p of await s.places()) out(`${p.place_code}  ${p.type}  ${p.name}`);
      }),
    );

  stock
    .command('list')
    .description("balances: every unused range, in the unit's store and at each place")
    .option('--place <placeCode>', 'only this place')
    .option('--kind <billKind>', 'only this bill kind')
    .option('--code <billBatchCode>', 'only this code')
    .option('--json', 'one JSON object per line')
    .action((o: { place?: string; kind?: string; code?: string; json?: boolean }) =>
      withStock(async (s) => {
        const rows = await s.holdings({ placeCode: o.place, billKind: o.kind ? kind(o.kind) : undefined, billBatchCode: o.code });
        let n = 0;
        for (const h of rows) {
          n += h.count;
          if (o.json) out(JSON.stringify(h));
          else out(`${(h.holder ?? '单位库').padEnd(10)}  ${h.medium.padEnd(5)}  ${billKindLabel(h.billKind)}  ${h.billBatchCode}  ${h.startNo}-${h.endNo}  ${h.count}`);
        }
        if (!o.json) out(`${rows.length} range(s), ${n} unused number(s)`);
      }),
    );

  stock
    .command('apply')
    .description('apply to finance for stock (申领); finance approves it by policy or by hand, then `stock receive --application` takes it in')
    .requiredOption('--kind <billKind>', 'outpatient, inpatient, … (or its billCode, 0601)')
    .requiredOption('--medium <ebill|paper>', 'e-bill or paper stock')
    .requiredOption('--quantity <n>', 'how many numbers')
    .option('--reason <text>', 'why (finance sees it)')
    .option('--id <applicationId>', 'the application id (default: a new one); applying again with one id is one application')
    .option('--operator <name>', 'who applies (default: $USER)')
    .action((o: { kind: string; medium: string; quantity: string; reason?: string; id?: string; operator?: string }) =>
      withFinanceStock(async (desk) => {
        if (!/^\d+$/.test(o.quantity) || Number(o.quantity) < 1) throw new StockMiss(`--quantity ${o.quantity}：应为正整数`);
        const r = await desk.apply({
          applicationId: o.id ?? newApplicationId(),
          billKind: kind(o.kind),
          medium: medium(o.medium)!,
          quantity: Number(o.quantity),
          applicant: o.operator ?? process.env.USER ?? 'admin',
          reason: o.reason,
        });
        report('stock apply', r);
      }),
    );

  stock
    .command('receive')
    .description("receive a range into the unit's store: from a stock application finance approved (--application), or one typed by hand (--code --from --to --kind)")
    .option('--application <applicationId>', 'the approved stock application: downloads its range, receives it, confirms receipt to finance')
    .option('--code <billBatchCode>', '票据代码, e.g. 44060126')
    .option('--from <no>', 'first number, with its leading zeros (0000000001)')
    .option('--to <no>', 'last number (default: --from, one number)')
    .option('--medium <ebill|paper>', 'e-bill (default) or paper stock')
    .option('--kind <billKind>', 'outpatient, inpatient, … (or its billCode, 0601)')
    .option('--operator <name>', 'who does it (default: $USER)')
    .option('--remark <text>', 'kept on the ledger row')
    .action((o: Partial<RangeOpts> & { kind?: string; application?: string }) => {
      if (o.application) {
        const id = o.application;
        return withFinanceStock(async (desk) => report('stock receive', await desk.receive(id, o.operator ?? process.env.USER ?? 'admin')));
      }
      return withStock(async (s) => {
        if (!o.code || !o.from || !o.kind) throw new StockMiss('需要 --application <申领单号>，或 --code、--from 与 --kind（手工领入的号段）');
        const ro = o as RangeOpts;
        const r = done(await s.receive({ ...range(ro), medium: medium(o.medium) ?? 'ebill', billKind: kind(o.kind) }, who(ro)));
        out(`received ${o.code} ${o.from}-${o.to ?? o.from}: ${r.count} number(s) into the unit's store`);
      });
    });

  rangeOptions(stock.command('distribute').description("hand a range of the unit's store to a place"))
    .requiredOption('--place <placeCode>', 'the place that will issue from it')
    .action((o: RangeOpts & { place: string }) =>
      withStock(async (s) => {
        const r = done(await s.distribute(o.place, range(o), who(o)));
        out(`distributed ${o.code} ${o.from}-${o.to ?? o.from} to ${o.place}: ${r.count} ${r.medium} number(s) of ${r.billKind}`);
      }),
    );

  rangeOptions(stock.command('return').description("take unused numbers back from a place into the unit's store"))
    .requiredOption('--place <placeCode>', 'the place giving them back')
    .option('--reason <text>', 'why')
    .action((o: RangeOpts & { place: string; reason?: string }) =>
      withStock(async (s) => {
        const r = done(await s.giveBack(o.place, range(o), { ...who(o), reason: o.reason }));
        out(`returned ${o.code} ${o.from}-${o.to ?? o.from} from ${o.place}: ${r.count} number(s)`);
      }),
    );

  rangeOptions(stock.command('void').description('void blank (unused) numbers with a reason, at a place or in the store'))
    .requiredOption('--reason <text>', 'why (kept on the ledger)')
    .option('--place <placeCode>', "the place holding them (default: the unit's store)")
    .action((o: RangeOpts & { place?: string; reason: string }) =>
      withStock(async (s) => {
        if (!o.reason.trim()) throw new StockMiss('--reason 不能为空');
        const r = done(await s.voidBlank(o.place, range(o), o.reason, who(o)));
        out(`voided ${o.code} ${o.from}-${o.to ?? o.from}${o.place ? ` at ${o.place}` : ''}: ${r.count} number(s)`);
      }),
    );

  stock
    .command('ledger')
    .description('every movement and bill of one number or a range, in time order')
    .requiredOption('--code <billBatchCode>', '票据代码')
    .requiredOption('--from <no>', 'the number (or the first of the range)')
    .option('--to <no>', 'last number of the range')
    .option('--json', 'one JSON object per line')
    .action((o: { code: string; from: string; to?: string; json?: boolean }) =>
      withStock(async (s) => {
        const { entries } = done(await s.ledger(o.code, o.from, o.to ?? o.from));
        if (!entries.length) throw new StockMiss(`号段 ${o.code} ${o.from}-${o.to ?? o.from} 没有任何记录（从未领入）`);
        for (const e of entries) {
          if (o.json) out(JSON.stringify(e));
          else
            out(
              `${beijingDisplay(e.at)}  ${(MOVEMENT_ZH as Record<string, string>)[e.what] ?? e.what}  ${e.billBatchCode} ${e.startNo}${e.endNo !== e.startNo ? `-${e.endNo}` : ''}` +
                `${e.placeCode ? `  开票点 ${e.placeCode}` : ''}${e.busNo ? `  busNo ${e.busNo}` : ''}${e.operator ? `  ${e.operator}` : ''}${e.reason ? `  原因：${e.reason}` : ''}`,
            );
        }
      }),
    );
}
