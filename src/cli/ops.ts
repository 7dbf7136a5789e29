/**
 * Operations: the router table and which file serves each flow (`flows`), switching a flow off and on
 * (`flows disable|enable`), reloading a running server's definitions (`reload`). trace.ts and replay.ts
 * register their own commands.
 */
import type { Command } from 'commander';
import { definitionRoots, loadDefinitions } from '../app';
import { openStore } from '../store/open-store';
import { type Config, loadConfig } from '../config';
import { definitionFiles, definitionLabel } from '../engine/definition-files';
import { formatIssue, suggest } from '../engine/lint';
import type { LoadedFlow } from '../engine/loaded-definitions';
import { FlowSwitch, FlowSwitchStore } from '../store/flow-switches';
import { localServerBase, postAdmin } from './local-server';
import { usage } from './on-call-args';

interface FlowsView {
  version: string;
  source: string;
  flows: (LoadedFlow & { replaces?: string; disabled?: { reason?: string; changedBy?: string; at?: string } })[];
}

/** The table from the files (shipped and overlay merged), with the switches of the database when it opens. */
async function localView(cfg: Config): Promise<FlowsView> {
  const d = loadDefinitions(cfg);
  for (const i of d.problems.errors) process.stderr.write(formatIssue(i) + '\n');
  const roots = definitionRoots(cfg);
  const replaced = new Map(definitionFiles(roots, 'flows').filter((f) => f.replaces).map((f) => [definitionLabel(roots, f.file), definitionLabel(roots, f.replaces!)]));
  let switches: FlowSwitch[] = [];
  try {
    const store = await openStore(cfg);
    try {
      switches = await new FlowSwitchStore(store.db).list();
    } finally {
      await store.close();
    }
  } catch (e) {
    process.stderr.write(`flow switches not read (database: ${(e as Error).message}); shown as enabled\n`);
  }
  const off = new Map(switches.filter((s) => !s.enabled).map((s) => [s.flow, s]));
  return {
    version: d.loaded.version,
    source: cfg.home ? `files (overlay ${cfg.home}, ${d.loaded.overlay.length} file(s))` : 'files',
    flows: d.loaded.flows.map((f) => {
      const s = off.get(f.flow);
      return { ...f, replaces: replaced.get(f.file), disabled: s && { reason: s.reason, changedBy: s.changedBy } };
    }),
  };
}

async function serverView(cfg: Config, base: string): Promise<FlowsView | undefined> {
  try {
    const r = await fetch(`${base}/${cfg.server.servicePath}/admin/flows`, { signal: AbortSignal.timeout(5000) });
    if (!r.ok) return undefined;
    const d = (await r.json()) as { version?: string; loadedAt: string; overlay?: string[]; flows: FlowsView['flows'] };
    return { version: d.version ?? '(not reported)', source: `server ${base}, loaded ${d.loadedAt}${d.overlay?.length ? `, ${d.overlay.length} overlay file(s)` : ''}`, flows: d.flows };
  } catch {
    return undefined;
  }
}

function printView(v: FlowsView, format: string): void {
  if (format === 'json') {
    process.stdout.write(JSON.stringify(v) + '\n');
    return;
  }
  process.stdout.write(`# definitions ${v.version} from ${v.source}\n`);
  for (const f of v.flows) {
    const notes = [f.replaces ? `replaces ${f.replaces}` : '', f.disabled ? `DISABLED${f.disabled.reason ? `: ${f.disabled.reason}` : ''}${f.disabled.changedBy ? ` (by ${f.disabled.changedBy})` : ''}` : ''].filter(Boolean);
    process.stdout.write(`${f.channel}\t${f.service}\t${f.flow}@${f.version}\t${f.file}${notes.length ? `\t${notes.join('; ')}` : ''}\n`);
  }
}

async function setSwitch(cmd: Command, flow: string, enabled: boolean, opts: { reason?: string; by?: string }): Promise<void> {
  const cfg = loadConfig();
  const base = localServerBase(cfg);
  // The running server's flows when one answers (they are what the switch acts on), else the files'.
  const names = new Set(((await serverView(cfg, base))?.flows ?? loadDefinitions(cfg).loaded.flows).map((f) => f.flow));
  if (!names.has(flow)) {
    const near = suggest(flow, names);
    usage(cmd, `no flow named ${flow}${near ? ` (did you mean ${near}?)` : ''}: medbill flows lists them`);
  }
  const store = await openStore(cfg);
  let s: FlowSwitch;
  try {
    s = await new FlowSwitchStore(store.db).set(flow, enabled, { reason: opts.reason, by: opts.by ?? process.env.USER });
  } finally {
    await store.close();
  }
  const poked = await postAdmin(cfg, base, 'flow-switches/refresh');
  const here = !poked ? `no server answers at ${base}` : poked.status === 200 ? `in effect at ${base} now` : `the server at ${base} refused the refresh (${poked.status}: ${String(poked.body.error ?? '')}); it rereads within definitions.switchPoll`;
  process.stdout.write(`${s.flow} ${enabled ? 'enabled' : 'disabled'}${s.reason ? ` (${s.reason})` : ''}: stored in the database; ${here}; other nodes within definitions.switchPoll (${cfg.definitions.switchPoll})\n`);
}

export function registerOps(program: Command): void {
  const flows = program
    .command('flows')
    .description('print the router table: service → flow@version → the file that serves it (shipped, or $MEDBILL_HOME/… when the overlay wins), and disabled flows')
    .option('--server', "what the running server has loaded (its version, and its own switches' view)")
    .option('--url <base>', 'the server to ask (default http://<server.host>:<server.port>)')
    .option('--format <fmt>', 'text | json', 'text')
    .action(async (opts: { server?: boolean; url?: string; format: string }) => {
      const cfg = loadConfig();
      if (opts.server || opts.url) {
        const base = (opts.url ?? localServerBase(cfg)).replace(/\/+$/, '');
        const v = await serverView(cfg, base);
        if (!v) {
          process.stderr.write(`no medbill answers at ${base} (or it does not report its definitions)\n`);
          process.exitCode = 1;
          return;
        }
        printView(v, opts.format);
      } else printView(await localView(cfg), opts.format);
    });
  flows
    .command('disable <flow>')
    .description("stop a flow (Mirth's undeploy): its services answer E2750 and the messages are stored; held in the database, for every node and across restarts")
    .option('--reason <text>', 'why (shown by medbill flows and /readyz readers)')
    .option('--by <who>', 'who did it (default $USER)')
    .action((flow: string, opts: { reason?: string; by?: string }, cmd: Command) => setSwitch(cmd, flow, false, opts));
  flows
    .command('enable <flow>')
    .description('start a disabled flow again')
    .option('--by <who>', 'who did it (default $USER)')
    .action((flow: string, opts: { by?: string }, cmd: Command) => setSwitch(cmd, flow, true, opts));

  program
    .command('reload')
    .description("reload the running server's flows, mappings, catalogue and code tables from the files (same as SIGHUP); a set with any error is refused and the old one keeps serving")
    .option('--url <base>', 'the server (default http://<server.host>:<server.port>)')
    .action(async (opts: { url?: string }) => {
      const cfg = loadConfig();
      const base = (opts.url ?? localServerBase(cfg)).replace(/\/+$/, '');
      const r = await postAdmin(cfg, base, 'reload');
      if (!r) {
        process.stderr.write(`no medbill answers at ${base}\n`);
        process.exitCode = 1;
        return;
      }
      const b = r.body as { ok?: boolean; changed?: boolean; version?: string; previous?: string; problems?: string[]; error?: string };
      if (r.status === 401 || r.status === 403) {
        process.stderr.write(`refused by ${base}: ${b.error}\n`);
        process.exitCode = 1;
        return;
      }
      for (const p of b.problems ?? []) process.stderr.write(p + '\n');
      if (b.ok) process.stdout.write(b.changed ? `reloaded: version ${b.version} (was ${b.previous})\n` : `files unchanged: version ${b.version} still serving\n`);
      else {
        process.stderr.write(`reload refused: ${(b.problems ?? []).filter((p) => /\serror\s/.test(p)).length} error(s); version ${b.version} still serving\n`);
        process.exitCode = 1;
      }
    });
}
