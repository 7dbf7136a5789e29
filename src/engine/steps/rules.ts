/** rules: applies named business rules (src/domain/bill-rules.ts) to a settlement, e.g. amount sums. */
import { RuleViolation, RULES } from '../../domain/bill-rules';
import type { HisParams } from '../codes';
import { hisError } from '../errors';
import { defineStep } from '../step';

const reads = { settlement: { type: 'Settlement', free: true, doc: 'the settlement the rules check' } } as const;

export const rulesStep = defineStep<{ apply: string[] }, typeof reads, Record<string, never>>({
  kind: 'rules',
  doc: 'Checks the named rules of src/domain/bill-rules.ts against a settlement; the first broken rule stops the flow (E1002, naming the field).',
  optionsSchema: {
    type: 'object',
    required: ['apply'],
    additionalProperties: false,
    properties: { apply: { type: 'array', minItems: 1, items: { type: 'string' } } },
  },
  reads,
  writes: {},
  prepare(o, env) {
    o.apply.forEach((r, i) => {
      if (!RULES[r]) env.fail('FLOW_UNKNOWN_RULE', ['apply', String(i)], { rule: r }, `可用：${Object.keys(RULES).join(', ')}`);
    });
    const checks = o.apply.filter((r) => RULES[r]).map((r) => RULES[r].check);
    return async (io) => {
      for (const c of checks) {
        const v = c(io.in.settlement);
        // The union's kinds and params pair up (checked by violationsMatchTemplates below); TS cannot
        // correlate the two members of one union value, hence the cast.
        if (v) throw hisError('E1002', v.kind, v.params as never, v.field);
      }
    };
  },
});

// Each rule violation kind is an E1002 message name and carries exactly that template's params; this
// line stops compiling when a domain rule and the code table drift apart.
type ViolationsMatch = { [V in RuleViolation as V['kind']]: V['params'] extends HisParams<'E1002', V['kind']> ? true : never };
export const violationsMatchTemplates: ViolationsMatch extends Record<RuleViolation['kind'], true> ? true : never = true;
