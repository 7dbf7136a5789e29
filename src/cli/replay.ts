/**
 * `medbill replay`: run stored inbound messages through their flows again, as new messages linked to
 * the originals (the original becomes `replayed`, replayed_by = the new one). Through the running
 * server when one answers — only if it runs the definitions that are in the files — or in this process
 * with the files. Prints [n/m] per message and a summary; the exit code says whether every replay worked.
 */
import { Command, Option } from 'commander';
import { CHANNEL as SOAP_CHANNEL, soapReplayRequest } from '../../adapters/his/soap/channel';
import { SERVICE_NAME } from '../../adapters/his/soap/operations';
import { contentType as soapContentType, SOAP12_NS } from '../../adapters/his/soap/soap-xml';
import { hl7Request } from '../../adapters/his/hl7/channel';
import { toInbound } from '../../adapters/his/json/channel';
import { MESSAGE_ID_HEADER, REPLAY_HEADER } from '../../adapters/his/replay-claim';
import { App, createApp, loadDefinitions, openStore } from '../app';
import { Config, loadConfig } from '../config';
import { beijingDisplay } from '../domain/time';
import { codesOfKind } from '../engine/codes';
import { definitionDrift, LoadedDefinitions } from '../engine/loaded-definitions';
import { localServerBase } from './local-server';
import type { MessageQuery, MessageRow, MessageStatus, MessageStore } from '../store/messages';
import { codesArg, EXIT, limitArg, messageIds, resultFilter, statusesArg, timeArg, usage, usageErrorsExitTwo } from './on-call-args';

interface ReplayOptions {
  id?: string[];
  busNo?: string;
  status?: MessageStatus[];
  service?: string;
  from?: number;
  to?: number;
  code?: string[];
  faults?: boolean;
  refusals?: boolean;
  again?: boolean;
  limit: number;
  dryRun?: boolean;
  url?: string;
  local?: boolean;
}

const HELP_AFTER = `
Which results (one of):
  --code E3001,E3002   those result codes (the code table: docs/reference/errors.md)
  --faults             medbill or a peer failed: E3xxx, E9999, E0007, and interrupted messages
  --refusals           the request or its data was refused: E0xxx, E1xxx, E2xxx
  Without one of them data refusals are left out (they replay to the same answer unless the data
  changed) — except with --id, which replays exactly the messages named, and --status rejected.
  Messages already replayed are left out too (their replays stand for them); --again includes them.
  Messages still "received" less than 5 minutes after they arrived are skipped: they may be running.

Where it runs:
  Through the medbill answering at --url (default: the configured port), if its flow versions and
  definition files equal the files here; if they differ it says so and replays nothing ("restart it,
  or replay with --local"). --local, or no server answering, runs the flows in this process with the
  files (start-up recovery first when no server answers). SOAP (his-soap) and JSON messages both replay.

Output: [n/m] <id> → <result> per message, then a summary.
Exit: 0 every replay succeeded (S0000); 1 a replay failed, nothing matched, or it could not replay
(server unreachable or running other definitions); 2 an invalid argument.
Times: Beijing time unless they carry an offset (2026-11-25 09:30, 2026-11-25T01:30:00Z, 20261125093000000).
`;

export function registerReplay(program: Command): void {
  const cmd = program
    .command('replay')
    .description('run stored inbound messages through their flows again (each a new message linked to its original)')
    .option('--id <ids...>', 'message ids (any result; one already replayed needs --again)')
    .option('--bus-no <busNo>', 'messages of one business serial number')
    .option('--status <statuses>', 'comma-separated: failed, rejected, interrupted, done, received, processing, replayed', statusesArg)
    .option('--service <serviceId>', 'only this serviceId')
    .option('--from <time>', 'received at or after (Beijing time unless an offset is given)', timeArg)
    .option('--to <time>', 'received at or before', timeArg)
    .addOption(new Option('--code <codes>', 'only these result codes, comma-separated').argParser(codesArg).conflicts(['faults', 'refusals']))
    .addOption(new Option('--faults', 'only faults: E3xxx, E9999, E0007, interrupted').conflicts(['refusals']))
    .option('--refusals', 'only data refusals: E0xxx, E1xxx, E2xxx')
    .option('--again', 'also replay messages that were replayed already')
    .option('--limit <n>', 'at most n messages', limitArg, 1000)
    .option('--dry-run', 'list what would be replayed, change nothing')
    .addOption(new Option('--url <base>', 'the running medbill to replay through (default: the configured port, if it answers)').conflicts(['local']))
    .option('--local', 'run the flows in this process with the files, even if a server answers')
    .addHelpText('after', HELP_AFTER);
  usageErrorsExitTwo(cmd).action(async (opts: ReplayOptions) => {
    process.exitCode = await replay(cmd, opts);
  });
}

const times = (counts: { code: string | null; n: number }[]) => counts.map((c) => `${c.code ?? 'no code'} ×${c.n}`).join(', ');

/** A message's result as on-call staff name it: its code, S0000 for done, or its status. */
const resultOf = (m: Pick<MessageRow, 'status' | 'error_code'>) => m.error_code ?? (m.status === 'done' ? 'S0000' : m.status);

interface Target {
  /** "through …" / "in this process …" */
  how: string;
  messages: MessageStore;
  /** the new message's id, or why there is none */
  replay(m: MessageRow): Promise<{ msgId: string } | { problem: string }>;
  close(): Promise<void>;
}

async function replay(cmd: Command, opts: ReplayOptions): Promise<number> {
  const ids = opts.id ? messageIds(cmd, opts.id) : undefined;
  if (!ids && !opts.busNo && !opts.status && !opts.from && !opts.to && !opts.service) usage(cmd, 'say which messages: --id, --bus-no, --status, --service or --from/--to');
  if (opts.from !== undefined && opts.to !== undefined && opts.from > opts.to) usage(cmd, `--from ${beijingDisplay(opts.from)} is after --to ${beijingDisplay(opts.to)}`);
  const cfg = loadConfig();
  const base = (opts.url ?? localServerBase(cfg)).replace(/\/+$/, '');
  const answers = await serverAnswers(base);
  if (opts.url && !answers) {
    process.stderr.write(`no medbill answers at ${base}: start it, or replay with --local to run the flows in this process with the files\n`);
    return EXIT.failed;
  }
  const remote = answers && !opts.local;
  let server: LoadedDefinitions | undefined;
  if (remote) {
    server = await serverDefinitions(base, cfg.server.servicePath);
    if (!server) {
      process.stderr.write(`the server at ${base} does not say which definitions it runs (older than this medbill?): cannot tell whether it would use the files; restart it, or replay with --local to use the files\n`);
      return EXIT.failed;
    }
  }

  const target = await openTarget(cfg, opts, { base, answers, remote });
  try {
    const q: MessageQuery = { ids, busNo: opts.busNo, status: opts.status, serviceId: opts.service, from: opts.from, to: opts.to };
    const { codes, refusalsLeftOut } = resultFilter(opts);
    const replayed: MessageQuery['replayed'] = opts.again || ids ? undefined : 'exclude';
    const found = await target.messages.find({ ...q, codes, replayed, limit: opts.limit + 1 });
    const rows = found.slice(0, opts.limit);
    const leftOut: string[] = [];
    if (refusalsLeftOut) {
      const r = await target.messages.countByCode({ ...q, replayed, codes: { in: codesOfKind('refusal') } });
      const n = r.reduce((s, c) => s + c.n, 0);
      if (n) leftOut.push(`left out ${n} data refusal(s) (${times(r)}): they replay to the same answer; add --refusals or --code to replay them`);
    }
    if (replayed === 'exclude') {
      const n = (await target.messages.countByCode({ ...q, codes, replayed: 'only' })).reduce((s, c) => s + c.n, 0);
      if (n) leftOut.push(`left out ${n} message(s) already replayed (trace shows their replays): add --again to replay them anyway`);
    }

    if (server) {
      const files = loadDefinitions(cfg);
      if (!files.problems.ok) {
        process.stderr.write(`the definition files do not load (${files.problems.errors.length} problem(s): run medbill validate); the server at ${base} runs what it loaded at start\n`);
        return EXIT.failed;
      }
      const drift = definitionDrift(server, files.loaded, rows.map((m) => m.service_id));
      if (drift.length) {
        for (const line of drift) process.stderr.write(`${line}\n`);
        process.stderr.write(`nothing replayed: the server at ${base} does not run the definitions in the files\n`);
        return EXIT.failed;
      }
    }

    const more = found.length > rows.length ? ` (the first ${rows.length}; more match: raise --limit)` : '';
    process.stdout.write(`${rows.length} message(s) selected${more}; ${opts.dryRun ? `dry run: nothing is replayed (a replay would run ${target.how})` : `replaying ${target.how}`}\n`);
    if (ids) {
      const named = await target.messages.find({ ids, limit: ids.length });
      const missing = ids.filter((id) => !named.some((m) => m.id === id));
      const filtered = named.filter((m) => !found.some((f) => f.id === m.id));
      if (missing.length) leftOut.push(`not found: ${missing.join(', ')}`);
      if (filtered.length) leftOut.push(`left out by the other options: ${filtered.map((m) => `${m.id} (${m.status}${m.error_code ? ' ' + m.error_code : ''})`).join(', ')}`);
    }
    for (const line of leftOut) process.stdout.write(`  ${line}\n`);
    if (!rows.length) {
      process.stdout.write('nothing to replay\n');
      return EXIT.failed;
    }
    return await replayAll(rows, target, opts);
  } finally {
    await target.close();
  }
}

interface Tally {
  replayed: number;
  succeeded: number;
  failing: Map<string, number>;
  skipped: Map<string, number>;
}

async function replayAll(rows: MessageRow[], target: Target, opts: ReplayOptions): Promise<number> {
  const t: Tally = { replayed: 0, succeeded: 0, failing: new Map(), skipped: new Map() };
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const total = rows.length;
  let wouldReplay = 0;
  for (const [i, m] of rows.entries()) {
    const at = `[${i + 1}/${total}] ${m.id}`;
    const skip = await skipReason(m, opts, target.messages);
    if (skip) {
      bump(t.skipped, skip.kind);
      process.stdout.write(`${at} → skipped: ${skip.text}\n`);
      continue;
    }
    if (opts.dryRun) {
      wouldReplay++;
      process.stdout.write(`${at} ${beijingDisplay(m.received_at)} ${m.channel}/${m.service_id} busNo=${m.bus_no ?? '-'} ${m.status}${m.error_code ? ' ' + m.error_code : ''} → would replay\n`);
      continue;
    }
    t.replayed++;
    let r: { msgId: string } | { problem: string };
    try {
      r = await target.replay(m);
    } catch (e) {
      r = { problem: `${(e as Error).message}; see medbill trace --msg-id ${m.id}` };
    }
    if ('problem' in r) {
      bump(t.failing, 'no answer');
      process.stdout.write(`${at} → failed: ${r.problem}\n`);
      continue;
    }
    const b = await target.messages.get(r.msgId);
    const code = b ? resultOf(b) : 'not recorded';
    if (code === 'S0000') t.succeeded++;
    else bump(t.failing, code);
    process.stdout.write(`${at} → ${code}${b?.error ? ' ' + b.error : ''} (replayed as ${r.msgId})\n`);
  }
  const list = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ×${n}`).join(', ');
  const skipped = [...t.skipped.values()].reduce((s, n) => s + n, 0);
  const failing = [...t.failing.values()].reduce((s, n) => s + n, 0);
  const skippedText = skipped ? `; ${skipped} skipped (${list(t.skipped)})` : '';
  if (opts.dryRun) {
    process.stdout.write(`summary: ${total} selected, ${wouldReplay} would be replayed${skippedText}\n`);
    return wouldReplay ? EXIT.ok : EXIT.failed;
  }
  process.stdout.write(`summary: ${total} selected, ${t.replayed} replayed: ${t.succeeded} succeeded, ${failing} still failing${failing ? ` (${list(t.failing)})` : ''}${skippedText}\n`);
  return t.replayed > 0 && failing === 0 ? EXIT.ok : EXIT.failed;
}

/**
 * A message still `received` this long after it arrived is not running any more (request deadlines are
 * seconds): it was left behind by a node that stopped, and replaying it is what it needs.
 */
const IN_FLIGHT_MS = 5 * 60_000;

/** Why a selected message is not replayed, if it is not. */
async function skipReason(m: MessageRow, opts: ReplayOptions, messages: MessageStore): Promise<{ kind: string; text: string } | undefined> {
  if (m.replayed_by && !opts.again) {
    const chain = await messages.chainOf([m.id]);
    let last = m;
    for (let next = chain.find((c) => c.id === last.replayed_by); next; next = chain.find((c) => c.id === last.replayed_by)) last = next;
    const latest = last.id === m.replayed_by ? '' : `, latest ${last.id}`;
    return { kind: 'already replayed', text: `already replayed as ${m.replayed_by}${latest} (${resultOf(last)}); replay that one, or pass --again` };
  }
  if ((m.status === 'received' || m.status === 'processing') && Date.now() - m.received_at < IN_FLIGHT_MS)
    return { kind: 'in flight', text: `status ${m.status} since ${beijingDisplay(m.received_at)}: it may still be running; replay it after ${beijingDisplay(m.received_at + IN_FLIGHT_MS)}` };
  if (m.channel !== SOAP_CHANNEL && !m.channel.startsWith('his-json') && !isHl7(m)) return { kind: `channel ${m.channel}`, text: `medbill cannot replay channel ${m.channel}` };
  return undefined;
}


async function serverAnswers(base: string): Promise<boolean> {
  try {
    const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1500) });
    await r.arrayBuffer();
    return r.ok;
  } catch {
    return false;
  }
}

async function serverDefinitions(base: string, servicePath: string): Promise<LoadedDefinitions | undefined> {
  try {
    const r = await fetch(`${base}/${servicePath}/admin/flows`, { signal: AbortSignal.timeout(5000) });
    if (!r.ok) return undefined;
    const d = (await r.json()) as { loadedAt: string; version?: string; overlay?: string[]; flows: LoadedDefinitions['flows']; files: LoadedDefinitions['files'] };
    if (!Array.isArray(d.flows) || typeof d.files !== 'object') return undefined;
    return { loadedAt: Date.parse(d.loadedAt), version: d.version ?? '', overlay: d.overlay ?? [], flows: d.flows, files: d.files };
  } catch {
    return undefined;
  }
}

async function openTarget(cfg: Config, opts: ReplayOptions, s: { base: string; answers: boolean; remote: boolean }): Promise<Target> {
  const inProcess = `in this process with the files${s.answers ? ` (--local; the server at ${s.base} keeps running)` : ` (no medbill answers at ${s.base})`}`;
  if (s.remote || opts.dryRun) {
    const store = await openStore(cfg);
    return {
      how: s.remote ? `through the server at ${s.base} (its definitions are the files')` : inProcess,
      messages: store.messages,
      replay: (m) => replayThroughServer(s.base, cfg, m),
      close: () => store.close(),
    };
  }
  // In this process: a whole app (signer, pool). Start-up recovery only when no server answers: a
  // running server owns its in-flight work, and recovery would mark that work interrupted.
  // Log lines go to the log files as the server's do; stdout is the operator's progress.
  const app = await createApp({ ...cfg, log: { ...cfg.log, stdout: false } }, { listen: false, background: false, recover: !s.answers });
  return {
    how: inProcess,
    messages: app.services.messages,
    replay: (m) => replayInProcess(app, m),
    close: () => app.close(),
  };
}

const isHl7 = (m: MessageRow): boolean => m.channel.startsWith('hl7-');

/** Through the running server: its HTTP path, its single-flight and its group commit, no second writer. */
async function replayThroughServer(base: string, cfg: Config, m: MessageRow): Promise<{ msgId: string } | { problem: string }> {
  // The HL7 endpoints answer ACKs and take no replay claim: such a message runs again in this process.
  if (isHl7(m)) return { problem: 'HL7 messages replay in this process: run medbill replay --local' };
  const soap = m.channel === SOAP_CHANNEL;
  const url = soap ? `${base}/${cfg.server.servicePath}/ws/${SERVICE_NAME}` : `${base}/${cfg.server.servicePath}/api/medical/${encodeURIComponent(m.service_id)}`;
  const headers: Record<string, string> = { [REPLAY_HEADER]: m.id };
  if (soap) {
    headers['content-type'] = soapContentType(m.raw.includes(SOAP12_NS) ? '1.2' : '1.1');
    headers.soapaction = '""';
  } else headers['content-type'] = 'application/json; charset=utf-8';
  const r = await fetch(url, { method: 'POST', headers, body: m.raw, signal: AbortSignal.timeout(cfg.server.requestDeadlineMs + 30_000) });
  await r.arrayBuffer();
  const msgId = r.headers.get(MESSAGE_ID_HEADER);
  return msgId ? { msgId } : { problem: `HTTP ${r.status} without ${MESSAGE_ID_HEADER}: the server did not take it as a replay` };
}

async function replayInProcess(app: App, m: MessageRow): Promise<{ msgId: string }> {
  const callers = new Map(app.config.callers.map((c) => [c.appid, c]));
  const req =
    m.channel === SOAP_CHANNEL
      ? soapReplayRequest(m.raw, m.received_at, app.services.catalogue, callers)
      : isHl7(m)
        ? hl7Request(m.raw, m.channel, new Map(app.config.hl7.senders.map((s) => [s.application, s.appid]))).req
        : toInbound(m.raw, m.service_id, callers, undefined, m.channel).req;
  const r = await app.handle({ ...req, replayOf: m.id });
  return { msgId: r.msgId };
}
