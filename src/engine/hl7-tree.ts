/**
 * The one tree every HL7 v2 encoding decodes to (adapters/his/hl7/), and the mappings read ($hl7). Named the way integration
 * engineers know from Mirth (`FT1.7.1`), whatever the message came as:
 *
 *   { "MSH": [segment], "PID": [segment], "FT1": [segment, segment], … }   segments in order, per name
 *   segment   = { "FT1.7": field, … }           fields by position; absent when empty
 *   field     = { "FT1.7.1": component, … }     components by position (a field without components is .1)
 *               or an array of those when the field repeats (PID-3 with ~)
 *   component = text, or { "FT1.7.1.1": text, … } when it has subcomponents (&)
 *
 * Standard v2.xml names components by data type (`<CE.1>`): they are renamed by position here, so one
 * mapping reads ER7, v2.xml and Mirth XML alike. Groups (`<DFT_P03.FINANCIAL>`) are flattened.
 */
export type Hl7Component = string | Record<string, string>;
export type Hl7Field = Record<string, Hl7Component>;
export type Hl7Segment = Record<string, Hl7Field | Hl7Field[]>;
export type Hl7Tree = Record<string, Hl7Segment[]>;

export type Hl7Encoding = 'er7' | 'v2xml' | 'mirth';

/** What the channel needs of MSH before any flow runs: who sent it, which message, which version. */
export interface Hl7Header {
  sendingApplication?: string;
  sendingFacility?: string;
  receivingApplication?: string;
  receivingFacility?: string;
  /** MSH-9.1 ^ MSH-9.2, e.g. DFT^P03 */
  messageType?: string;
  controlId?: string;
  processingId?: string;
  version?: string;
}

/**
 * A value by HL7 position, `7`, `7.2` or `4.1.2` (field, component, subcomponent): the first repetition,
 * the first component of a field asked as a whole, text or undefined. What `$hl7()` in mappings does.
 */
export function valueAt(segment: Hl7Segment | Hl7Segment[] | undefined, position: string): string | undefined {
  const seg = Array.isArray(segment) ? segment[0] : segment;
  if (!seg || typeof seg !== 'object') return undefined;
  const name = Object.keys(seg)[0]?.split('.')[0];
  if (!name) return undefined;
  const [f, c = '1', s] = String(position).split('.');
  const raw = seg[`${name}.${f}`];
  const field = Array.isArray(raw) ? raw[0] : raw;
  const comp = field?.[`${name}.${f}.${c}`];
  if (comp === undefined) return undefined;
  if (typeof comp === 'string') return s === undefined || s === '1' ? comp || undefined : undefined;
  return comp[`${name}.${f}.${c}.${s ?? '1'}`] || undefined;
}

export function headerOf(tree: Hl7Tree): Hl7Header {
  const msh = tree.MSH?.[0];
  const v = (p: string) => valueAt(msh, p);
  const type = v('9.1');
  const event = v('9.2');
  return {
    sendingApplication: v('3'),
    sendingFacility: v('4'),
    receivingApplication: v('5'),
    receivingFacility: v('6'),
    messageType: type && (event ? `${type}^${event}` : type),
    controlId: v('10'),
    processingId: v('11'),
    version: v('12'),
  };
}

/** A field reference as flows name them in `trigger.match`, `PV1-2` or `FT1-7.1`: its value. */
export function fact(tree: Hl7Tree, ref: string): string | undefined {
  const m = /^([A-Z][A-Z0-9]{2})-(\d+(?:\.\d+){0,2})$/.exec(ref);
  return m ? valueAt(tree[m[1]], m[2]) : undefined;
}
