/**
 * The checks that make a flow's data path and ordering provable at load time. Every path through the
 * flow is walked — each `when` both taken and skipped, each exit (next, goto) followed — and on each:
 *   - every read slot was written earlier (FLOW_SLOT_UNSET) with a matching type (FLOW_SLOT_TYPE);
 *   - the ordering rules that guard the invariants hold:
 *       dedupe before allocate              (one bill per busNo)             FLOW_DEDUPE_AFTER_ALLOCATE
 *       after allocate, persist before respond (an answer means what it says) FLOW_RESPOND_BEFORE_PERSIST
 *       fiscal-xml before sign               (the signed text exists)         FLOW_SIGN_BEFORE_XML
 *       no path ends holding an unpersisted number                           FLOW_IRREVERSIBLE_UNGUARDED
 *       a request/response path ends in respond                              FLOW_NO_RESPOND
 *   - recovery's entry point, with the values it restores, satisfies the same rules from there on.
 * Flows are small and forward-only (goto may only jump ahead), so paths are enumerated outright; each
 * problem then names one path that breaks the rule, which is what a reader needs to fix it.
 */
import type { LintCode } from './codes';
import type { Loc, Problems } from './lint';
import { assignable, SlotType } from './slots';
import type { StepRole } from './step';

export interface CheckBinding {
  slot: string;
  port: string;
  type: SlotType;
  optional: boolean;
  loc: Loc;
}

export interface CheckStep {
  id: string;
  kind: string;
  loc: Loc;
  hasWhen: boolean;
  terminal: boolean;
  roles: StepRole[];
  reads: CheckBinding[];
  /** "next" first, then each goto exit */
  exits: { name: string; target: number; writes: CheckBinding[] }[];
}

export interface CheckRecovery {
  resumeAt: number;
  restore: { slot: string; type: SlotType }[];
  loc: Loc;
}

interface PathState {
  slots: Map<string, SlotType>;
  deduped: boolean;
  fiscal: boolean;
  /** index of the allocate whose number is not yet persisted */
  holding: number | undefined;
  trail: string[];
}

const MAX_PATHS = 4096;

export function checkFlow(steps: CheckStep[], opts: { requestResponse: boolean; recovery?: CheckRecovery; flowLoc: Loc }, problems: Problems): void {
  const reported = new Set<string>();
  const reachable = new Set<number>();
  let paths = 0;
  const report = (loc: Loc, code: LintCode, where: string, params: Record<string, string>, key: string) => {
    if (reported.has(key)) return;
    reported.add(key);
    problems.add(loc, code, where, params as never);
  };
  const label = (i: number) => `steps[${i}] (${steps[i].id})`;
  const pathText = (s: PathState) => s.trail.join(' → ') || '(开始)';

  const walk = (i: number, s: PathState, recovering: boolean): void => {
    if (paths > MAX_PATHS) return;
    if (i >= steps.length) {
      paths++;
      if (s.holding !== undefined)
        report(steps[s.holding].loc, 'FLOW_IRREVERSIBLE_UNGUARDED', label(s.holding), { step: steps[s.holding].id, path: pathText(s) }, `unguarded:${s.holding}`);
      if (opts.requestResponse) report(opts.flowLoc, 'FLOW_NO_RESPOND', 'steps', { path: pathText(s) }, `norespond:${recovering}`);
      return;
    }
    const step = steps[i];
    if (step.hasWhen) walk(i + 1, { ...s, trail: [...s.trail, `(${step.id})`] }, recovering);
    if (!recovering) reachable.add(i);
    const here = { ...s, trail: [...s.trail, step.id] };
    for (const r of step.reads) {
      const t = here.slots.get(r.slot);
      if (t === undefined) {
        if (!r.optional) report(r.loc, 'FLOW_SLOT_UNSET', label(i), { slot: r.slot, path: pathText(here) }, `unset:${i}:${r.slot}`);
      } else if (!assignable(t, r.type))
        report(r.loc, 'FLOW_SLOT_TYPE', label(i), { slot: r.slot, actual: t, kind: step.kind, port: r.port, expected: r.type }, `type:${i}:${r.slot}`);
    }
    let { deduped, fiscal, holding } = here;
    for (const role of step.roles) {
      if (role === 'dedupe') deduped = true;
      else if (role === 'allocate') {
        if (!deduped) report(step.loc, 'FLOW_DEDUPE_AFTER_ALLOCATE', label(i), { step: step.id, path: pathText(here) }, `dedupe:${i}`);
        holding = i;
      } else if (role === 'fiscal-xml') fiscal = true;
      else if (role === 'sign') {
        if (!fiscal) report(step.loc, 'FLOW_SIGN_BEFORE_XML', label(i), { step: step.id, path: pathText(here) }, `sign:${i}`);
      } else if (role === 'persist') holding = undefined;
      else if (role === 'respond' && holding !== undefined)
        report(step.loc, 'FLOW_RESPOND_BEFORE_PERSIST', label(i), { step: step.id, path: pathText(here) }, `respond:${i}`);
    }
    if (step.terminal) {
      paths++;
      return;
    }
    for (const exit of step.exits) {
      const slots = new Map(here.slots);
      for (const w of exit.writes) slots.set(w.slot, w.type);
      walk(exit.target, { slots, deduped, fiscal, holding, trail: exit.name === 'next' ? here.trail : [...here.trail.slice(0, -1), `${step.id}[${exit.name}]`] }, recovering);
    }
  };

  walk(0, { slots: new Map([['input', 'Request']]), deduped: false, fiscal: false, holding: undefined, trail: [] }, false);
  if (opts.recovery) {
    const r = opts.recovery;
    // Recovery re-enters after a crash: the busNo was checked and a number is held, nothing else is known.
    walk(r.resumeAt, { slots: new Map(r.restore.map((x) => [x.slot, x.type])), deduped: true, fiscal: false, holding: r.resumeAt, trail: ['recovery'] }, true);
  }
  if (paths > MAX_PATHS) {
    problems.add(opts.flowLoc, 'FLOW_PATHS', 'steps', { max: String(MAX_PATHS) });
    return;
  }
  steps.forEach((s, i) => {
    if (!reachable.has(i)) report(s.loc, 'FLOW_UNREACHABLE', label(i), { step: s.id }, `unreachable:${i}`);
  });
}
