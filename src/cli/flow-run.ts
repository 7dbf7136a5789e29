/**
 * `medbill flow run <flow file> <input.json> --dry-run`: runs one flow on a scratch store with nothing
 * written, no number taken and no signature made (steps with effects run their `simulate`), printing
 * one JSON line per step — step, kind, ms and the slots it wrote, each value shortened — then the result.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { asFlowError } from '../engine/errors';
import { log } from '../log';
import { newRun, runFlow } from '../engine/run';
import { createScratchApp } from '../scratch-app';

/** A value cut down for one log line: long strings, long arrays and deep objects are elided. */
export function shorten(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > 60 ? `${v.slice(0, 57)}…(${v.length} chars)` : v;
  if (Array.isArray(v)) {
    const head = v.slice(0, 3).map((x) => shorten(x, depth + 1));
    return v.length > 3 ? [...head, `…(+${v.length - 3})`] : head;
  }
  if (v && typeof v === 'object') {
    if (depth >= 2) return `{${Object.keys(v).slice(0, 6).join(', ')}${Object.keys(v).length > 6 ? ', …' : ''}}`;
    const entries = Object.entries(v as Record<string, unknown>);
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries.slice(0, 12)) out[k] = shorten(x, depth + 1);
    if (entries.length > 12) out['…'] = `+${entries.length - 12} fields`;
    return out;
  }
  return v;
}

export function registerFlowRun(program: Command): void {
  const flow = program.command('flow').description('work with one flow file');
  flow
    .command('run <flowFile> <input>')
    .description('run a flow over a business JSON file on a scratch store; with --dry-run nothing is written, no number taken, no signature made')
    .option('--dry-run', 'simulate the steps that have effects (required)')
    .option('--appid <appid>', 'the caller the request is from (default: the first configured caller)')
    .action(async (flowFile: string, inputFile: string, opts: { dryRun?: boolean; appid?: string }) => {
      if (!opts.dryRun) {
        process.stderr.write('medbill flow run: only --dry-run is supported; to issue for real use `medbill call`\n');
        process.exitCode = 2;
        return;
      }
      const input = JSON.parse(readFileSync(inputFile, 'utf8')) as Record<string, unknown>;
      const app = await createScratchApp();
      try {
        const f = app.flows.find((x) => path.resolve(x.file) === path.resolve(flowFile));
        if (!f) {
          process.stderr.write(`medbill flow run: ${flowFile} is not a loaded flow (see medbill flows / medbill validate)\n`);
          process.exitCode = 2;
          return;
        }
        const kinds = new Map(f.steps.map((s) => [s.id, s.kind]));
        const run = newRun(f, input, {
          msg: { id: 'DRYRUN', channel: 'dry-run', serviceId: f.trigger.service ?? f.name, appid: opts.appid ?? app.config.callers[0]?.appid ?? '', receivedAt: Date.now(), busNo: typeof input.busNo === 'string' ? input.busNo : undefined },
          services: app.services,
          log: log(),
          finally: [],
          dryRun: true,
        });
        const line = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
        let result = 'S0000';
        let message: string | undefined;
        try {
          await runFlow(f, run, { onStep: (e, wrote) => line({ step: e.step, kind: kinds.get(e.step), ms: e.ms, ...(e.exit ? { exit: e.exit } : {}), wrote: shorten(wrote) }) });
        } catch (e) {
          const fe = asFlowError(e);
          const last = run.trace[run.trace.length - 1];
          if (last?.error) line({ step: last.step, kind: kinds.get(last.step), ms: last.ms, error: fe.code });
          result = fe.code;
          message = fe.message;
        }
        for (const t of run.trace.filter((x) => x.skipped)) line({ step: t.step, kind: kinds.get(t.step), skipped: true });
        line({ result, ...(message ? { message } : { response: shorten(run.ctx.response) }), dryRun: true });
        if (result !== 'S0000') process.exitCode = 1;
      } finally {
        await app.close();
      }
    });
}
