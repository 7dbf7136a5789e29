/**
 * A hospital's own XML (the settlement document its HIS vendor sends) → a plain JSON tree the mapping
 * of its action reads: an element with children is an object of its children by local name (repeated
 * names become a list), an element without children is its text, attributes are `@name`. Namespaces are
 * dropped (vendors use them inconsistently); whitespace around text is formatting. Read by the SOAP
 * channel's strict reader: no DOCTYPE, no entity but the five, depth-bounded.
 */
import { FlowError, hisError } from '../../../src/engine/errors';
import { parseXml, XmlError, XNode } from '../soap/soap-xml';

export type XmlJson = string | { [k: string]: XmlJson | XmlJson[] };

function toJson(n: XNode): XmlJson {
  if (!n.children.length && !n.attrs.length) return n.text.trim();
  const o: Record<string, XmlJson | XmlJson[]> = {};
  for (const a of n.attrs) if (a.ns !== 'http://www.w3.org/2001/XMLSchema-instance') o[`@${a.local}`] = a.value;
  for (const c of n.children) {
    const v = toJson(c);
    const had = o[c.local];
    o[c.local] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  if (!n.children.length && n.text.trim()) o['#text'] = n.text.trim();
  return o;
}

/** The document's root element name → its content, e.g. { Settlement: { Patient: {…}, Items: {…} } }. */
export function decodeHospitalXml(text: string): { ok: true; value: Record<string, XmlJson> } | { ok: false; error: FlowError } {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) return { ok: false, error: hisError('E0003', 'doctype', {}, 'DOCTYPE') };
  try {
    const root = parseXml(text.replace(/^\uFEFF/, '').trim());
    return { ok: true, value: { [root.local]: toJson(root) } };
  } catch (e) {
    const detail = e instanceof XmlError ? e.error.message : String((e as Error)?.message ?? e).slice(0, 200);
    return { ok: false, error: hisError('E2705', 'xml', { detail }, 'message') };
  }
}
