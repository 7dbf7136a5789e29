/** map: runs a mapping file and stores its output under a name for later steps. */
import type { StepKind } from '../step';

export const mapStep: StepKind<{ mapping: string; from?: 'input' | 'vars'; to: string }> = {
  kind: 'map',
  doc: 'Evaluates mappings/<mapping>.map.yaml against the inbound data (from: input) or the named values so far (from: vars) and stores the result as `to`.',
  optionsSchema: {
    type: 'object',
    required: ['mapping', 'to'],
    additionalProperties: false,
    properties: {
      mapping: { type: 'string', description: 'path under mappings/ without .map.yaml' },
      from: { enum: ['input', 'vars'], default: 'input' },
      to: { type: 'string', pattern: '^[A-Za-z_]\\w*$' },
    },
  },
  prepare(o, env) {
    const m = env.mappings.get(o.mapping);
    if (!m) return env.fail('FLOW_UNKNOWN_MAPPING', ['mapping'], `no mapping '${o.mapping}'`, `known: ${[...env.mappings.keys()].join(', ')}`);
    return async (rc) => {
      rc.vars[o.to] = await m.evaluate(o.from === 'vars' ? { ...rc.vars, input: rc.input } : rc.input);
    };
  },
};
