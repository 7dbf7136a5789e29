/**
 * A small, strict XML reader for SOAP requests, written for speed on the signature server's hot path.
 *
 * Why not fast-xml-parser here: an SVS request is a handful of elements around one or two long Base64
 * texts. A general parser walks every character of those texts; this reader jumps over them with
 * indexOf('<'), which is native. Measured in the worker on this machine: parse + reply went from
 * ~295 µs to ~60 µs of thread time per SVS_SignMessage (see docs/ca-svs.md). fast-xml-parser remains
 * the reference: a differential test feeds both the same envelopes.
 *
 * Accepted: an XML declaration, comments and processing instructions between markup, elements with
 * attributes ('…' or "…"), self-closing elements, text with the five predefined entities and numeric
 * character references (line ends normalised to LF), CDATA sections. Refused, each with a message naming the problem: DOCTYPE and
 * any other <!…> declaration (no DTD, no entity expansion, so no XXE), unknown entities, mismatched or
 * unclosed tags, '<' in attribute values, text outside the root, nesting deeper than the cap. Element and
 * attribute names are ASCII (every SOAP and WSDL name this server meets is).
 */

export interface XmlElement {
  /** local name: the prefix (if any) removed; SOAP matching is by local name (soap-envelope.ts) */
  name: string;
  children: XmlElement[];
  /** concatenated character data directly inside this element (entities decoded, CDATA as is) */
  text: string;
}

export class XmlSyntaxError extends Error {}

const NAME_END = /[\s/>]/g;
const ENTITY = /&(?:(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);)?/g;

function decodeText(chunk: string, at: number): string {
  // XML 1.0 §2.11: a parser hands on every CR LF and lone CR as LF
  const raw = chunk.includes('\r') ? chunk.replace(/\r\n?/g, '\n') : chunk;
  if (!raw.includes('&')) return raw;
  return raw.replace(ENTITY, (_, e: string | undefined) => {
    if (!e) throw new XmlSyntaxError(`'&' that is not one of &lt; &gt; &amp; &quot; &apos; or a character reference (offset ${at})`);
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (cp > 0x10ffff || cp === 0) throw new XmlSyntaxError(`bad character reference &${e}; (offset ${at})`);
      return String.fromCodePoint(cp);
    }
    return e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'quot' ? '"' : "'";
  });
}

export function scanXml(s: string, maxDepth = 32): XmlElement {
  let p = 0;
  const fail = (msg: string): never => {
    throw new XmlSyntaxError(`${msg} (offset ${p})`);
  };

  /** Steps over a comment or processing instruction at p; false when there is none. */
  const skipCommentOrPi = (): boolean => {
    const [open, close, what] = s.startsWith('<!--', p) ? ['<!--', '-->', 'comment'] : s.startsWith('<?', p) ? ['<?', '?>', 'processing instruction'] : [];
    if (!open || !close) return false;
    const e = s.indexOf(close, p + open.length);
    if (e < 0) fail(`unclosed ${what}`);
    p = e + close.length;
    return true;
  };

  /** Skips whitespace, comments, PIs (and the XML declaration); refuses <!DOCTYPE and friends. */
  const skipMisc = (): void => {
    for (;;) {
      while (p < s.length && (s.charCodeAt(p) <= 0x20 || s.charCodeAt(p) === 0xfeff)) p++;
      if (skipCommentOrPi()) continue;
      if (s.startsWith('<!', p)) fail('DOCTYPE and other declarations are not accepted');
      return;
    }
  };

  const element = (depth: number): XmlElement => {
    if (depth > maxDepth) fail(`nesting deeper than ${maxDepth}`);
    if (s.charCodeAt(p) !== 0x3c) fail("expected '<'");
    NAME_END.lastIndex = p + 1;
    const m = NAME_END.exec(s);
    if (!m) fail('unclosed start tag');
    const qname = s.slice(p + 1, m!.index);
    if (!/^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/.test(qname)) fail(`bad element name '${qname.slice(0, 40)}'`);
    p = m!.index;
    // attributes: name="value" pairs, values without '<'
    for (;;) {
      while (p < s.length && s.charCodeAt(p) <= 0x20) p++;
      const c = s[p];
      if (c === '>' || c === '/') break;
      const eq = s.indexOf('=', p);
      if (eq < 0 || !/^[A-Za-z_][\w.:-]*\s*$/.test(s.slice(p, eq))) fail(`bad attribute in <${qname}>`);
      let q = eq + 1;
      while (q < s.length && s.charCodeAt(q) <= 0x20) q++;
      const quote = s[q];
      if (quote !== '"' && quote !== "'") fail(`attribute value must be quoted in <${qname}>`);
      const close = s.indexOf(quote, q + 1);
      if (close < 0) fail(`unclosed attribute value in <${qname}>`);
      if (s.slice(q + 1, close).includes('<')) fail(`'<' in an attribute value of <${qname}>`);
      p = close + 1;
    }
    const el: XmlElement = { name: qname.slice(qname.indexOf(':') + 1), children: [], text: '' };
    if (s[p] === '/') {
      if (s[p + 1] !== '>') fail(`bad end of empty element <${qname}/>`);
      p += 2;
      return el;
    }
    p++; // '>'
    let text = '';
    for (;;) {
      const lt = s.indexOf('<', p);
      if (lt < 0) fail(`<${qname}> is not closed`);
      if (lt > p) text += decodeText(s.slice(p, lt), p);
      p = lt;
      if (s.startsWith('</', p)) {
        const gt = s.indexOf('>', p);
        if (gt < 0) fail(`unclosed end tag of <${qname}>`);
        if (s.slice(p + 2, gt).trimEnd() !== qname) fail(`</${s.slice(p + 2, gt).slice(0, 40)}> does not close <${qname}>`);
        p = gt + 1;
        el.text = text;
        return el;
      }
      if (s.startsWith('<![CDATA[', p)) {
        const e = s.indexOf(']]>', p + 9);
        if (e < 0) fail('unclosed CDATA section');
        text += s.slice(p + 9, e);
        p = e + 3;
      } else if (skipCommentOrPi()) {
        continue;
      } else if (s.startsWith('<!', p)) fail('declarations are not accepted inside elements');
      else el.children.push(element(depth + 1));
    }
  };

  skipMisc();
  if (p >= s.length) fail('empty document');
  const root = element(1);
  skipMisc();
  if (p < s.length) fail('content after the root element');
  return root;
}
