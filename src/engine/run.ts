/**
 * Runs a flow's steps over its slots. Errors stop the flow: the first failing step's error, as a
 * FlowError, is what the channel answers. Every step's time and the slots it wrote land in the trace
 * the message store keeps, so `medbill trace` shows the path a message took.
 */
import { stepSeconds } from '../metrics';
import { asFlowError, FlowError, hisError } from './errors';
import type { Flow, FlowStep } from './flow-loader';
import type { StepContext, StepOverride, TraceEntry } from './step';

export interface FlowRun {
  /** slot values by index (flow.slots names them); index 0 is the input */
  slots: unknown[];
  trace: TraceEntry[];
  ctx: StepContext;
}

export interface RunOptions {
  /** first step to run (recovery's resumeAt) */
  from?: number;
  /** flow tests: what a step does instead of its handler, by step id */
  overrides?: Map<string, StepOverride>;
  /** called after each step with the values it wrote (dry runs print them) */
  onStep?: (entry: TraceEntry, wrote: Record<string, unknown>) => void;
}

export function newRun(flow: Flow, input: unknown, ctx: StepContext): FlowRun {
  const slots = new Array<unknown>(flow.slots.length);
  slots[0] = input;
  return { slots, trace: [], ctx };
}

/** The slots as a name → value object (when expressions, flow tests, dry runs). */
export function slotObject(flow: Flow, run: FlowRun): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  flow.slots.forEach((n, i) => {
    if (run.slots[i] !== undefined) o[n] = run.slots[i];
  });
  return o;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(hisError('E3002', 'deadline', { what, ms })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function runStep(step: FlowStep, run: FlowRun, budgetMs: number, override?: StepOverride): Promise<{ exit?: string; out: Record<string, unknown> }> {
  const input: Record<string, unknown> = {};
  for (const b of step.reads) input[b.port] = run.slots[b.index];
  const out: Record<string, unknown> = {};
  if (override) {
    if (override.throws) throw override.throws;
    for (const [slot, v] of Object.entries(override.writes ?? {})) {
      const b = step.writes.find((w) => w.slot === slot);
      if (b) out[b.port] = v;
    }
    return { exit: override.exit, out };
  }
  const handler = run.ctx.dryRun && step.simulate ? step.simulate : step.run;
  const work = handler({ in: input as never, out: out as never, ctx: run.ctx });
  // A commit is never abandoned half-way: answering "timeout" while it lands would hide a real bill.
  const outcome = step.atomic ? await work : await withTimeout(work, Math.max(1, budgetMs), `步骤 ${step.id}`);
  return { exit: outcome ? outcome.exit : undefined, out };
}

export async function runFlow(flow: Flow, run: FlowRun, opts: RunOptions = {}): Promise<void> {
  const started = Date.now();
  try {
    let i = opts.from ?? 0;
    while (i < flow.steps.length) {
      const step = flow.steps[i];
      const t0 = performance.now();
      if (step.when && !(await step.when(slotObject(flow, run)))) {
        run.trace.push({ step: step.id, ms: 0, skipped: true });
        i++;
        continue;
      }
      const left = flow.deadlineMs - (Date.now() - started);
      let result: { exit?: string; out: Record<string, unknown> };
      try {
        result = await runStep(step, run, Math.min(step.timeoutMs ?? left, left), opts.overrides?.get(step.id));
      } catch (e) {
        const fe = asFlowError(e);
        run.trace.push({ step: step.id, ms: Math.round((performance.now() - t0) * 100) / 100, error: fe.code });
        throw fe;
      }
      const exit = result.exit ? step.exits.get(result.exit) : undefined;
      if (result.exit && !exit) throw new FlowError('Internal', 'E9999', `步骤 ${step.id} 返回了未声明的出口 ${result.exit}`);
      const ports = exit ? exit.writes : step.nextWrites;
      const wrote: Record<string, unknown> = {};
      for (const b of step.writes) {
        if (!ports.has(b.port)) continue;
        const v = result.out[b.port];
        if (v === undefined) continue;
        run.slots[b.index] = v;
        wrote[b.slot] = v;
      }
      const ms = performance.now() - t0;
      stepSeconds.observe({ flow: flow.name, step: step.id }, ms / 1000);
      const entry: TraceEntry = { step: step.id, ms: Math.round(ms * 100) / 100, wrote: Object.keys(wrote) };
      if (result.exit) entry.exit = result.exit;
      run.trace.push(entry);
      opts.onStep?.(entry, wrote);
      if (step.terminal) break;
      if (exit) {
        for (let k = i + 1; k < exit.target; k++) run.trace.push({ step: flow.steps[k].id, ms: 0, skipped: true });
        i = exit.target;
      } else i++;
    }
  } finally {
    for (const f of run.ctx.finally.splice(0)) f();
  }
}
