/** Small XML text helpers shared by the WSDL generator and the SOAP channel. */

export function escText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escAttr(s: string): string {
  return escText(s).replace(/"/g, '&quot;');
}

/** Characters XML 1.0 cannot carry even escaped (C0 controls other than tab, CR, LF; lone surrogates). */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text content as it can be serialised: escaped, and unrepresentable characters replaced by U+FFFD. */
export function xmlText(s: string): string {
  return escText(s.replace(NOT_XML_CHAR, '\uFFFD'));
}
