/**
 * Arguments of the on-call commands (trace, replay), checked before anything runs: a bad value exits 2
 * with a line saying what is wrong and what is accepted, never a replay or a trace of the wrong thing.
 */
import { Command, InvalidArgumentError } from 'commander';
import { parseBeijingTime } from '../domain/time';
import { codesOfKind, HIS_CODES, resultKind } from '../engine/codes';
import { CodeFilter, MESSAGE_STATUSES, MessageStatus } from '../store/messages';

/** Exit codes of trace and replay (their --help says the same). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Usage errors (unknown option, bad value, missing argument) exit 2, as the commands document. */
export function usageErrorsExitTwo(cmd: Command): Command {
  return cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage));
}

export function usage(cmd: Command, message: string): never {
  return cmd.error(`error: ${message}`, { exitCode: EXIT.usage, code: 'medbill.usage' });
}

export function timeArg(v: string): number {
  const t = parseBeijingTime(v);
  if (t === null) throw new InvalidArgumentError(`'${v}' is not a time: use 2026-11-25 09:30 (Beijing time), 2026-11-25T01:30:00Z or 20261125093000000`);
  return t;
}

export function statusesArg(v: string): MessageStatus[] {
  const out = v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = out.filter((s) => !(MESSAGE_STATUSES as readonly string[]).includes(s));
  if (!out.length || bad.length) throw new InvalidArgumentError(`unknown status ${bad.join(', ') || "''"} (statuses: ${MESSAGE_STATUSES.join(', ')})`);
  return out as MessageStatus[];
}

/** Result codes from the code table (src/engine/codes.ts); S0000 is not stored as a code (done messages have none). */
export function codesArg(v: string): string[] {
  const out = v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (!out.length) throw new InvalidArgumentError('no result code given (e.g. --code E3001,E3002)');
  for (const c of out) {
    if (c === 'S0000') throw new InvalidArgumentError('S0000 is success and done messages carry no code: select them with --status done');
    if (!(c in HIS_CODES)) throw new InvalidArgumentError(`unknown result code ${c} (codes: ${Object.keys(HIS_CODES).filter((k) => resultKind(k) !== 'ok').sort().join(', ')})`);
  }
  return out;
}

export function limitArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > 100_000) throw new InvalidArgumentError(`'${v}' is not a limit: a whole number from 1 to 100000`);
  return n;
}

const MESSAGE_ID = /^[0-9A-Z]{26}$/;

/** Message ids as printed by trace and replay (26 characters 0-9 A-Z); pasted lower-case is fine. */
export function messageIds(cmd: Command, ids: string[]): string[] {
  const out = ids.flatMap((s) => s.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
  const bad = out.filter((id) => !MESSAGE_ID.test(id));
  if (bad.length) usage(cmd, `not a message id: ${bad.join(', ')} (26 characters 0-9 A-Z, as trace and the logs print them)`);
  return out;
}

/**
 * The result filter replay's options ask for, and whether it is the default that leaves data refusals
 * out: refusals are replayed only when asked for — by --refusals, --code, --id or --status rejected.
 */
export function resultFilter(opts: { code?: string[]; faults?: boolean; refusals?: boolean; id?: string[]; status?: MessageStatus[] }): { codes?: CodeFilter; refusalsLeftOut: boolean } {
  const refusals = codesOfKind('refusal');
  if (opts.code) return { codes: { in: opts.code }, refusalsLeftOut: false };
  if (opts.faults) return { codes: { notIn: [...refusals, ...codesOfKind('ok')], noCode: ['interrupted', 'received', 'processing'] }, refusalsLeftOut: false };
  if (opts.refusals) return { codes: { in: refusals }, refusalsLeftOut: false };
  if (opts.id || opts.status?.includes('rejected')) return { refusalsLeftOut: false };
  return { codes: { notIn: refusals, noCode: 'any' }, refusalsLeftOut: true };
}
