/**
 * `medbill trace`: the story of one message, business serial number or bill — every message (with its
 * replay chain and the steps it took), the bills and the outbox jobs — in Beijing time. Ids, codes and
 * messages only: the raw request (names, ID numbers) is printed only with --raw, job payloads never.
 */
import { Command } from 'commander';
import { openStore } from '../store/open-store';
import { loadConfig } from '../config';
import { beijingDisplay, isoBeijing, parseStamp17 } from '../domain/time';
import type { Db } from '../store/db';
import type { BillRow } from '../store/bills';
import type { MessageRow } from '../store/messages';
import { EXIT, messageIds, usage, usageErrorsExitTwo } from './on-call-args';

interface TraceOptions {
  msgId?: string;
  busNo?: string;
  bill?: string;
  billBatchCode?: string;
  billNo?: string;
  json?: boolean;
  raw?: boolean;
}

interface JobRow {
  id: number;
  topic: string;
  status: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  message_id: string | null;
  bus_no: string | null;
  created_at: number;
  updated_at: number;
  next_attempt_at: number;
}

interface Story {
  messages: MessageRow[];
  bills: BillRow[];
  jobs: JobRow[];
}

const HELP_AFTER = `
Exactly one of --msg-id, --bus-no, --bill (or --bill-batch-code with --bill-no).
Times are Beijing time: 2026-11-25 09:30:15.123 +08:00 (--json: 2026-11-25T09:30:15.123+08:00).
Replays are followed both ways (replay of / replayed by). The raw request holds personal data and is
printed only with --raw; outbox payloads are never printed.
Exit: 0 found; 1 nothing found; 2 an invalid argument.
`;

export function registerTrace(program: Command): void {
  const cmd = program
    .command('trace')
    .description('every message (and its replays), bill and outbox job of one message id, business serial number or bill, in time order')
    .option('--msg-id <id>', 'a message id (from a log line, replay or trace)')
    .option('--bus-no <busNo>', 'business serial number (busNo)')
    .option('--bill <code-no>', 'a bill number: <billBatchCode>-<billNo>, e.g. 44060126-0000000001')
    .option('--bill-batch-code <code>', 'bill batch code (票据代码), with --bill-no')
    .option('--bill-no <no>', 'bill number (票据号码), with --bill-batch-code')
    .option('--json', 'one JSON object per line (type message | bill | job)')
    .option('--raw', 'also print the raw request as received (contains personal data)')
    .addHelpText('after', HELP_AFTER);
  usageErrorsExitTwo(cmd).action(async (opts: TraceOptions) => {
    process.exitCode = await trace(cmd, opts);
  });
}

function billNumber(cmd: Command, opts: TraceOptions): { code: string; no: string } | undefined {
  if (opts.bill) {
    const m = /^\s*([0-9A-Za-z]{1,20})-(\d{1,20})\s*$/.exec(opts.bill);
    if (!m) usage(cmd, `--bill ${opts.bill} is not a bill number: <billBatchCode>-<billNo>, e.g. 44060126-0000000001`);
    return { code: m[1], no: m[2] };
  }
  if (opts.billBatchCode || opts.billNo) {
    if (!opts.billBatchCode || !opts.billNo) usage(cmd, '--bill-batch-code and --bill-no go together (or use --bill <code>-<no>)');
    return { code: opts.billBatchCode.trim(), no: opts.billNo.trim() };
  }
  return undefined;
}

async function trace(cmd: Command, opts: TraceOptions): Promise<number> {
  const bill = billNumber(cmd, opts);
  const given = [opts.msgId, opts.busNo, bill].filter((v) => v !== undefined).length;
  if (given !== 1) usage(cmd, given ? 'give one of --msg-id, --bus-no, --bill (not several)' : 'say what to trace: --msg-id, --bus-no or --bill');
  const msgId = opts.msgId ? messageIds(cmd, [opts.msgId])[0] : undefined;
  const store = await openStore(loadConfig());
  try {
    const story = msgId ? await byMessage(store, msgId) : opts.busNo ? await byBusNo(store, opts.busNo) : await byBill(store, bill!.code, bill!.no);
    if (!story.messages.length && !story.bills.length && !story.jobs.length) {
      const what = msgId ? `message ${msgId}` : opts.busNo ? `message, bill or job for busNo ${opts.busNo}` : `bill ${bill!.code}-${bill!.no}`;
      process.stderr.write(`no ${what}\n`);
      return EXIT.failed;
    }
    if (opts.json) printJson(story, !!opts.raw);
    else printText(story, !!opts.raw);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

type Store = Awaited<ReturnType<typeof openStore>>;

async function byMessage(store: Store, id: string): Promise<Story> {
  const m = await store.messages.get(id);
  if (!m) return { messages: [], bills: [], jobs: [] };
  return around(store, await store.messages.chainOf([id]));
}

async function byBusNo(store: Store, busNo: string): Promise<Story> {
  const direct = await store.messages.find({ busNo, limit: 10_000 });
  const messages = direct.length ? await store.messages.chainOf(direct.map((m) => m.id)) : [];
  return around(store, messages, [busNo]);
}

async function byBill(store: Store, code: string, no: string): Promise<Story> {
  const found = (await store.db<BillRow>('bills').where({ bill_batch_code: code, bill_no: no })) as BillRow[];
  if (!found.length) return { messages: [], bills: [], jobs: [] };
  const busNos = found.map((b) => b.bus_no ?? voidedBusNo(b)).filter((b): b is string => !!b);
  const ids = found.map((b) => b.message_id).filter((id): id is string => !!id);
  const direct = [...ids];
  for (const busNo of busNos) direct.push(...(await store.messages.find({ busNo, limit: 10_000 })).map((m) => m.id));
  const messages = direct.length ? await store.messages.chainOf(direct) : [];
  return around(store, messages, busNos, found);
}

/** The busNo a voided reservation held (voiding releases it into the reason, see BillStore.voidReservation). */
function voidedBusNo(b: Pick<BillRow, 'void_reason'>): string | undefined {
  return /（原业务流水号 ([^）]+)）$/.exec(b.void_reason ?? '')?.[1];
}

/** The bills and jobs of these messages and busNos (voided and related red/blue bills included). */
async function around(store: Store, messages: MessageRow[], busNos: string[] = [], seed: BillRow[] = []): Promise<Story> {
  const db: Db = store.db;
  const nos = [...new Set([...busNos, ...messages.map((m) => m.bus_no).filter((b): b is string => !!b)])];
  const ids = messages.map((m) => m.id);
  const bills = new Map<number, BillRow>(seed.map((b) => [b.id, b]));
  const add = (rows: BillRow[]) => rows.forEach((b) => bills.set(b.id, b));
  add((await db<BillRow>('bills').whereIn('bus_no', nos).orWhereIn('message_id', ids)) as BillRow[]);
  for (const busNo of nos)
    add(((await db<BillRow>('bills').where('state', 'voided').where('void_reason', 'like', `%${busNo}%`)) as BillRow[]).filter((b) => voidedBusNo(b) === busNo));
  const known = [...bills.values()];
  add((await db<BillRow>('bills').whereIn('related_bill_id', known.map((b) => b.id)).orWhereIn('id', known.map((b) => b.related_bill_id).filter((x): x is number => x !== null))) as BillRow[]);
  const jobs = (await db<JobRow>('outbox').whereIn('bus_no', nos).orWhereIn('message_id', ids).orderBy('id')) as JobRow[];
  return {
    messages,
    bills: [...bills.values()].sort((a, b) => Number(a.created_at) - Number(b.created_at) || a.id - b.id),
    jobs: jobs.map((j) => ({ ...j, created_at: Number(j.created_at), updated_at: Number(j.updated_at), next_attempt_at: Number(j.next_attempt_at) })),
  };
}

interface Step {
  step: string;
  ms: number;
  skipped?: boolean;
  error?: string;
}

const steps = (m: MessageRow): Step[] => (m.trace ? (JSON.parse(m.trace) as Step[]) : []);
const flowOf = (m: MessageRow) => (m.flow ? `${m.flow}@${m.flow_version}` : undefined);
const stampIso = (s: string | null) => {
  const t = s ? parseStamp17(s) : null;
  return t === null ? undefined : isoBeijing(t, 'ms');
};
const stampDisplay = (s: string | null) => {
  const t = s ? parseStamp17(s) : null;
  return t === null ? undefined : beijingDisplay(t);
};

function printJson(s: Story, raw: boolean): void {
  const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
  for (const m of s.messages)
    out({
      type: 'message',
      id: m.id,
      at: isoBeijing(m.received_at, 'ms'),
      channel: m.channel,
      service: m.service_id,
      appid: m.appid,
      busNo: m.bus_no,
      status: m.status,
      errorCode: m.error_code,
      error: m.error,
      flow: flowOf(m),
      definitions: m.definitions_version ?? undefined,
      replayOf: m.replay_of,
      replayedBy: m.replayed_by,
      updatedAt: isoBeijing(m.updated_at, 'ms'),
      steps: steps(m),
      ...(raw ? { raw: m.raw } : {}),
    });
  for (const b of s.bills)
    out({
      type: 'bill',
      id: b.id,
      billBatchCode: b.bill_batch_code,
      billNo: b.bill_no,
      kind: b.kind,
      state: b.state,
      busNo: b.bus_no,
      messageId: b.message_id,
      relatedBillId: b.related_bill_id,
      createTime: stampIso(b.create_time),
      answeredCode: b.answered_code,
      answeredAt: b.answered_at ? isoBeijing(Number(b.answered_at), 'ms') : undefined,
      voidReason: b.void_reason,
      createdAt: isoBeijing(Number(b.created_at), 'ms'),
      updatedAt: isoBeijing(Number(b.updated_at), 'ms'),
    });
  for (const j of s.jobs)
    out({
      type: 'job',
      id: j.id,
      topic: j.topic,
      status: j.status,
      attempts: j.attempts,
      maxAttempts: j.max_attempts,
      lastError: j.last_error,
      messageId: j.message_id,
      busNo: j.bus_no,
      createdAt: isoBeijing(j.created_at, 'ms'),
      updatedAt: isoBeijing(j.updated_at, 'ms'),
      nextAttemptAt: isoBeijing(j.next_attempt_at, 'ms'),
    });
}

function printText(s: Story, raw: boolean): void {
  const w = (line: string) => process.stdout.write(line + '\n');
  const result = (m: MessageRow) => m.error_code ?? (m.status === 'done' ? 'S0000' : m.status);
  for (const m of s.messages) {
    const links = `${m.replay_of ? '  replay of ' + m.replay_of : ''}${m.replayed_by ? '  replayed by ' + m.replayed_by : ''}`;
    const who = `${m.appid ? '  appid ' + m.appid : ''}${m.bus_no ? '  busNo ' + m.bus_no : ''}`;
    w(`${beijingDisplay(m.received_at)}  ${m.id}  ${m.channel}/${m.service_id}  ${m.status}${m.error_code ? ' ' + m.error_code : ''}  flow ${flowOf(m) ?? '-'}${m.definitions_version ? ` (definitions ${m.definitions_version})` : ''}${who}${links}`);
    if (m.error) w(`    error: ${m.error}`);
    for (const t of steps(m)) w(`    ${t.skipped ? '·' : t.error ? '✗' : '✓'} ${t.step.padEnd(16)} ${t.skipped ? 'skipped' : t.ms + ' ms'}${t.error ? ' ' + t.error : ''}`);
    if (raw) w(`    raw: ${m.raw}`);
  }
  // Each chain from its first message along replayed_by (replays made with --again show above as "replay of").
  const byId = new Map(s.messages.map((m) => [m.id, m]));
  for (const root of s.messages.filter((m) => m.replayed_by && (!m.replay_of || !byId.has(m.replay_of)))) {
    const chain = [root];
    for (let n = byId.get(root.replayed_by!); n && !chain.includes(n); n = n.replayed_by ? byId.get(n.replayed_by) : undefined) chain.push(n);
    w(`replay chain: ${chain.map((m) => `${m.id} (${result(m)})`).join(' → ')}`);
  }
  for (const b of s.bills) {
    const created = stampDisplay(b.create_time);
    const answered = b.answered_code ? `  answered ${b.answered_code} at ${beijingDisplay(Number(b.answered_at))}` : '';
    w(
      `bill ${b.bill_batch_code}-${b.bill_no} (${b.kind}) ${b.state}${created ? '  created ' + created : '  reserved ' + beijingDisplay(Number(b.created_at))}` +
        `${b.bus_no ? '  busNo ' + b.bus_no : ''}${b.message_id ? '  message ' + b.message_id : ''}${b.related_bill_id ? '  related bill #' + b.related_bill_id : ''}${answered}${b.void_reason ? ' — ' + b.void_reason : ''}`,
    );
  }
  for (const j of s.jobs) {
    const settled = j.status === 'done' || j.status === 'dead' || j.status === 'discarded';
    const when = settled ? `  last ${beijingDisplay(j.updated_at)}` : `  next attempt ${beijingDisplay(j.next_attempt_at)}`;
    const dlq = j.status === 'dead' ? `  (medbill dlq show ${j.id})` : '';
    w(`job #${j.id} ${j.topic} ${j.status} after ${j.attempts} attempt(s)${when}${j.last_error ? ' — ' + j.last_error : ''}${dlq}`);
  }
}

