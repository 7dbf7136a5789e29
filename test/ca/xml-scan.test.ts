/**
 * The SVS's own XML reader (xml-scan.ts) against fast-xml-parser as the reference: on every valid
 * envelope shape clients send (prefixes or not, default namespaces, SOAP 1.2, a Header, comments,
 * CDATA, entities, character references, attributes, line-wrapped Base64) both yield the same
 * operation and fields; on malformed XML the reader refuses with a message instead of guessing.
 */
import { strict as assert } from 'node:assert';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseSoapRequest, SoapRequestError } from '../../adapters/ca/svs/soap-envelope';
import { scanXml, XmlSyntaxError } from '../../adapters/ca/svs/xml-scan';

// htmlEntities: fast-xml-parser 5 decodes numeric character references (&#x4E2D;) only in that mode;
// the fixtures use no HTML-only names, so it is the XML behaviour here.
const reference = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, trimValues: true, processEntities: true, htmlEntities: true, ignorePiTags: true, ignoreDeclaration: true });

/** What fast-xml-parser makes of the same envelope: operation and field texts. */
function viaReference(xml: string): { operation: string; fields: Record<string, string> } {
  assert.equal(XMLValidator.validate(xml), true, 'the fixture itself must be well-formed');
  const body = ((reference.parse(xml) as Record<string, Record<string, unknown>>).Envelope.Body ?? {}) as Record<string, unknown>;
  const [operation, raw] = Object.entries(body)[0];
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries((raw ?? {}) as Record<string, unknown>)) fields[k] = v === '' || v === undefined ? '' : String(v);
  return { operation, fields };
}

const b64 = Buffer.alloc(300, 7).toString('base64');
const wrapped = b64.replace(/(.{76})/g, '$1\r\n');
const S11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const S12 = 'http://www.w3.org/2003/05/soap-envelope';

const VALID: Record<string, string> = {
  'prefixed, qualified fields': `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${S11}" xmlns:s="http://medbill.local/svs"><soapenv:Header/><soapenv:Body><s:SVS_SignMessage><s:appName>medbill</s:appName><s:password>p</s:password><s:keyIndex>1</s:keyIndex><s:data>${b64}</s:data></s:SVS_SignMessage></soapenv:Body></soapenv:Envelope>`,
  'default namespace, unqualified fields, pretty-printed': `<?xml version='1.0'?>\n<Envelope xmlns="${S11}">\n  <Body>\n    <SVS_SignData xmlns="http://medbill.local/svs">\n      <appName xmlns="">medbill</appName>\n      <password xmlns="">p</password>\n      <keyIndex xmlns="">1</keyIndex>\n      <data xmlns="">\n${wrapped}\n      </data>\n    </SVS_SignData>\n  </Body>\n</Envelope>\n`,
  'SOAP 1.2 with a Header full of WS-Security': `<env:Envelope xmlns:env="${S12}"><env:Header><wsse:Security xmlns:wsse="urn:x" env:mustUnderstand="true"><wsse:UsernameToken><wsse:Username>u</wsse:Username></wsse:UsernameToken></wsse:Security></env:Header><env:Body><m:SVS_GenRandom xmlns:m="http://medbill.local/svs"><m:appName>medbill</m:appName><m:password>p</m:password><m:length>16</m:length></m:SVS_GenRandom></env:Body></env:Envelope>`,
  'comments, a PI, CDATA and entities': `<?xml version="1.0"?><!-- client v2 --><e:Envelope xmlns:e="${S11}"><e:Body><?trace id=1?><s:SVS_Hash xmlns:s="urn:svs"><!-- the app --><s:appName>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;</s:appName><s:password><![CDATA[p<&>w]]></s:password><s:data>${b64}</s:data><s:userId>&#x4E2D;&#25991;</s:userId></s:SVS_Hash></e:Body></e:Envelope>`,
  'attributes in both quote styles, self-closing field': `<e:Envelope xmlns:e='${S11}' a="1" b='2'><e:Body id="b"><s:SVS_SignMessage xmlns:s="urn:svs"><s:appName x="y">medbill</s:appName><s:password>p</s:password><s:keyIndex>1</s:keyIndex><s:data>${b64}</s:data><s:isOriginalText/></s:SVS_SignMessage></e:Body></e:Envelope>`,
  'Chinese text and a BOM': `\uFEFF<e:Envelope xmlns:e="${S11}"><e:Body><s:SVS_GenRandom xmlns:s="urn:svs"><s:appName>收费处应用</s:appName><s:password>口令</s:password><s:length>8</s:length></s:SVS_GenRandom></e:Body></e:Envelope>`,
};

describe('SVS XML reader (xml-scan) against fast-xml-parser', () => {
  for (const [name, xml] of Object.entries(VALID)) {
    it(`same operation and fields as the reference: ${name}`, () => {
      const ours = parseSoapRequest(xml);
      const ref = viaReference(xml.replace(/^\uFEFF/, ''));
      assert.equal(ours.operation, ref.operation);
      assert.deepEqual({ ...ours.fields }, ref.fields);
    });
  }

  it('reads the SOAP version from the content type or the envelope namespace', () => {
    assert.equal(parseSoapRequest(VALID['SOAP 1.2 with a Header full of WS-Security']).version, '1.2');
    assert.equal(parseSoapRequest(VALID['prefixed, qualified fields']).version, '1.1');
    assert.equal(parseSoapRequest(VALID['prefixed, qualified fields'], 'application/soap+xml; charset=utf-8').version, '1.2');
  });

  const MALFORMED: Record<string, string> = {
    'mismatched end tag': `<e:Envelope xmlns:e="${S11}"><e:Body><s:Op><s:a>1</s:b></s:Op></e:Body></e:Envelope>`,
    'unclosed element': `<e:Envelope xmlns:e="${S11}"><e:Body><s:Op><s:a>1</s:a></s:Op></e:Body>`,
    'unknown entity': `<e:Envelope xmlns:e="${S11}"><e:Body><s:Op><s:a>&nbsp;</s:a></s:Op></e:Body></e:Envelope>`,
    'bare ampersand': `<e:Envelope xmlns:e="${S11}"><e:Body><s:Op><s:a>a & b</s:a></s:Op></e:Body></e:Envelope>`,
    '< in an attribute': `<e:Envelope xmlns:e="${S11}" x="<"><e:Body/></e:Envelope>`,
    'unquoted attribute': `<e:Envelope xmlns:e=${S11}><e:Body/></e:Envelope>`,
    'text after the root': `<e:Envelope xmlns:e="${S11}"><e:Body/></e:Envelope>trailing`,
    'two roots': `<a/><b/>`,
    'declaration inside': `<e:Envelope xmlns:e="${S11}"><!ELEMENT x ANY><e:Body/></e:Envelope>`,
    'DOCTYPE': `<!DOCTYPE x SYSTEM "file:///etc/passwd"><x/>`,
    'character reference to NUL': `<x>&#0;</x>`,
    'empty': ``,
    'bad name': `<1x/>`,
  };
  for (const [name, xml] of Object.entries(MALFORMED)) {
    it(`refuses malformed XML: ${name}`, () => {
      assert.throws(() => scanXml(xml), XmlSyntaxError);
      assert.throws(
        () => parseSoapRequest(xml),
        (e: unknown) => e instanceof SoapRequestError && e.httpStatus === 400 && /XML|DOCTYPE/.test(e.message),
      );
    });
  }

  it('caps nesting depth', () => {
    assert.throws(() => scanXml('<a>'.repeat(40) + '</a>'.repeat(40)), /nesting deeper than 32/);
    assert.doesNotThrow(() => scanXml('<a>'.repeat(30) + '</a>'.repeat(30)));
  });

  it('treats __proto__ and constructor as ordinary (unknown) field names', () => {
    const r = parseSoapRequest(`<e:Envelope xmlns:e="${S11}"><e:Body><s:Op xmlns:s="urn:x"><s:__proto__>x</s:__proto__><s:constructor>y</s:constructor></s:Op></e:Body></e:Envelope>`);
    assert.deepEqual(Object.keys(r.fields).sort(), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(r.fields), null);
  });

  it('refuses SOAP structure errors: no Envelope, two Bodies, two operations, nested field, repeated field', () => {
    const bad = [
      `<x:Other xmlns:x="${S11}"/>`,
      `<e:Envelope xmlns:e="${S11}"><e:Body/><e:Body/></e:Envelope>`,
      `<e:Envelope xmlns:e="${S11}"><e:Body><a/><b/></e:Body></e:Envelope>`,
      `<e:Envelope xmlns:e="${S11}"><e:Body><op><f><g/></f></op></e:Body></e:Envelope>`,
      `<e:Envelope xmlns:e="${S11}"><e:Body><op><f>1</f><f>2</f></op></e:Body></e:Envelope>`,
      `<e:Envelope xmlns:e="${S11}"><e:Body>text<op/></e:Body></e:Envelope>`,
    ];
    for (const xml of bad) assert.throws(() => parseSoapRequest(xml), SoapRequestError, xml);
  });
});
