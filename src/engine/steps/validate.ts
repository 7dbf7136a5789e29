/** validate: checks the request against its service's schema in the catalogue (types, lengths, required). */
import { defineStep } from '../step';

const reads = { input: { type: 'Request', free: true, doc: 'the inbound (or dialect-normalised) business data; scalar types are coerced in place as the catalogue says (a number sent for a string field becomes text)' } } as const;

export const validateStep = defineStep<{ catalogue: string }, typeof reads, Record<string, never>>({
  kind: 'validate',
  doc: "Checks the inbound business data against the service catalogue's request schema; errors name the field and rule in Chinese (E1001).",
  optionsSchema: {
    type: 'object',
    required: ['catalogue'],
    additionalProperties: false,
    properties: { catalogue: { type: 'string', description: 'serviceId in config/catalogue/' } },
  },
  reads,
  writes: {},
  prepare(o, env) {
    if (!env.catalogue.services.has(o.catalogue)) env.fail('FLOW_UNKNOWN_SERVICE', ['catalogue'], { service: o.catalogue });
    // The catalogue the flow was loaded with, not the one current when a message runs: a hot reload
    // between two steps of a message must not give it another version's rules (live-definitions.ts).
    const catalogue = env.catalogue;
    return async (io) => {
      catalogue.validate(o.catalogue, io.in.input);
    };
  },
});
