/**
 * respond: the business answer, from a mapping over the values it reads or a fixed success text. It
 * ends the path: the flow answers when it gets here (steps after it run only if a goto leads to them).
 */
import type { PortMap } from '../slots';
import { defineStep } from '../step';
import { mappingReads, mappingRoot } from './map';

export const respondStep = defineStep<{ mapping?: string; text?: string }, PortMap, Record<string, never>>({
  kind: 'respond',
  doc: 'Ends the path with the business response: `mapping` (over the values it reads, as the mapping declares its input) or `text` (a success text such as 成功).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { mapping: { type: 'string' }, text: { type: 'string' } },
    oneOf: [{ required: ['mapping'] }, { required: ['text'] }],
  },
  reads: (o, env) => (o.text !== undefined ? {} : mappingReads(env.mappings.get(o.mapping ?? ''))),
  writes: {},
  roles: ['respond'],
  terminal: true,
  prepare(o, env) {
    if (o.text !== undefined) {
      const text = o.text;
      return async ({ ctx }) => {
        ctx.response = text;
      };
    }
    const m = env.mappings.get(o.mapping!);
    if (!m) {
      env.fail('FLOW_UNKNOWN_MAPPING', ['mapping'], { mapping: o.mapping! });
      return async () => undefined;
    }
    return async (io) => {
      io.ctx.response = await m.evaluate(mappingRoot(m, io.in));
    };
  },
});
