/**
 * Typed operations: business fields as XML elements ⇄ the same JSON the JSON channel decodes, driven by
 * the catalogue's field model. Values stay strings (money never passes through a binary float); the
 * catalogue validator coerces integers and checks every rule, so a typed request gets exactly the
 * Chinese messages a JSON request gets.
 */
import type { Field } from './operations';
import { isNil, XNode } from './soap-xml';
import { xmlText } from './xml';

export type Business = Record<string, unknown>;

/**
 * Element children → JSON object. Elements are matched by local name in any order (clients built
 * from older WSDLs reorder); unknown elements are ignored as the JSON channel ignores unknown keys;
 * a repeated field becomes an array even with one element.
 */
export function xmlToBusiness(node: XNode, fields: Field[]): Business {
  const out: Business = {};
  for (const f of fields) {
    const els = node.children.filter((c) => c.local === f.name && !isNil(c));
    if (f.repeated) {
      if (els.length || f.required) out[f.name] = els.map((e) => value(e, f));
    } else if (els.length) out[f.name] = value(els[0], f);
  }
  return out;
}

function value(n: XNode, f: Field): unknown {
  if (f.kind === 'object') return xmlToBusiness(n, f.children ?? []);
  // An element that has children where a value was expected keeps them visible to validation (a type error).
  if (n.children.length) return xmlToBusiness(n, []);
  return f.kind === 'string' ? n.text : n.text.trim();
}

/** JSON object → element children in schema order (`tns:` prefix bound by the caller). */
export function businessToXml(obj: Business, fields: Field[]): string {
  let s = '';
  for (const f of fields) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    for (const item of f.repeated && Array.isArray(v) ? v : [v]) {
      if (item === undefined || item === null) continue;
      const inner = f.kind === 'object' && typeof item === 'object' ? businessToXml(item as Business, f.children ?? []) : xmlText(String(item));
      s += `<tns:${f.name}>${inner}</tns:${f.name}>`;
    }
  }
  return s;
}
