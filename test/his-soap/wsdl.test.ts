/**
 * The WSDL is generated from the catalogue and committed: the committed file must equal a fresh
 * generation (so a catalogue change without `medbill wsdl` fails here), it must say what the catalogue
 * says, and a new catalogue entry must become operations without code changes.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasTypedOperation, soapOperations } from '../../adapters/his/soap/operations';
import { attr, parseXml, XNode } from '../../adapters/his/soap/soap-xml';
import { generateWsdl } from '../../adapters/his/soap/wsdl-gen';
import { PROJECT_ROOT } from '../../src/config';
import { loadCatalogue } from '../../src/engine/catalogue';
import { startTestApp, TestApp } from '../helpers/app';
import { WS_PATH } from './soap-helpers';

const CATALOGUE = path.join(PROJECT_ROOT, 'config', 'catalogue');
const COMMITTED = path.join(PROJECT_ROOT, 'wsdl', 'EBillService.wsdl');

function all(n: XNode, local: string, out: XNode[] = []): XNode[] {
  if (n.local === local) out.push(n);
  for (const c of n.children) all(c, local, out);
  return out;
}
const named = (n: XNode, local: string, name: string) => all(n, local).find((e) => attr(e, 'name') === name);

describe('his-soap: WSDL generated from the catalogue', () => {
  const generated = generateWsdl(loadCatalogue(CATALOGUE));
  const wsdl = parseXml(generated);

  it('the committed wsdl/EBillService.wsdl equals a fresh generation (run `medbill wsdl` after a catalogue change)', () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    if (committed !== generated) {
      const a = committed.split('\n');
      const b = generated.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      assert.fail(`wsdl/EBillService.wsdl is stale at line ${i + 1}:\n  committed: ${a[i]}\n  generated: ${b[i]}\nrun: node bin/medbill.js wsdl`);
    }
  });

  it('is deterministic', () => {
    assert.equal(generateWsdl(loadCatalogue(CATALOGUE)), generated);
  });

  it('has one envelope operation per serviceId and a typed one per issuance service, in both bindings', () => {
    const cat = loadCatalogue(CATALOGUE);
    const expected = [...cat.services.values()].flatMap((e) => (hasTypedOperation(e) ? [e.service, `${e.service}Typed`] : [e.service])).sort();
    const portType = all(wsdl, 'portType')[0];
    assert.deepEqual(portType.children.filter((c) => c.local === 'operation').map((o) => attr(o, 'name')), expected);
    assert.ok(expected.includes('testServerConnect') && expected.includes('invoiceEBillOutpatientTyped') && expected.includes('getEBillByBusNo'));
    assert.ok(!expected.includes('getEBillByBusNoTyped'), 'queries get no typed variant');
    const bindings = all(wsdl, 'binding').filter((b) => b.ns === 'http://schemas.xmlsoap.org/wsdl/');
    assert.deepEqual(bindings.map((b) => attr(b, 'name')), ['EBillServiceSoap11Binding', 'EBillServiceSoap12Binding']);
    for (const b of bindings) {
      assert.deepEqual(b.children.filter((c) => c.local === 'operation').map((o) => attr(o, 'name')), expected);
      assert.equal(attr(b.children.find((c) => c.local === 'binding')!, 'style'), 'document');
      for (const body of all(b, 'body')) assert.equal(attr(body, 'use'), 'literal');
    }
    assert.deepEqual(all(wsdl, 'service').map((s) => attr(s, 'name')), ['EBillService']);
    assert.equal(all(wsdl, 'schema').length, 1, 'one inline XSD, nothing imported');
    assert.equal(all(wsdl, 'import').length + all(wsdl, 'include').length, 0);
  });

  it('envelope operations carry appid, data, noise, version, sign and answer data, noise, sign', () => {
    const req = named(wsdl, 'complexType', 'EnvelopeRequest')!;
    assert.deepEqual(all(req, 'element').map((e) => [attr(e, 'name'), attr(e, 'type')]), ['appid', 'data', 'noise', 'version', 'sign'].map((n) => [n, 'xs:string']));
    const res = named(wsdl, 'complexType', 'EnvelopeResponse')!;
    assert.deepEqual(all(res, 'element').map((e) => attr(e, 'name')), ['data', 'noise', 'sign']);
    assert.equal(attr(named(wsdl, 'element', 'invoiceEBillOutpatient')!, 'type'), 'tns:EnvelopeRequest');
    assert.equal(attr(named(wsdl, 'element', 'getEBillByBusNoResponse')!, 'type'), 'tns:EnvelopeResponse');
  });

  it('typed fields follow the JSON Schema: lengths, decimals, datetime17, enums, arrays of $defs types, Chinese titles', () => {
    const data = named(wsdl, 'complexType', 'invoiceEBillOutpatientData')!;
    const el = (name: string) => data.children.find((c) => c.local === 'sequence')!.children.find((e) => attr(e, 'name') === name)!;
    const facets = (e: XNode) => Object.fromEntries(all(e, 'restriction')[0].children.map((f) => [f.local, attr(f, 'value')]));
    const docOf = (e: XNode) => all(e, 'documentation')[0]?.text;

    assert.deepEqual(facets(el('busNo')), { minLength: '1', maxLength: '50' });
    assert.equal(attr(all(el('busNo'), 'restriction')[0], 'base'), 'xs:string');
    assert.equal(docOf(el('busNo')), '业务流水号');
    assert.equal(attr(el('busNo'), 'minOccurs'), undefined, 'required → minOccurs 1');
    assert.equal(attr(el('checker'), 'minOccurs'), '0', 'optional → minOccurs 0');

    assert.equal(attr(all(el('totalAmt'), 'restriction')[0], 'base'), 'xs:decimal');
    assert.deepEqual(facets(el('totalAmt')), { totalDigits: '14', fractionDigits: '2' });
    assert.equal(facets(el('busDateTime')).pattern, '\\d{17}');
    assert.match(docOf(el('busDateTime'))!, /yyyyMMddHHmmssSSS/);
    const sex = all(el('sex'), 'enumeration').map((e) => attr(e, 'value'));
    assert.deepEqual(sex, ['男', '女', '未知']);

    const charge = el('chargeDetail');
    assert.equal(attr(charge, 'type'), 'tns:chargeDetail');
    assert.equal(attr(charge, 'maxOccurs'), 'unbounded');
    assert.equal(attr(charge, 'minOccurs'), undefined, 'minItems 1 → at least one element');
    assert.equal(attr(el('otherInfo'), 'minOccurs'), '0');
    const chargeType = named(wsdl, 'complexType', 'chargeDetail')!;
    assert.equal(docOf(chargeType), '收费项目明细');
    const std = chargeType.children.find((c) => c.local === 'sequence')!.children.find((e) => attr(e, 'name') === 'std')!;
    assert.deepEqual(facets(std), { totalDigits: '14', fractionDigits: '2' });
    const listStd = named(wsdl, 'complexType', 'listDetail')!.children.find((c) => c.local === 'sequence')!.children.find((e) => attr(e, 'name') === 'std')!;
    assert.deepEqual(facets(listStd), { totalDigits: '14', fractionDigits: '4' });

    const result = named(wsdl, 'complexType', 'invoiceEBillOutpatientResult')!;
    const names = result.children.find((c) => c.local === 'sequence')!.children.map((e) => attr(e, 'name'));
    assert.deepEqual(names.slice(0, 3), ['result', 'message', 'billBatchCode']);
    assert.ok(names.includes('pictureUrl') && names.includes('busNo'));
    for (const e of result.children.find((c) => c.local === 'sequence')!.children.slice(2)) assert.equal(attr(e, 'minOccurs'), '0', `${attr(e, 'name')} is absent on failure`);
  });

  it('a new catalogue entry becomes operations without code changes; bad entries fail generation loudly', () => {
    // The catalogue's code tables are the folder beside it (config/codes), so both are copied. The two
    // entries are new names: every serviceId of the API is in the shipped catalogue now.
    const root = mkdtempSync(path.join(os.tmpdir(), 'medbill-cat-'));
    const dir = path.join(root, 'catalogue');
    try {
      cpSync(CATALOGUE, dir, { recursive: true });
      cpSync(path.join(PROJECT_ROOT, 'config', 'codes'), path.join(root, 'codes'), { recursive: true });
      const outpatient = readFileSync(path.join(dir, 'invoiceEBillOutpatient.yaml'), 'utf8');
      writeFileSync(
        path.join(dir, 'invEBillScratch.yaml'),
        outpatient.replace('service: invoiceEBillOutpatient', 'service: invEBillScratch').replace('title: 医疗门诊电子票据开具', 'title: 挂号电子票据开具').replace('busType: "02"', 'busType: "06"'),
      );
      writeFileSync(path.join(dir, 'getScratchPicUrl.yaml'), 'service: getScratchPicUrl\ntitle: 获取电子票据H5页面URL\ncategory: ebill\nrequest:\n  type: object\n  required: [billBatchCode]\n  properties:\n    billBatchCode: { type: string, maxLength: 50, title: 电子票据代码 }\n');
      const cat = loadCatalogue(dir);
      const ops = soapOperations(cat).map((o) => `${o.name}:${o.style}`);
      assert.deepEqual(ops.filter((o) => /Scratch/.test(o)), ['getScratchPicUrl:envelope', 'invEBillScratch:envelope', 'invEBillScratchTyped:typed']);
      const x = parseXml(generateWsdl(cat));
      assert.ok(named(x, 'complexType', 'invEBillScratchData'));
      assert.match(all(named(x, 'element', 'invEBillScratchTyped')!, 'documentation')[0].text, /挂号电子票据开具/);

      const bad = (prop: string) =>
        writeFileSync(path.join(dir, 'getScratchPicUrl.yaml'), `service: getScratchPicUrl\ntitle: x\ncategory: ebill\nissues: { busType: "01", billKind: x }\nrequest:\n  type: object\n  properties:\n    ${prop}\n`);
      bad('when: { type: "null", title: 时间 }');
      assert.throws(() => generateWsdl(loadCatalogue(dir)), /getScratchPicUrl\.request\.when: type "null" has no XML form/);
      writeFileSync(path.join(dir, 'getScratchPicUrl.yaml'), 'service: getScratchPicUrl\ntitle: x\ncategory: ebill\ntyped: "yes"\nrequest:\n  type: object\n  properties:\n    a: { type: string }\n');
      assert.throws(() => loadCatalogue(dir), /CAT_VALUE\s+typed/);
      bad('"2when": { type: string }');
      assert.throws(() => generateWsdl(loadCatalogue(dir)), /'2when' is not a valid XML element name/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  describe('served', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ config: { server: { port: 0, host: '127.0.0.1', publicBaseUrl: 'https://ebill.example-hospital.cn:8443/' } } });
    });
    after(() => app.stop());

    it('GET ?wsdl returns the committed file with soap:address rewritten to server.publicBaseUrl', async () => {
      const res = await fetch(`${app.baseUrl}${WS_PATH}?wsdl`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/xml/);
      const text = await res.text();
      const addresses = all(parseXml(text), 'address').map((a) => attr(a, 'location'));
      assert.deepEqual(addresses, ['https://ebill.example-hospital.cn:8443/medical-web/ws/EBillService', 'https://ebill.example-hospital.cn:8443/medical-web/ws/EBillService']);
      const committed = readFileSync(COMMITTED, 'utf8');
      assert.equal(text, committed.split('http://HOST:17001/medical-web/ws/EBillService').join('https://ebill.example-hospital.cn:8443/medical-web/ws/EBillService'));
      // ?WSDL as some Java tooling spells it
      assert.equal(await (await fetch(`${app.baseUrl}${WS_PATH}?WSDL`)).text(), text);
    });
  });
});
