/**
 * ER7, HL7 v2's pipe-and-hat text, read with the delimiters the message declares in MSH-1/MSH-2 (not
 * assumed to be |^~\&) and its escapes undone (\F\ \S\ \T\ \R\ \E\ \Xhh…\ \.br\). Hand-written: the
 * maintained npm parsers either assume the default delimiters, leave escapes in the text, or need a
 * newer Node than ours (the evaluation is in docs/integration-guide.md#hl7-v2-dftp03-and-refunds). About 0.13 ms per DFT^P03
 * (bench/hl7.ts).
 */
import { FlowError, hisError } from '../../../src/engine/errors';
import type { Hl7Component, Hl7Field, Hl7Segment, Hl7Tree } from '../../../src/engine/hl7-tree';
import { collapse } from './xml';

export interface Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
}

export const DEFAULT_DELIMITERS: Delimiters = { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };

const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;

export type Er7Result = { ok: true; tree: Hl7Tree; delimiters: Delimiters } | { ok: false; error: FlowError; delimiters?: Delimiters };

/** The delimiters of an ER7 message, or why they are unusable. */
export function readDelimiters(text: string): { ok: true; d: Delimiters } | { ok: false; error: FlowError } {
  const bad = (detail: string) => ({ ok: false as const, error: hisError('E2701', 'delimiters', { detail }, 'MSH-2') });
  const field = text[3];
  if (field === undefined || /[\sA-Za-z0-9]/.test(field)) return bad(`MSH-1 字段分隔符 “${field ?? ''}” 无效`);
  const end = text.indexOf(field, 4);
  const enc = text.slice(4, end < 0 ? Math.min(text.length, 9) : end);
  // 2.7 adds a fifth character (truncation, usually #); it is read and otherwise ignored.
  if (enc.length < 4 || enc.length > 5) return bad(`MSH-2 应为 4 个字符（如 ^~\\&），收到 “${enc.slice(0, 8)}”`);
  const chars = [field, ...enc.slice(0, 4)];
  if (new Set(chars).size !== chars.length) return bad(`分隔符 “${chars.join('')}” 中有重复字符`);
  if (chars.some((c) => /[\sA-Za-z0-9]/.test(c))) return bad(`分隔符 “${chars.join('')}” 中有字母、数字或空白`);
  return { ok: true, d: { field, component: enc[0], repetition: enc[1], escape: enc[2], subcomponent: enc[3] } };
}

/** Undoes the escapes of one text value (a component or subcomponent). An unknown escape is dropped; an unterminated one is text. */
export function unescapeEr7(s: string, d: Delimiters): string {
  if (!s.includes(d.escape)) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== d.escape) {
      out += c;
      i++;
      continue;
    }
    const close = s.indexOf(d.escape, i + 1);
    if (close < 0) {
      out += s.slice(i);
      break;
    }
    const code = s.slice(i + 1, close);
    i = close + 1;
    if (code === 'F') out += d.field;
    else if (code === 'S') out += d.component;
    else if (code === 'T') out += d.subcomponent;
    else if (code === 'R') out += d.repetition;
    else if (code === 'E') out += d.escape;
    else if (code === '.br') out += '\n';
    else if (/^X([0-9A-Fa-f]{2})+$/.test(code)) out += Buffer.from(code.slice(1), 'hex').toString('utf8');
    // \H\ \N\ (highlighting), \Cxxyy\ \Mxxyyzz\ (character sets) and the rest carry no text.
  }
  return out;
}

export function escapeEr7(s: string, d: Delimiters = DEFAULT_DELIMITERS): string {
  let out = '';
  for (const c of s) {
    if (c === d.escape) out += `${d.escape}E${d.escape}`;
    else if (c === d.field) out += `${d.escape}F${d.escape}`;
    else if (c === d.component) out += `${d.escape}S${d.escape}`;
    else if (c === d.subcomponent) out += `${d.escape}T${d.escape}`;
    else if (c === d.repetition) out += `${d.escape}R${d.escape}`;
    else if (c === '\r' || c === '\n') out += `${d.escape}.br${d.escape}`;
    else out += c;
  }
  return out;
}

function component(name: string, value: string, d: Delimiters): Hl7Component | undefined {
  if (!value.includes(d.subcomponent)) return value === '' ? undefined : unescapeEr7(value, d);
  const subs: Record<string, string> = {};
  value.split(d.subcomponent).forEach((v, k) => {
    if (v !== '') subs[`${name}.${k + 1}`] = unescapeEr7(v, d);
  });
  return collapse(subs, name);
}

function field(name: string, value: string, d: Delimiters): Hl7Field | undefined {
  const f: Hl7Field = {};
  value.split(d.component).forEach((v, j) => {
    const c = component(`${name}.${j + 1}`, v, d);
    if (c !== undefined) f[`${name}.${j + 1}`] = c;
  });
  return Object.keys(f).length ? f : undefined;
}

/** A whole message → the tree. Segments end at CR (the standard), LF or CRLF (what many senders write). */
export function parseEr7(text: string): Er7Result {
  const body = text.replace(/^\uFEFF/, '').replace(/^[\r\n]+/, '');
  if (!body.trim()) return { ok: false, error: hisError('E2701', 'empty', {}, 'MSH') };
  if (!body.startsWith('MSH')) return { ok: false, error: hisError('E2701', 'notHl7', { head: body.slice(0, 20) }, 'MSH') };
  const dl = readDelimiters(body);
  if (!dl.ok) return dl;
  const d = dl.d;
  const tree: Hl7Tree = {};
  const lines = body.split(/\r\n|\r|\n/);
  let index = 0;
  for (const line of lines) {
    if (line === '') continue;
    index++;
    const isMsh = index === 1;
    const fields = line.split(d.field);
    const name = fields[0];
    if (!SEGMENT_NAME.test(name))
      return { ok: false, error: hisError('E2701', 'segmentName', { index, name: name.slice(0, 10) }, `segment[${index}]`), delimiters: d };
    const seg: Hl7Segment = {};
    if (isMsh) {
      // MSH-1 is the field separator itself and MSH-2 the encoding characters: text, never split.
      seg['MSH.1'] = { 'MSH.1.1': d.field };
      seg['MSH.2'] = { 'MSH.2.1': fields[1] ?? '' };
    }
    for (let i = isMsh ? 2 : 1; i < fields.length; i++) {
      const n = isMsh ? i + 1 : i;
      const key = `${name}.${n}`;
      const reps = fields[i].split(d.repetition).map((r) => field(key, r, d));
      const present = reps.filter((r): r is Hl7Field => r !== undefined);
      if (!present.length) continue;
      seg[key] = reps.length === 1 ? present[0] : present;
    }
    (tree[name] ??= []).push(seg);
  }
  return { ok: true, tree, delimiters: d };
}

/** One outbound segment: fields[i] is field i+1, a text or its components (plain text; escaped here). MSH-1/-2 come from the delimiters. */
export type OutSegment = { name: string; fields: (string | string[] | undefined)[] };

export function writeEr7(segments: OutSegment[], d: Delimiters = DEFAULT_DELIMITERS): string {
  const enc = d.component + d.repetition + d.escape + d.subcomponent;
  return segments
    .map((s) => {
      const parts = s.fields.map((f) => (f === undefined ? '' : Array.isArray(f) ? f.map((c) => escapeEr7(c, d)).join(d.component) : escapeEr7(f, d)));
      // MSH-1 is the separator between "MSH" and MSH-2; MSH-2 is written as is.
      const line = s.name === 'MSH' ? ['MSH', enc, ...parts.slice(2)] : [s.name, ...parts];
      while (line.length > 2 && line[line.length - 1] === '') line.pop();
      return line.join(d.field);
    })
    .join('\r') + '\r';
}
