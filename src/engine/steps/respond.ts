/** respond: builds the business response, from a mapping over the named values or a fixed success text. */
import type { StepKind } from '../step';

export const respondStep: StepKind<{ mapping?: string; text?: string }> = {
  kind: 'respond',
  doc: 'Sets the business response: `mapping` (evaluated over the named values) or `text` (a success text such as 成功).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { mapping: { type: 'string' }, text: { type: 'string' } },
    oneOf: [{ required: ['mapping'] }, { required: ['text'] }],
  },
  prepare(o, env) {
    if (o.text !== undefined) {
      const text = o.text;
      return async (rc) => {
        rc.response = text;
      };
    }
    const m = env.mappings.get(o.mapping!);
    if (!m) return env.fail('FLOW_UNKNOWN_MAPPING', ['mapping'], `no mapping '${o.mapping}'`);
    return async (rc) => {
      rc.response = await m.evaluate({ ...rc.vars, input: rc.input });
    };
  },
};
