/**
 * `medbill paper reprint …`: the 补打 of a lost paper bill. A staff account (paper.staff) applies, a
 * supervisor who is not the applicant approves (or rejects); the next printPaperBill of that paper
 * then prints once, marked 补打, and uses the approval up. Opens the store alone, beside a live server.
 * Exit codes: 0 done, 1 refused (the reason on stderr, nothing changed).
 */
import type { Command } from 'commander';
import { openStore } from '../store/open-store';
import { loadConfig, type Config } from '../config';
import { isoBeijing } from '../domain/time';
import { mayApply, mayDecide, type StaffCheck } from '../domain/reprint';
import { fill, HIS_CODES, type HisCodeSpec } from '../engine/codes';
import type { PaperOutcome, PaperStore } from '../store/paper';

class Refused extends Error {}

const text = (code: string, message: string, params: Record<string, string | number>): string =>
  `${code} ${fill((HIS_CODES as Record<string, HisCodeSpec>)[code]?.messages[message] ?? message, params)}`;

function must(c: StaffCheck): void {
  if (!c.ok) throw new Refused(text(c.refusal.code, c.refusal.message, c.params));
}

function value<T>(o: PaperOutcome<T>): T {
  if (!o.ok) throw new Refused(text(o.refusal.code, o.refusal.message, o.refusal.params));
  return o.value;
}

async function withPaper(fn: (paper: PaperStore, cfg: Config) => Promise<void>): Promise<void> {
  const cfg = loadConfig();
  const store = await openStore(cfg);
  try {
    await fn(store.paper, cfg);
  } catch (e) {
    if (!(e instanceof Refused)) throw e;
    process.stderr.write(`medbill paper: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}

const print = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');

export function registerPaper(program: Command): void {
  const paper = program.command('paper').description('paper bills: reprint (补打) applications and their approval');
  const reprint = paper.command('reprint').description('补打 of a lost paper bill: apply, approve or reject (by a supervisor other than the applicant), list');
  reprint
    .command('apply <paper>')
    .description('apply for a reprint of the paper bill <pBillBatchCode>-<pBillNo>')
    .requiredOption('--by <account>', 'the applicant (an account of paper.staff)')
    .requiredOption('--reason <text>', 'why (e.g. 患者遗失)')
    .action((p: string, o: { by: string; reason: string }) =>
      withPaper(async (store, cfg) => {
        const m = /^(\d+)-(\d+)$/.exec(p.trim());
        if (!m) throw new Refused(`'${p}' is not <pBillBatchCode>-<pBillNo> (e.g. 44060126-0000000001)`);
        must(mayApply(cfg.paper?.staff ?? [], o.by));
        const app = value(await store.applyReprint(m[1], m[2], o.by, o.reason));
        print({ id: app.id, paper: p, applicant: app.applicant, state: app.state });
      }),
    );
  for (const [verb, approve] of [['approve', true], ['reject', false]] as const)
    reprint
      .command(`${verb} <id>`)
      .description(`${verb} a pending reprint application (a supervisor, not the applicant)`)
      .requiredOption('--by <account>', 'the supervisor deciding (an account of paper.staff with role supervisor)')
      .action((id: string, o: { by: string }) =>
        withPaper(async (store, cfg) => {
          if (!/^[1-9]\d{0,9}$/.test(id)) throw new Refused(`'${id}' is not an application id (see medbill paper reprint list)`);
          const pending = (await store.reprintApplications()).find((a) => a.id === Number(id));
          if (!pending) throw new Refused(text('E2234', 'unknownApplication', { id }));
          must(mayDecide(cfg.paper?.staff ?? [], pending.applicant, o.by, pending.id));
          const app = value(await store.decideReprint(Number(id), o.by, approve));
          print({ id: app.id, state: app.state, approver: app.approver });
        }),
      );
  reprint
    .command('list')
    .description('reprint applications (one JSON line each)')
    .option('--state <state>', 'pending | approved | rejected | used')
    .action((o: { state?: string }) =>
      withPaper(async (store) => {
        for (const a of await store.reprintApplications(o.state))
          print({ id: a.id, paper: `${a.paper_batch_code}-${a.paper_no}`, applicant: a.applicant, reason: a.reason, state: a.state, approver: a.approver, appliedAt: isoBeijing(Number(a.created_at)), decidedAt: a.decided_at ? isoBeijing(Number(a.decided_at)) : null });
      }),
    );
}
