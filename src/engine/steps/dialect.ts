/**
 * dialect: brings a request of an older Bosssoft interface version (v2.0.3, v3.1.0: other field
 * names, 6-decimal list amounts, sex codes) to v3.2.0 before it is validated, with the mapping the flow
 * names for the caller's version. Which version a caller speaks is configuration (callers[].dialect,
 * default v3.2.0), never guessed in code. The mapping writes only what differs: each name it targets is
 * replaced by the mapping's value, or removed when the mapping gives none; the rest of the request
 * passes as sent. A version the flow names no mapping for passes unchanged.
 */
import { HIS_DIALECTS } from '../../config';
import { defineStep } from '../step';

const reads = { input: { type: 'Request', doc: 'the request as the caller sent it' } } as const;
const writes = { result: { type: 'Request', free: true, doc: 'the request in v3.2.0 names and decimals' } } as const;

export const dialectStep = defineStep<{ mappings: Record<string, string> }, typeof reads, typeof writes>({
  kind: 'dialect',
  doc: "Normalises a request of an older interface version (the caller's callers[].dialect) to v3.2.0 with the mapping named for that version: the names the mapping targets are replaced (or removed), the rest passes as sent.",
  optionsSchema: {
    type: 'object',
    required: ['mappings'],
    additionalProperties: false,
    properties: {
      mappings: { type: 'object', propertyNames: { enum: HIS_DIALECTS.filter((d) => d !== 'v3.2.0') }, additionalProperties: { type: 'string' } },
    },
  },
  reads,
  writes,
  prepare(o, env) {
    const byDialect = new Map(
      Object.entries(o.mappings).flatMap(([d, name]) => {
        const m = env.mappings.get(name);
        if (!m) {
          env.fail('FLOW_UNKNOWN_MAPPING', ['mappings', d], { mapping: name });
          return [];
        }
        return [[d, m] as const];
      }),
    );
    return async ({ in: { input }, out, ctx }) => {
      const dialect = ctx.services.config.callers.find((c) => c.appid === ctx.msg.appid)?.dialect ?? 'v3.2.0';
      const m = byDialect.get(dialect);
      if (!m || !input || typeof input !== 'object') {
        out.result = input;
        return;
      }
      const overlay = await m.evaluate(input);
      const normalised: Record<string, unknown> = { ...input };
      for (const t of m.targets) {
        if (overlay[t] === undefined) delete normalised[t];
        else normalised[t] = overlay[t];
      }
      out.result = normalised;
    };
  },
});
