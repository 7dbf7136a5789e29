/**
 * map: evaluates a mapping and writes its result. What it reads is what the mapping declares as its
 * `input` (one value, or named values); what it writes has the mapping's `output` type.
 */
import type { Mapping } from '../mapping';
import type { PortMap } from '../slots';
import { defineStep } from '../step';

/** The read ports a mapping's `input` declaration asks for: one free port, or one port per name. */
export function mappingReads(m: Mapping | undefined): PortMap | undefined {
  if (!m) return undefined;
  if ('type' in m.io.input) return { value: { type: m.io.input.type, free: true, doc: `the value the mapping reads (${m.io.input.type})` } };
  return Object.fromEntries(Object.entries(m.io.input.named).map(([k, t]) => [k, { type: t.type, optional: t.optional, doc: `mapping input ${k}` }]));
}

/** The mapping's input as its expressions see it: the one value, or an object of the named values. */
export function mappingRoot(m: Mapping, values: Record<string, unknown>): unknown {
  return 'type' in m.io.input ? values.value : values;
}

export const mapStep = defineStep<{ mapping: string }, PortMap, { result: { type: 'Json'; free: true; doc: string } }>({
  kind: 'map',
  doc: 'Evaluates mappings/<mapping>.map.yaml over the values it reads (as the mapping declares its input) and writes the result (typed by the mapping\'s output).',
  optionsSchema: {
    type: 'object',
    required: ['mapping'],
    additionalProperties: false,
    properties: { mapping: { type: 'string', description: 'path under mappings/ without .map.yaml' } },
  },
  reads: (o, env) => mappingReads(env.mappings.get(o.mapping)),
  writes: (o, env) => {
    const m = env.mappings.get(o.mapping);
    return m ? { result: { type: m.io.output, free: true, doc: `the mapping's result (${m.io.output})` } } : undefined;
  },
  prepare(o, env) {
    const m = env.mappings.get(o.mapping);
    if (!m) {
      env.fail('FLOW_UNKNOWN_MAPPING', ['mapping'], { mapping: o.mapping }, `可用：${[...env.mappings.keys()].join(', ')}`);
      return async () => undefined;
    }
    return async (io) => {
      io.out.result = (await m.evaluate(mappingRoot(m, io.in))) as never;
    };
  },
});
