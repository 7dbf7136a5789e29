/** Operations: trace a busNo, replay stored messages, list flows. */
import type { Command } from 'commander';
import { createApp, loadDefinitions, openStore } from '../app';
import { loadConfig } from '../config';
import type { MessageRow, MessageStatus } from '../store/messages';

function parseTime(s: string): number {
  if (/^\d{17}$/.test(s)) {
    const t = Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(8, 10), +s.slice(10, 12), +s.slice(12, 14), +s.slice(14)) - 8 * 3600_000;
    return t;
  }
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`bad time '${s}' (ISO 8601 or yyyyMMddHHmmssSSS)`);
  return t;
}

export function registerOps(program: Command): void {
  program
    .command('flows')
    .description('print the router table: service → flow file and version')
    .action(() => {
      const { router } = loadDefinitions(loadConfig());
      for (const r of router.table()) process.stdout.write(`${r.channel}\t${r.service}\t${r.flow}@${r.version}\t${r.file}\n`);
    });

  program
    .command('trace')
    .description('every message and the bill of one business serial number, in time order, with the steps each took')
    .requiredOption('--bus-no <busNo>', 'business serial number (busNo)')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { busNo: string; json?: boolean }) => {
      const store = await openStore(loadConfig());
      try {
        const msgs = await store.messages.find({ busNo: opts.busNo });
        const bills = await store.db('bills').where({ bus_no: opts.busNo }).orWhere('void_reason', 'like', `%${opts.busNo}%`);
        const jobs = await store.db('outbox').where({ bus_no: opts.busNo });
        if (opts.json) {
          for (const m of msgs) process.stdout.write(JSON.stringify({ type: 'message', ...summarise(m) }) + '\n');
          for (const b of bills) process.stdout.write(JSON.stringify({ type: 'bill', id: b.id, billBatchCode: b.bill_batch_code, billNo: b.bill_no, state: b.state, kind: b.kind, createTime: b.create_time, voidReason: b.void_reason }) + '\n');
          for (const j of jobs) process.stdout.write(JSON.stringify({ type: 'job', id: j.id, topic: j.topic, status: j.status, attempts: j.attempts, lastError: j.last_error }) + '\n');
          return;
        }
        if (!msgs.length && !bills.length) process.stdout.write(`no message or bill for busNo ${opts.busNo}\n`);
        for (const m of msgs) {
          const s = summarise(m);
          process.stdout.write(`${s.at}  ${s.id}  ${s.channel}/${s.service}  ${s.status}${s.errorCode ? ' ' + s.errorCode : ''}  flow ${s.flow ?? '-'}${s.replayOf ? '  replay of ' + s.replayOf : ''}\n`);
          if (s.error) process.stdout.write(`    error: ${s.error}\n`);
          for (const t of s.steps) process.stdout.write(`    ${t.skipped ? '·' : t.error ? '✗' : '✓'} ${t.step.padEnd(16)} ${t.skipped ? 'skipped' : t.ms + ' ms'}${t.error ? ' ' + t.error : ''}\n`);
        }
        for (const b of bills)
          process.stdout.write(`bill ${b.bill_batch_code}-${b.bill_no} (${b.kind}) ${b.state}${b.create_time ? ' created ' + b.create_time : ''}${b.void_reason ? ' — ' + b.void_reason : ''}\n`);
        for (const j of jobs) process.stdout.write(`job #${j.id} ${j.topic} ${j.status} after ${j.attempts} attempt(s)${j.last_error ? ' — ' + j.last_error : ''}\n`);
      } finally {
        await store.close();
      }
    });

  program
    .command('replay')
    .description('run stored inbound messages through their flows again (a new message linked to the original)')
    .option('--id <ids...>', 'message ids')
    .option('--bus-no <busNo>', 'messages of one business serial number')
    .option('--status <statuses>', 'comma-separated: failed,rejected,interrupted,done,received')
    .option('--service <serviceId>', 'only this serviceId')
    .option('--from <time>', 'received at or after (ISO 8601 or yyyyMMddHHmmssSSS, Beijing time)')
    .option('--to <time>', 'received at or before')
    .option('--limit <n>', 'at most n messages', '1000')
    .option('--dry-run', 'list what would be replayed, change nothing')
    .option('--url <base>', 'replay through a running medbill at this base URL (default: the configured port, if it answers)')
    .action(async (opts: { id?: string[]; busNo?: string; status?: string; service?: string; from?: string; to?: string; limit: string; dryRun?: boolean; url?: string }) => {
      if (!opts.id && !opts.busNo && !opts.status && !opts.from && !opts.to && !opts.service)
        throw new Error('say which messages: --id, --bus-no, --status, --service or --from/--to');
      const cfg = loadConfig();
      const base = opts.url ?? `http://127.0.0.1:${cfg.server.port}`;
      const remote = await reachable(base);
      const store = await openStore(cfg);
      let rows: MessageRow[];
      try {
        rows = await store.messages.find({
          ids: opts.id,
          busNo: opts.busNo,
          status: opts.status?.split(',').map((s) => s.trim()) as MessageStatus[] | undefined,
          serviceId: opts.service,
          from: opts.from ? parseTime(opts.from) : undefined,
          to: opts.to ? parseTime(opts.to) : undefined,
          limit: Number(opts.limit),
        });
      } finally {
        await store.close();
      }
      // A whole app (signer, pool, recovery) only when this process must run the flows itself.
      const app = opts.dryRun || remote || !rows.length ? undefined : await createApp(cfg, { listen: false, background: false });
      try {
        process.stdout.write(`${rows.length} message(s)${opts.dryRun ? ' would be replayed (dry run)' : ''}${!opts.dryRun ? ` via ${remote ? base : 'this process'}` : ''}\n`);
        for (const m of rows) {
          const s = summarise(m);
          if (opts.dryRun) {
            process.stdout.write(`  ${s.id} ${s.at} ${s.channel}/${s.service} busNo=${s.busNo ?? '-'} ${s.status}${s.errorCode ? ' ' + s.errorCode : ''}\n`);
            continue;
          }
          const result = remote ? await replayRemote(base, cfg.server.servicePath, m) : await replayLocal(app!, m);
          process.stdout.write(`  ${s.id} → ${result}\n`);
        }
      } finally {
        await app?.close();
      }
    });
}

function summarise(m: MessageRow) {
  return {
    id: m.id,
    at: new Date(Number(m.received_at)).toISOString(),
    channel: m.channel,
    service: m.service_id,
    busNo: m.bus_no,
    status: m.status,
    errorCode: m.error_code,
    error: m.error,
    flow: m.flow ? `${m.flow}@${m.flow_version}` : undefined,
    replayOf: m.replay_of,
    steps: (m.trace ? JSON.parse(m.trace) : []) as { step: string; ms: number; skipped?: boolean; error?: string }[],
  };
}

async function reachable(base: string): Promise<boolean> {
  try {
    const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** Through the running server: its HTTP path, its single-flight and its group commit, no second writer. */
async function replayRemote(base: string, servicePath: string, m: MessageRow): Promise<string> {
  if (!m.channel.startsWith('his-json')) return `skipped: channel ${m.channel} replays in-process only`;
  const r = await fetch(`${base}/${servicePath}/api/medical/${encodeURIComponent(m.service_id)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-medbill-replay-of': m.id },
    body: m.raw,
  });
  const env = (await r.json()) as { data?: string };
  const result = env.data ? (JSON.parse(Buffer.from(env.data, 'base64').toString('utf8')) as { result: string; message: string }) : undefined;
  return result ? `${result.result} ${result.result === 'S0000' ? '' : Buffer.from(result.message, 'base64').toString('utf8')}`.trim() : `HTTP ${r.status}`;
}

async function replayLocal(app: Awaited<ReturnType<typeof createApp>>, m: MessageRow): Promise<string> {
  const { toInbound } = await import('../../adapters/his/json/channel');
  const { CHANNEL: SOAP, soapReplayRequest } = await import('../../adapters/his/soap/channel');
  const callers = new Map(app.config.callers.map((c) => [c.appid, c]));
  const req = m.channel === SOAP ? soapReplayRequest(m.raw, Number(m.received_at), app.services.catalogue, callers) : toInbound(m.raw, m.service_id, callers, undefined, m.channel).req;
  const r = await app.handle({ ...req, replayOf: m.id });
  await app.services.writer.drain();
  return `${r.result}${r.error ? ' ' + r.error.message : ''} (message ${r.msgId})`;
}
