/**
 * One HL7 v2 message, in whichever encoding it came (ER7, v2.xml, Mirth XML), → the tree and its
 * header, or the refusal to answer with AR. Pure: the HTTP, SOAP and MLLP transports share it.
 */
import { FlowError, hisError } from '../../../src/engine/errors';
import { strictDecode } from '../strict-decode';
import { DEFAULT_DELIMITERS, Delimiters, parseEr7 } from './er7';
import { headerOf, Hl7Encoding, Hl7Header, Hl7Tree } from '../../../src/engine/hl7-tree';
import { parseHl7Xml } from './xml';

export interface Decoded {
  tree: Hl7Tree;
  header: Hl7Header;
  encoding: Hl7Encoding;
  delimiters: Delimiters;
  /** v2.xml: the root element (message structure, DFT_P03) */
  structure?: string;
}

export type DecodeResult = { ok: true; msg: Decoded } | { ok: false; error: FlowError; encoding: Hl7Encoding; header: Hl7Header; delimiters: Delimiters };

const REQUIRED: [keyof Hl7Header, string, string][] = [
  ['messageType', 'MSH-9', '消息类型'],
  ['controlId', 'MSH-10', '消息控制号'],
  ['version', 'MSH-12', '版本号'],
];

export function decodeHl7(text: string): DecodeResult {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  const xml = trimmed.startsWith('<');
  if (xml && /<!DOCTYPE|<!ENTITY/i.test(trimmed)) return { ok: false, error: hisError('E0003', 'doctype', {}, 'DOCTYPE'), encoding: 'v2xml', header: {}, delimiters: DEFAULT_DELIMITERS };
  let tree: Hl7Tree;
  let encoding: Hl7Encoding;
  let delimiters = DEFAULT_DELIMITERS;
  let structure: string | undefined;
  if (xml) {
    const r = parseHl7Xml(trimmed);
    if (!r.ok) return { ok: false, error: r.error, encoding: 'v2xml', header: {}, delimiters };
    tree = r.tree;
    encoding = r.dialect;
    structure = r.root;
  } else {
    const r = parseEr7(trimmed);
    if (!r.ok) return { ok: false, error: r.error, encoding: 'er7', header: {}, delimiters: r.delimiters ?? delimiters };
    tree = r.tree;
    encoding = 'er7';
    delimiters = r.delimiters;
  }
  const header = headerOf(tree);
  if (!tree.MSH) return { ok: false, error: hisError('E2701', 'notHl7', { head: trimmed.slice(0, 20) }, 'MSH'), encoding, header, delimiters };
  for (const [k, field, name] of REQUIRED) if (!header[k]) return { ok: false, error: hisError('E2701', 'mshMissing', { field, name }, field), encoding, header, delimiters };
  return { ok: true, msg: { tree, header, encoding, delimiters, structure } };
}

/** HL7 table 0211 (MSH-18 character set) → the WHATWG label TextDecoder knows. */
const CHARSETS: Record<string, string> = { 'UNICODE UTF-8': 'utf-8', 'UNICODE': 'utf-8', 'GB 18030-2000': 'gb18030', '8859/1': 'latin1', ASCII: 'utf-8' };

/**
 * The bytes of one message as text: XML by its declaration (or the Content-Type), ER7 by MSH-18 (GB
 * 18030 is what many Chinese HIS send), else UTF-8; bytes that are not of that encoding are refused,
 * never turned into U+FFFD inside a bill.
 */
export function hl7Text(bytes: Buffer, contentType = ''): { ok: true; text: string } | { ok: false; error: FlowError } {
  const head = bytes.subarray(0, 512).toString('latin1');
  let label = 'utf-8';
  if (head.trimStart().startsWith('<')) {
    const decl = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head);
    const ct = /charset\s*=\s*"?([A-Za-z0-9._-]+)/i.exec(contentType);
    label = (decl?.[1] ?? ct?.[1] ?? 'utf-8').toLowerCase();
  } else {
    const msh = head.split(/[\r\n]/)[0];
    const sep = msh[3];
    const f18 = sep && msh.startsWith('MSH') ? msh.split(sep)[17]?.split(msh[4] ?? '^')[0]?.trim() : undefined;
    label = (f18 && CHARSETS[f18.toUpperCase()]) ?? 'utf-8';
  }
  return strictDecode(bytes, label);
}
