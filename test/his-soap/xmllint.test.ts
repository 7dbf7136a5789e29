/**
 * The WSDL checked by xmllint (libxml2) against the published schemas: the WSDL 1.1 schema and its
 * SOAP 1.1 binding extension, and its inline XSD against the XML Schema 1.0 schema for schemas. The
 * schema files come from Debian's python3-xmlschema (…/xmlschema/schemas/WSDL/wsdl.xsd, wsdl-soap.xsd,
 * XSD_1.0/XMLSchema.xsd — the WSDL schemas under IBM/Microsoft's "License for WSDL Schema Files", the
 * XSD one under the W3C licence, both redistributable; see /usr/share/doc/python3-xmlschema/copyright),
 * so nothing is vendored and nothing is fetched (--nonet; an XML catalog maps the one import of
 * XMLSchema.xsd to the package's local copy). No SOAP 1.2 binding schema ships in Debian: those elements
 * are checked lax (the WSDL schema allows extensions) and by zeep (zeep.test.ts).
 * Skipped where xmllint or python3-xmlschema is missing, except in CI (.ci/run installs both).
 */
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { TNS } from '../../adapters/his/soap/operations';
import { generateWsdl } from '../../adapters/his/soap/wsdl-gen';
import { PROJECT_ROOT } from '../../src/config';
import { loadCatalogue } from '../../src/engine/catalogue';

const run = promisify(execFile);

function schemasDir(): string | undefined {
  const debian = '/usr/lib/python3/dist-packages/xmlschema/schemas';
  if (existsSync(path.join(debian, 'WSDL', 'wsdl.xsd'))) return debian;
  try {
    const dir = execFileSync('/usr/bin/python3', ['-c', 'import os, xmlschema; print(os.path.dirname(xmlschema.__file__))'], { encoding: 'utf8' }).trim();
    return existsSync(path.join(dir, 'schemas', 'WSDL', 'wsdl.xsd')) ? path.join(dir, 'schemas') : undefined;
  } catch {
    return undefined;
  }
}

function hasXmllint(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The inline schema as a standalone document (it inherits its prefixes from wsdl:definitions). */
export function inlineSchema(wsdl: string): string {
  return wsdl
    .slice(wsdl.indexOf('<xs:schema'), wsdl.indexOf('</xs:schema>') + '</xs:schema>'.length)
    .replace('<xs:schema ', `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="${TNS}" `);
}

describe('his-soap: xmllint validates the WSDL against the WSDL 1.1 and XML Schema schemas', function () {
  this.timeout(60_000);
  let dir: string;
  let S: string;
  const committed = readFileSync(path.join(PROJECT_ROOT, 'wsdl', 'EBillService.wsdl'), 'utf8');
  before(function () {
    const found = schemasDir();
    if (!found || !hasXmllint()) {
      if (process.env.CI) assert.fail('xmllint (libxml2-utils) or python3-xmlschema is missing (.ci/run installs them)');
      this.skip();
    }
    S = found!;
    dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-xmllint-'));
    const file = (p: string) => `file://${path.join(S, p)}`;
    writeFileSync(
      path.join(dir, 'wsdl-check.xsd'),
      `<?xml version="1.0"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:medbill:wsdl-check">\n` +
        `  <xs:import namespace="http://schemas.xmlsoap.org/wsdl/" schemaLocation="${file('WSDL/wsdl.xsd')}"/>\n` +
        `  <xs:import namespace="http://schemas.xmlsoap.org/wsdl/soap/" schemaLocation="${file('WSDL/wsdl-soap.xsd')}"/>\n</xs:schema>\n`,
    );
    writeFileSync(
      path.join(dir, 'catalog.xml'),
      `<?xml version="1.0"?>\n<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">\n` +
        `  <system systemId="http://www.w3.org/2001/xml.xsd" uri="${file('XML/xml_minimal.xsd')}"/>\n` +
        `  <uri name="http://www.w3.org/2001/xml.xsd" uri="${file('XML/xml_minimal.xsd')}"/>\n</catalog>\n`,
    );
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  /** xmllint's verdict on one document: '' when it validates, else its first complaints. */
  async function verdict(schema: string, doc: string, name: string): Promise<string> {
    const f = path.join(dir, name);
    writeFileSync(f, doc);
    try {
      await run('xmllint', ['--noout', '--nonet', '--schema', schema, f], { env: { ...process.env, XML_CATALOG_FILES: path.join(dir, 'catalog.xml') } });
      return '';
    } catch (e) {
      return String((e as { stderr?: string }).stderr ?? e).split('\n').slice(0, 3).join('\n') || 'fails';
    }
  }
  const wsdlCheck = () => path.join(dir, 'wsdl-check.xsd');
  const xsdCheck = () => path.join(S, 'XSD_1.0', 'XMLSchema.xsd');

  it('wsdl/EBillService.wsdl is valid WSDL 1.1 with valid SOAP 1.1 bindings; broken copies are not', async () => {
    assert.equal(await verdict(wsdlCheck(), committed, 'ok.wsdl'), '');
    assert.match(await verdict(wsdlCheck(), committed.replace('<soap:body use="literal"/>', '<soap:body use="bogus"/>'), 'use.wsdl'), /enumeration/);
    const msg = /<wsdl:message name="[^"]+"/.exec(committed)![0];
    assert.match(await verdict(wsdlCheck(), committed.replace('<wsdl:portType', `${msg}/>\n  <wsdl:portType`), 'dup.wsdl'), /[Dd]uplicate key/);
    assert.match(await verdict(wsdlCheck(), committed.replace('<wsdl:operation name="', '<wsdl:operation nom="'), 'noname.wsdl'), /name/);
  });

  it('its inline XSD is a valid XML Schema 1.0 document; a broken one is not', async () => {
    assert.equal(await verdict(xsdCheck(), inlineSchema(committed), 'types.xsd'), '');
    assert.match(await verdict(xsdCheck(), inlineSchema(committed).replace('maxOccurs="unbounded"', 'maxOccurs="many"'), 'bad.xsd'), /maxOccurs/);
    assert.match(await verdict(xsdCheck(), inlineSchema(committed).replace('<xs:sequence>', '<xs:sequence><xs:elephant/>'), 'bad2.xsd'), /elephant/);
  });

  it('a catalogue with another issuance entry (nested object, enum, integer, array of $defs) still generates a valid WSDL and XSD', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'medbill-cat-'));
    try {
      cpSync(path.join(PROJECT_ROOT, 'config', 'catalogue'), path.join(root, 'catalogue'), { recursive: true });
      cpSync(path.join(PROJECT_ROOT, 'config', 'codes'), path.join(root, 'codes'), { recursive: true });
      writeFileSync(
        path.join(root, 'catalogue', 'invEBillScratch.yaml'),
        [
          'service: invEBillScratch',
          'title: 试验开票服务',
          'category: ebill',
          'issues: { busType: "11", billKind: nontax }',
          'request:',
          '  type: object',
          '  required: [busNo, payer, totalAmt, chargeDetail]',
          '  properties:',
          '    busNo: { type: string, identifier: true, maxLength: 50, title: 业务流水号 }',
          '    payer: { type: object, title: 交款人, required: [name], properties: { name: { type: string, maxLength: 100, title: 姓名 }, kind: { type: string, enum: ["1", "2"], title: 类型 } } }',
          '    totalAmt: { decimal: [14, 2], title: 开票总金额 }',
          '    count: { type: integer, minimum: 1, maximum: 200, title: 张数 }',
          '    chargeDetail: { type: array, maxItems: 100, title: 收费项目明细, items: { $ref: "common#/$defs/chargeDetail" } }',
          'response:',
          '  type: object',
          '  properties:',
          '    billNo: { type: string, maxLength: 20, title: 电子票据号码 }',
          '',
        ].join('\n'),
      );
      const wsdl = generateWsdl(loadCatalogue(path.join(root, 'catalogue')));
      assert.match(wsdl, /<wsdl:operation name="invEBillScratchTyped">/);
      assert.equal(await verdict(wsdlCheck(), wsdl, 'scratch.wsdl'), '');
      assert.equal(await verdict(xsdCheck(), inlineSchema(wsdl), 'scratch.xsd'), '');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
