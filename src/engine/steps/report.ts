/**
 * report: runs one named query of src/engine/report-queries.ts (reconciliation figures, bill lists,
 * HIS pushes and their comparison, accounting sheets) and writes its result for the response mapping.
 * A service is then a catalogue entry, a flow naming the query with its options, and a mapping:
 *   - id: figures
 *     report: { query: dayTotals, options: { kind: red, basis: bus }, params: { date: busDate } }
 * `params` says where a query's value comes from (JSONata over what the step reads) when the request
 * field has another name; every other param is the field of its own name.
 */
import jsonata from 'jsonata';
import { REPORT_QUERIES } from '../report-queries';
import { defineStep, PrepareEnv, StepHandler } from '../step';

interface Options {
  query: string;
  options?: Record<string, unknown>;
  params?: Record<string, string>;
}

const reads = { value: { type: 'Json', free: true, doc: 'what the params read (usually input)' } } as const;
const writes = { result: { type: 'Json', free: true, doc: 'the query’s result, in the vendor’s field names' } } as const;

function prepareReport(o: Options, env: PrepareEnv): StepHandler<typeof reads, typeof writes> {
  const q = REPORT_QUERIES[o.query];
  if (!q) {
    env.fail('FLOW_BAD_OPTION', ['query'], { path: 'query', detail: `未知的查询 ${o.query}，可用：${Object.keys(REPORT_QUERIES).join(', ')}` });
    return async () => undefined;
  }
  const fixed = o.options ?? {};
  const allowed = (q.options.properties ?? {}) as Record<string, { enum?: unknown[] }>;
  for (const [k, v] of Object.entries(fixed)) {
    if (!allowed[k]) env.fail('FLOW_BAD_OPTION', ['options', k], { path: `options.${k}`, detail: `查询 ${o.query} 没有选项 ${k}（可用：${Object.keys(allowed).join(', ') || '无'}）` });
    else if (allowed[k].enum && !allowed[k].enum!.includes(v)) env.fail('FLOW_BAD_OPTION', ['options', k], { path: `options.${k}`, detail: `应为 ${allowed[k].enum!.join(' | ')} 之一` });
  }
  const exprs: [string, (v: unknown) => Promise<unknown>][] = [];
  for (const name of q.params) {
    const src = o.params?.[name];
    if (src === undefined) {
      exprs.push([name, async (v) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined)]);
      continue;
    }
    try {
      const e = jsonata(src);
      exprs.push([name, (v) => e.evaluate(v) as Promise<unknown>]);
    } catch (err) {
      env.fail('FLOW_BAD_OPTION', ['params', name], { path: `params.${name}`, detail: `JSONata 表达式错误：${(err as Error).message}` });
    }
  }
  for (const name of Object.keys(o.params ?? {}))
    if (!q.params.includes(name)) env.fail('FLOW_BAD_OPTION', ['params', name], { path: `params.${name}`, detail: `查询 ${o.query} 不读 ${name}（读：${q.params.join(', ')}）` });
  return async ({ in: { value }, out, ctx }) => {
    const p: Record<string, unknown> = {};
    for (const [name, e] of exprs) p[name] = await e(value);
    out.result = await q.run(ctx, p, fixed);
  };
}

export const reportStep = defineStep<Options, typeof reads, typeof writes>({
  kind: 'report',
  doc: `Runs a named reconciliation or accounting query (${Object.keys(REPORT_QUERIES).join(', ')}) over the request and writes its result. Errors: E2501–E2506 (docs/reference/accounting-and-reconciliation.md).`,
  optionsSchema: {
    type: 'object',
    required: ['query'],
    additionalProperties: false,
    properties: {
      query: { enum: Object.keys(REPORT_QUERIES) },
      options: { type: 'object', description: 'the query’s fixed options (each query’s schema)' },
      params: { type: 'object', additionalProperties: { type: 'string' }, description: 'JSONata per param whose request field has another name' },
    },
  },
  reads,
  writes,
  atomic: true,
  prepare: prepareReport,
  simulate(o, env) {
    // A dry run writes nothing: the bookkeeping commands answer an empty result, the reads really run.
    if (REPORT_QUERIES[o.query]?.writes)
      return async ({ out }) => {
        out.result = {};
      };
    return prepareReport(o, env);
  },
});
