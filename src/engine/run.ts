/**
 * Runs a flow's steps in order. Errors stop the flow (style-anchors §6): the first failing step's error,
 * classified as a FlowError, is what the channel answers. Every step's time lands in the trace that
 * the message store keeps, so `medbill trace` shows the path a message took.
 */
import { stepSeconds } from '../web/metrics';
import { asFlowError, FlowError, RESULT } from './errors';
import type { Flow } from './flow-loader';
import type { RunContext } from './step';

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new FlowError('Timeout', RESULT.timeout, `${what} 处理超时（${ms} ms），请稍后重试或用 getEBillByBusNo 查询`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function runFlow(flow: Flow, rc: RunContext): Promise<void> {
  const started = Date.now();
  try {
    let i = 0;
    while (i < flow.steps.length) {
      const step = flow.steps[i];
      const t0 = performance.now();
      if (step.when && !(await step.when(rc))) {
        rc.trace.push({ step: step.id, ms: 0, skipped: true });
        i++;
        continue;
      }
      const left = flow.deadlineMs - (Date.now() - started);
      const budget = Math.min(step.timeoutMs ?? left, left);
      let outcome;
      try {
        outcome = await withTimeout(step.run(rc), Math.max(1, budget), `步骤 ${step.id}`);
      } catch (e) {
        const fe = asFlowError(e);
        rc.trace.push({ step: step.id, ms: Math.round((performance.now() - t0) * 100) / 100, error: fe.code });
        throw fe;
      }
      const ms = performance.now() - t0;
      stepSeconds.observe({ flow: flow.name, step: step.id }, ms / 1000);
      rc.trace.push({ step: step.id, ms: Math.round(ms * 100) / 100 });
      if (outcome && 'goto' in outcome) {
        const target = flow.steps.findIndex((s) => s.id === outcome.goto);
        for (let k = i + 1; k < target; k++) rc.trace.push({ step: flow.steps[k].id, ms: 0, skipped: true });
        i = target;
      } else i++;
    }
  } finally {
    for (const f of rc.finally.splice(0)) f();
  }
}
