/**
 * HL7 v2 as XML, in its two dialects, to the same tree as ER7 (tree.ts):
 *   - standard v2.xml (`urn:hl7-org:v2xml`): root = message structure (<DFT_P03>), groups
 *     (<DFT_P03.FINANCIAL>) around segments, components named by data type (<CE.1>);
 *   - Mirth's: root <HL7Message>, no groups, components named by position (<FT1.7.1>).
 * And back, for the ACK: a reply is written in the dialect the message came in.
 * The XML is read by the SOAP channel's strict reader (no DOCTYPE, no entity but the five, depth-bounded).
 */
import { FlowError, hisError } from '../../../src/engine/errors';
import { parseXml, XmlError, XNode } from '../soap/soap-xml';
import { xmlText } from '../soap/xml';
import type { OutSegment } from './er7';
import type { Hl7Component, Hl7Field, Hl7Segment, Hl7Tree } from '../../../src/engine/hl7-tree';

export const V2XML_NS = 'urn:hl7-org:v2xml';
const SEGMENT = /^[A-Z][A-Z0-9]{2}$/;
const POSITIONED = /\.(\d+)$/;

export type XmlResult = { ok: true; tree: Hl7Tree; dialect: 'v2xml' | 'mirth'; root: string } | { ok: false; error: FlowError };

const shape = (path: string, detail: string) => ({ ok: false as const, error: hisError('E2701', 'xmlShape', { path: path.slice(0, 80), detail }, path.slice(0, 80)) });

function textOf(n: XNode): string {
  return n.text.trim();
}

/** A component whose only subcomponent is the first is that text (a TS inside DR: <DR.1><TS.1>…), as ER7 has it. */
export function collapse(subs: Record<string, string>, name: string): Hl7Component | undefined {
  const keys = Object.keys(subs);
  if (!keys.length) return undefined;
  return keys.length === 1 && keys[0] === `${name}.1` ? subs[keys[0]] : subs;
}

function componentOf(n: XNode, name: string): Hl7Component | undefined {
  if (!n.children.length) return textOf(n) || undefined;
  const subs: Record<string, string> = {};
  for (const s of n.children) {
    const k = POSITIONED.exec(s.local)?.[1];
    if (k && textOf(s)) subs[`${name}.${k}`] = textOf(s);
  }
  return collapse(subs, name);
}

function fieldOf(n: XNode, key: string): Hl7Field | undefined {
  const f: Hl7Field = {};
  if (!n.children.length) {
    if (textOf(n)) f[`${key}.1`] = textOf(n);
  } else
    for (const c of n.children) {
      const m = POSITIONED.exec(c.local)?.[1];
      if (!m) continue;
      const v = componentOf(c, `${key}.${m}`);
      if (v !== undefined) f[`${key}.${m}`] = v;
    }
  return Object.keys(f).length ? f : undefined;
}

function segmentOf(n: XNode, path: string): Hl7Segment | FlowError {
  const seg: Hl7Segment = {};
  for (const c of n.children) {
    const m = new RegExp(`^${n.local}\\.(\\d+)$`).exec(c.local);
    if (!m) return shape(`${path}/${c.local}`, `段 ${n.local} 的子元素应为 ${n.local}.<序号>`).error;
    const key = `${n.local}.${m[1]}`;
    const f = fieldOf(c, key);
    if (!f) continue;
    const had = seg[key];
    seg[key] = had === undefined ? f : Array.isArray(had) ? [...had, f] : [had, f];
  }
  return seg;
}

function collect(n: XNode, tree: Hl7Tree, path: string, groups: boolean): FlowError | undefined {
  for (const c of n.children) {
    if (SEGMENT.test(c.local)) {
      const s = segmentOf(c, `${path}/${c.local}`);
      if (s instanceof FlowError) return s;
      (tree[c.local] ??= []).push(s);
    } else if (groups && c.local.includes('.')) {
      const e = collect(c, tree, `${path}/${c.local}`, groups);
      if (e) return e;
    } else return shape(`${path}/${c.local}`, '既不是段（三个大写字母或数字）也不是段组').error;
  }
  return undefined;
}

/** An XML text → the tree; the caller has refused a DOCTYPE already. */
export function parseHl7Xml(text: string): XmlResult {
  let root: XNode;
  try {
    root = parseXml(text);
  } catch (e) {
    if (e instanceof XmlError) return { ok: false, error: e.error };
    throw e;
  }
  const dialect = root.ns === V2XML_NS ? 'v2xml' : root.local === 'HL7Message' ? 'mirth' : undefined;
  if (!dialect) return { ok: false, error: hisError('E2701', 'notHl7', { head: `<${root.local} xmlns="${root.ns}">`.slice(0, 80) }, 'MSH') };
  const tree: Hl7Tree = {};
  const err = collect(root, tree, `/${root.local}`, dialect === 'v2xml');
  if (err) return { ok: false, error: err };
  return { ok: true, tree, dialect, root: root.local };
}

/** Data types of the ACK's fields, for v2.xml component names (MSH-9 is MSG: <MSG.1>, <MSG.2>). */
export type FieldTypes = Record<string, (string | undefined)[]>;

export function writeHl7Xml(segments: OutSegment[], dialect: 'v2xml' | 'mirth', structure: string, types: FieldTypes, delimiters = '|^~\\&'): string {
  const out: string[] = [];
  for (const s of segments) {
    const fields: string[] = [];
    s.fields.forEach((f, i) => {
      const n = i + 1;
      const key = `${s.name}.${n}`;
      if (s.name === 'MSH' && n <= 2) return fields.push(`<${key}>${xmlText(n === 1 ? delimiters[0] : delimiters.slice(1))}</${key}>`);
      if (f === undefined || f === '' || (Array.isArray(f) && f.every((c) => c === ''))) return;
      const type = types[s.name]?.[i];
      const comps = Array.isArray(f) ? f : [f];
      // A field of a simple type is its text; one of a composite type has a child per component.
      if (!Array.isArray(f) && (dialect === 'v2xml' ? !type : false)) return fields.push(`<${key}>${xmlText(f)}</${key}>`);
      const inner = comps
        .map((c, j) => {
          if (c === '') return '';
          const cn = dialect === 'v2xml' ? `${type ?? 'ST'}.${j + 1}` : `${key}.${j + 1}`;
          return `<${cn}>${xmlText(c)}</${cn}>`;
        })
        .join('');
      fields.push(`<${key}>${inner}</${key}>`);
    });
    out.push(`<${s.name}>${fields.join('')}</${s.name}>`);
  }
  const root = dialect === 'v2xml' ? `${structure} xmlns="${V2XML_NS}"` : 'HL7Message';
  return `<?xml version="1.0" encoding="UTF-8"?><${root}>${out.join('')}</${dialect === 'v2xml' ? structure : 'HL7Message'}>`;
}
