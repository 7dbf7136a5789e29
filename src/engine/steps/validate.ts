/** validate: checks the request against its service's schema in the catalogue (types, lengths, required). */
import type { StepKind } from '../step';

export const validateStep: StepKind<{ catalogue: string }> = {
  kind: 'validate',
  doc: "Checks the inbound business data against the service catalogue's request schema; errors name the field and rule in Chinese.",
  optionsSchema: {
    type: 'object',
    required: ['catalogue'],
    additionalProperties: false,
    properties: { catalogue: { type: 'string', description: 'serviceId in config/catalogue/' } },
  },
  prepare(o, env) {
    if (!env.catalogue.services.has(o.catalogue)) env.fail('FLOW_UNKNOWN_SERVICE', ['catalogue'], `no catalogue entry '${o.catalogue}'`);
    return async (rc) => {
      rc.services.catalogue.validate(o.catalogue, rc.input);
    };
  },
};
