/**
 * The SOAP view of the service catalogue: which operations exist and what their typed fields look like.
 * Both the WSDL generator and the channel's dispatcher read this one model, so a new catalogue entry
 * becomes an operation (and, with `issues:`, a typed operation) without touching SOAP code.
 */
import type { Catalogue, JsonSchema, ServiceEntry } from '../../../src/engine/catalogue';

/** Our target namespace: an http URI because wsimport/svcutil derive package names from it. */
export const TNS = 'http://medbill.local/ws/EBillService';
export const SERVICE_NAME = 'EBillService';
/** soap:address of the committed WSDL; the channel rewrites it to the configured public URL when serving. */
export const ADDRESS_PLACEHOLDER = 'http://HOST:17001/medical-web/ws/EBillService';
export const TYPED_SUFFIX = 'Typed';

export const ENVELOPE_REQUEST_FIELDS = ['appid', 'data', 'noise', 'version', 'sign'] as const;
export const ENVELOPE_RESPONSE_FIELDS = ['data', 'noise', 'sign'] as const;

export type OpStyle = 'envelope' | 'typed';

export interface SoapOperation {
  /** WSDL operation name = local name of the request element (document/literal wrapped) */
  name: string;
  serviceId: string;
  style: OpStyle;
  title: string;
  entry: ServiceEntry;
  /** typed operations only: the business request and response fields */
  request?: Field[];
  response?: Field[];
}

export type FieldKind = 'string' | 'decimal' | 'integer' | 'number' | 'boolean' | 'object';

export interface Field {
  name: string;
  title?: string;
  required: boolean;
  /** a JSON array: repeated XML elements */
  repeated: boolean;
  kind: FieldKind;
  /** the resolved schema of the value (of one item for arrays) */
  schema: JsonSchema;
  /** arrays: the catalogue's item count limits (checked by the catalogue, documented in the XSD) */
  minItems?: number;
  maxItems?: number;
  /** `$defs` name when the value is a shared object type (becomes a named complexType) */
  defName?: string;
  children?: Field[];
}

const NCNAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function kindOf(s: JsonSchema, where: string): FieldKind {
  if (s.decimal) return 'decimal';
  switch (s.type) {
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean':
    case 'object':
      return s.type;
    case undefined:
      if (s.properties) return 'object';
      throw new Error(`${where}: no type (the SOAP generator needs one)`);
    default:
      throw new Error(`${where}: type ${JSON.stringify(s.type)} has no XML form`);
  }
}

function defNameOf(s: JsonSchema): string | undefined {
  const ref = s.$ref as string | undefined;
  return ref ? /#\/\$defs\/(.+)$/.exec(ref)?.[1] : undefined;
}

/** The XML shape of an object schema's properties, in declaration order (the XSD sequence order). */
export function fieldsOf(schema: JsonSchema, cat: Catalogue, where: string): Field[] {
  const s = cat.resolve(schema);
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = (s.required as string[] | undefined) ?? [];
  return Object.entries(props).map(([name, raw]) => {
    const at = `${where}.${name}`;
    if (!NCNAME.test(name)) throw new Error(`${at}: '${name}' is not a valid XML element name`);
    const p = cat.resolve(raw);
    const repeated = p.type === 'array';
    const itemRaw = repeated ? (p.items as JsonSchema | undefined) : raw;
    if (!itemRaw) throw new Error(`${at}: array without items`);
    const item = cat.resolve(itemRaw);
    if (item.type === 'array') throw new Error(`${at}: arrays of arrays have no XML form`);
    const kind = kindOf(item, at);
    const f: Field = { name, title: (p.title ?? item.title) as string | undefined, required: required.includes(name), repeated, kind, schema: item };
    if (repeated && p.minItems !== undefined) f.minItems = Number(p.minItems);
    if (repeated && p.maxItems !== undefined) f.maxItems = Number(p.maxItems);
    if (kind === 'object') {
      f.defName = defNameOf(itemRaw);
      f.children = fieldsOf(item, cat, at);
    }
    return f;
  });
}

function isObjectSchema(s: JsonSchema | undefined, cat: Catalogue): boolean {
  if (!s) return false;
  const r = cat.resolve(s);
  return r.type === 'object' || (r.type === undefined && r.properties !== undefined);
}

/** Issuing services (`issues:`) and entries marked `typed: true` also get `<serviceId>Typed`. */
export function hasTypedOperation(entry: ServiceEntry): boolean {
  return entry.typed ?? entry.issues !== undefined;
}

/** Every operation, sorted by name so the generated WSDL is stable. */
export function soapOperations(cat: Catalogue): SoapOperation[] {
  const ops: SoapOperation[] = [];
  for (const entry of cat.services.values()) {
    const id = entry.service;
    if (!NCNAME.test(id)) throw new Error(`${entry.file}: service '${id}' is not a valid XML element name`);
    ops.push({ name: id, serviceId: id, style: 'envelope', title: entry.title, entry });
    if (hasTypedOperation(entry)) {
      const response = isObjectSchema(entry.response, cat) ? fieldsOf(entry.response!, cat, `${id}.response`) : [];
      ops.push({ name: id + TYPED_SUFFIX, serviceId: id, style: 'typed', title: `${entry.title}（类型化）`, entry, request: fieldsOf(entry.request, cat, `${id}.request`), response });
    }
  }
  ops.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const seen = new Set<string>();
  for (const o of ops) {
    // An element name ending in "Response" would collide with another operation's response element.
    for (const n of [o.name, o.name + 'Response']) {
      if (seen.has(n)) throw new Error(`${o.entry.file}: SOAP element name ${n} is used twice`);
      seen.add(n);
    }
  }
  return ops;
}
