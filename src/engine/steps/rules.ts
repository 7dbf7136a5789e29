/** rules: applies named business rules (src/domain/bill-rules.ts) to a value, e.g. amount sums. */
import { AmountsDoc, RULES } from '../../domain/bill-rules';
import type { StepKind } from '../step';

export const rulesStep: StepKind<{ apply: string[]; on?: string }> = {
  kind: 'rules',
  doc: 'Checks the named rules of src/domain/bill-rules.ts against a value (default: doc); the first broken rule stops the flow.',
  optionsSchema: {
    type: 'object',
    required: ['apply'],
    additionalProperties: false,
    properties: { apply: { type: 'array', minItems: 1, items: { type: 'string' } }, on: { type: 'string', default: 'doc' } },
  },
  prepare(o, env) {
    o.apply.forEach((r, i) => {
      if (!RULES[r]) env.fail('FLOW_UNKNOWN_RULE', ['apply', String(i)], `unknown rule '${r}'`, `known: ${Object.keys(RULES).join(', ')}`);
    });
    const checks = o.apply.map((r) => RULES[r].check);
    return async (rc) => {
      const doc = rc.vars[o.on ?? 'doc'] as AmountsDoc;
      for (const c of checks) c(doc);
    };
  },
};
