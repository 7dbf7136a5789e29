/**
 * `medbill dlq`: the outbox's dead letters, for on-call staff. It opens the store alone (no key, no
 * worker), so it runs beside a live medbill, whose worker picks requeued jobs up at its next poll.
 * Exit codes: 0 done, 1 nothing matched or an invalid id (nothing is changed then).
 * Times are Beijing time (+08:00), typed or printed.
 */
import type { Command } from 'commander';
import { openStore } from '../store/open-store';
import { durationMs, loadConfig } from '../config';
import { isoBeijing, parseBeijingTime } from '../domain/time';
import { log } from '../log';
import { OutboxRow, OutboxStore, RequeueSelection } from '../store/outbox';

/** A failure the operator can act on: one line on stderr, exit code 1. */
class DlqMiss extends Error {}

async function withOutbox<T>(fn: (outbox: OutboxStore) => Promise<T>): Promise<void> {
  const store = await openStore(loadConfig());
  try {
    await fn(new OutboxStore(store.db));
  } catch (e) {
    if (!(e instanceof DlqMiss)) throw e;
    process.stderr.write(`medbill dlq: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

function jobId(s: string): number {
  if (!/^[1-9]\d{0,15}$/.test(s)) throw new DlqMiss(`'${s}' is not a job id (a positive whole number, as \`medbill dlq list\` shows)`);
  return Number(s);
}

/** --since: a moment (ISO 8601, Beijing time unless it says otherwise; or yyyyMMddHHmmssSSS) or a span back from now (24h, 7d). */
function sinceMs(s: string): number {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(s.trim())) return Date.now() - durationMs(s.trim());
  const t = parseBeijingTime(s);
  if (t === null) throw new DlqMiss(`bad --since '${s}' (e.g. 2025-12-01T08:00, 20251201080000000, 24h, 7d)`);
  return t;
}

const oneLine = (s: string | null, max = 300): string => (s ?? '').replace(/\s+/g, ' ').slice(0, max);

function summary(j: OutboxRow): Record<string, unknown> {
  return {
    id: j.id,
    topic: j.topic,
    status: j.status,
    busNo: j.bus_no,
    msgId: j.message_id,
    attempts: j.attempts,
    deadAt: j.dead_at === null ? null : isoBeijing(j.dead_at),
    lastError: j.last_error,
  };
}

export function registerDlq(program: Command): void {
  const dlq = program.command('dlq').description('dead letters of the outbox: list, show, requeue (a fresh retry horizon) or discard (kept, marked discarded)');

  dlq
    .command('list')
    .description('list dead letters, oldest first')
    .option('--topic <topic>', 'only this topic (e.g. finance-upload)')
    .option('--since <when>', 'dead-lettered at or after: a Beijing time (2025-12-01T08:00) or a span back from now (24h, 7d)')
    .option('--limit <n>', 'at most n', '1000')
    .option('--json', 'one JSON object per line')
    .action((o: { topic?: string; since?: string; limit: string; json?: boolean }) =>
      withOutbox(async (outbox) => {
        const rows = await outbox.deadLetters({ topic: o.topic, since: o.since ? sinceMs(o.since) : undefined, limit: Number(o.limit) });
        if (!rows.length) throw new DlqMiss(`no dead letters${o.topic ? ` of topic ${o.topic}` : ''}${o.since ? ` since ${o.since}` : ''}`);
        for (const j of rows) {
          if (o.json) process.stdout.write(JSON.stringify(summary(j)) + '\n');
          else
            process.stdout.write(
              `#${j.id}  ${j.topic}  dead ${j.dead_at === null ? '-' : isoBeijing(j.dead_at)}  attempts ${j.attempts}  busNo ${j.bus_no ?? '-'}  msgId ${j.message_id ?? '-'}\n` +
                `    ${oneLine(j.last_error)}\n`,
            );
        }
        if (!o.json) process.stdout.write(`${rows.length} dead letter(s)${rows.length === Number(o.limit) ? ` (the first ${o.limit}: --limit for more)` : ''}\n`);
      }),
    );

  dlq
    .command('show <id>')
    .description('one dead (or discarded) job: payload, last error, attempts, msgId, busNo')
    .option('--json', 'as one JSON object')
    .action((id: string, o: { json?: boolean }) =>
      withOutbox(async (outbox) => {
        const j = await outbox.get(jobId(id));
        if (!j || (j.status !== 'dead' && j.status !== 'discarded')) throw new DlqMiss(`no dead letter #${id}${j ? ` (that job is ${j.status})` : ''}`);
        const payload = JSON.parse(j.payload) as unknown;
        if (o.json) {
          process.stdout.write(JSON.stringify({ ...summary(j), jobKey: j.job_key, createdAt: isoBeijing(j.created_at), discardedAt: j.discarded_at === null ? null : isoBeijing(j.discarded_at), discardReason: j.discard_reason, payload }) + '\n');
          return;
        }
        const line = (k: string, v: unknown) => process.stdout.write(`  ${(k + ':').padEnd(15)}${v ?? '-'}\n`);
        process.stdout.write(`dead letter #${j.id} (${j.topic})\n`);
        line('status', j.status);
        line('busNo', j.bus_no);
        line('msgId', j.message_id);
        line('job key', j.job_key);
        line('attempts', j.attempts);
        line('enqueued', isoBeijing(j.created_at));
        if (j.horizon_start !== null && j.horizon_start !== j.created_at) line('requeued', isoBeijing(j.horizon_start));
        line('dead since', j.dead_at === null ? null : isoBeijing(j.dead_at));
        if (j.status === 'discarded') {
          line('discarded', j.discarded_at === null ? null : isoBeijing(j.discarded_at));
          line('reason', j.discard_reason);
        }
        line('last error', j.last_error);
        process.stdout.write(`  payload:\n${JSON.stringify(payload, null, 2).replace(/^/gm, '    ')}\n`);
      }),
    );

  dlq
    .command('requeue [ids...]')
    .description('put dead letters back to pending, due now, with a fresh retry horizon: by id, --topic or --all')
    .option('--topic <topic>', 'every dead letter of this topic')
    .option('--all', 'every dead letter')
    .action((ids: string[], o: { topic?: string; all?: boolean }) =>
      withOutbox(async (outbox) => {
        const ways = [ids.length > 0, !!o.topic, !!o.all].filter(Boolean).length;
        if (ways !== 1) throw new DlqMiss('say which: job ids, --topic <topic> or --all (one of them)');
        let sel: RequeueSelection;
        if (ids.length) {
          const nums = ids.map(jobId);
          // All or nothing: a mistyped id changes nothing.
          for (const n of nums) {
            const j = await outbox.get(n);
            if (!j || j.status !== 'dead') throw new DlqMiss(`no dead letter #${n}${j ? ` (that job is ${j.status})` : ''}; nothing requeued`);
          }
          sel = { ids: nums };
        } else sel = o.topic ? { topic: o.topic } : { all: true };
        const n = await outbox.requeue(sel);
        if (!n) throw new DlqMiss(`no dead letters${o.topic ? ` of topic ${o.topic}` : ''} to requeue`);
        log().warn('dlq requeue', { selection: sel, count: n });
        process.stdout.write(`requeued ${n} dead letter(s); a running medbill delivers them at its next outbox poll\n`);
      }),
    );

  dlq
    .command('discard <id>')
    .description('give up on one dead letter: kept as status discarded with your reason, never deleted')
    .requiredOption('--reason <text>', 'why (kept with the job)')
    .action((id: string, o: { reason: string }) =>
      withOutbox(async (outbox) => {
        const n = jobId(id);
        if (!o.reason.trim()) throw new DlqMiss('--reason must say why');
        if (!(await outbox.discard(n, o.reason.trim()))) {
          const j = await outbox.get(n);
          throw new DlqMiss(`no dead letter #${n}${j ? ` (that job is ${j.status})` : ''}`);
        }
        log().warn('dlq discard', { jobId: n, reason: o.reason.trim() });
        process.stdout.write(`discarded #${n}\n`);
      }),
    );
}
