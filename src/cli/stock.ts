/**
 * `medbill stock`: the bill administrator's commands. Places are registered, ranges received from
 * finance into the unit's store, distributed to places, returned from them, blanks voided with a
 * reason, and the ledger of a number or range shown. Each movement is one ledger row; balances are
 * computed from the ledger. Opens the store alone (no key, no listener), so it runs beside a live
 * medbill, whose next takeNumber sees the new ranges. Exit codes: 0 done, 1 refused (nothing changed).
 */
import type { Command } from 'commander';
import { openStore } from '../store/open-store';
import { loadConfig } from '../config';
import { billKindLabel, billKindOf, Medium, MOVEMENT_ZH, PLACE_TYPES } from '../domain/stock';
import { beijingDisplay } from '../domain/time';
import { stockRefusalError } from '../engine/stock-errors';
import type { StockOutcome, StockStore } from '../store/stock';

class StockMiss extends Error {}

async function withStock(fn: (stock: StockStore) => Promise<void>): Promise<void> {
  const store = await openStore(loadConfig());
  try {
    await fn(store.stock);
  } catch (e) {
    if (!(e instanceof StockMiss)) throw e;
    process.stderr.write(`medbill stock: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
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

  rangeOptions(stock.command('receive').description("receive a range from finance into the unit's store"), 'e-bill (default) or paper stock')
    .requiredOption('--kind <billKind>', 'outpatient, inpatient, … (or its billCode, 0601)')
    .action((o: RangeOpts & { kind: string }) =>
      withStock(async (s) => {
        const r = done(await s.receive({ ...range(o), medium: medium(o.medium) ?? 'ebill', billKind: kind(o.kind) }, who(o)));
        out(`received ${o.code} ${o.from}-${o.to ?? o.from}: ${r.count} number(s) into the unit's store`);
      }),
    );

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
