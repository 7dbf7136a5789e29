/**
 * JSON Schema of flow files, generated from the step registry so docs, editor completion and the
 * loader cannot drift. Committed as flows/flow.schema.json; a flow file that
 * starts with `# yaml-language-server: $schema=../flow.schema.json` gets completion and
 * inline errors in VS Code. The loader (flow-loader.ts) stays the authority: it also checks
 * references, gotos, the data path of every slot and the ordering rules, which a schema cannot express.
 */
import { FLOW_CHANNELS, FLOW_FORMAT_VERSION, RESTORE_SOURCES } from './flow-loader';
import { STEP_KINDS } from './registry';

const slotList = (what: string) => ({ type: 'array', items: { type: 'string', pattern: '^[A-Za-z_]\\w*$' }, description: what });

const SHARED = {
  id: { type: 'string', pattern: '^[a-z][a-z0-9-]*$', description: 'unique step id (kebab-case): used in logs, traces, dead letters and replay' },
  when: { type: 'string', description: 'JSONata condition over the named values and input; the step is skipped when false' },
  timeout: { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m|h)$', description: 'per-attempt time budget, e.g. 5s' },
  note: { type: 'string' },
  reads: slotList('the named values this step reads (its kind\'s read ports)'),
  writes: slotList('the named values this step writes (its kind\'s write ports)'),
};

export function flowSchema(): Record<string, unknown> {
  const steps = [...STEP_KINDS.values()].map((k) => ({
    title: k.kind,
    description: k.doc,
    type: 'object',
    required: ['id', k.kind],
    additionalProperties: false,
    properties: { ...SHARED, [k.kind]: k.optionsSchema },
  }));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://medbill.local/schemas/flow.schema.json',
    title: 'medbill flow file',
    type: 'object',
    required: ['version', 'flow', 'trigger', 'steps'],
    additionalProperties: false,
    properties: {
      version: { const: FLOW_FORMAT_VERSION },
      flow: { type: 'string', description: 'the file stem, or <folder>-<stem>' },
      description: { type: 'string' },
      trigger: {
        type: 'object',
        additionalProperties: false,
        properties: {
          channel: { enum: [...FLOW_CHANNELS], description: 'his (JSON and SOAP, default) | hl7 (HL7 v2 over HTTP, SOAP acceptHL7, MLLP) | hospital-xml (SOAP acceptHospitalXml)' },
          service: { type: 'string', description: 'his: serviceId in config/catalogue/; hl7: message type^event (MSH-9), e.g. DFT^P03; hospital-xml: the action' },
          match: { type: 'object', additionalProperties: { type: 'string' }, description: 'hl7 only: field values the message must have, e.g. { PV1-2: O }' },
          schedule: { type: 'string' },
        },
      },
      hl7: {
        type: 'object',
        required: ['version'],
        additionalProperties: false,
        description: 'hl7 flows: the HL7 version they read (MSH-12); a message of another version gets AR',
        properties: { version: { type: 'string', pattern: '^2\\.\\d+(\\.\\d+)?$' } },
      },
      deadline: { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m|h)$' },
      recovery: {
        type: 'object',
        required: ['resumeAt', 'restore'],
        additionalProperties: false,
        description: 'where recovery re-enters a flow that takes numbers, and what it restores from the reservation',
        properties: {
          resumeAt: { type: 'string', description: 'step id' },
          restore: { type: 'object', additionalProperties: { enum: Object.keys(RESTORE_SOURCES) } },
        },
      },
      steps: { type: 'array', minItems: 1, items: { oneOf: steps } },
    },
  };
}
