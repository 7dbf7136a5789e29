/**
 * The WSDL's XSD checked by a real schema processor (the JDK's Xerces; skipped where no `java` is on
 * PATH): the schema compiles, the sample settlement laid out as the typed request is valid, a broken
 * one is not, and the answers we write conform to what we publish.
 */
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { answerXml } from '../../adapters/his/soap/channel';
import { soapOperations, TNS } from '../../adapters/his/soap/operations';
import { businessToXml } from '../../adapters/his/soap/typed';
import { PROJECT_ROOT } from '../../src/config';
import { loadCatalogue } from '../../src/engine/catalogue';
import { FlowError } from '../../src/engine/errors';
import { sample } from './soap-helpers';

const run = promisify(execFile);

function hasJava(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('his-soap: the published XSD, checked by Xerces (JDK)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-xsd-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles; the sample typed request and our answers validate; broken values do not', async function () {
    if (!hasJava()) this.skip();
    const wsdl = readFileSync(path.join(PROJECT_ROOT, 'wsdl', 'EBillService.wsdl'), 'utf8');
    // The schema inherits its prefixes from wsdl:definitions; declare them on the extracted copy.
    const schema = wsdl
      .slice(wsdl.indexOf('<xs:schema'), wsdl.indexOf('</xs:schema>') + '</xs:schema>'.length)
      .replace('<xs:schema ', `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="${TNS}" `);
    const ops = soapOperations(loadCatalogue(path.join(PROJECT_ROOT, 'config', 'catalogue')));
    const typed = ops.find((o) => o.name === 'invoiceEBillOutpatientTyped')!;
    const query = ops.find((o) => o.name === 'getEBillByBusNo')!;
    const request = (data: Record<string, unknown>) => `<tns:invoiceEBillOutpatientTyped xmlns:tns="${TNS}"><tns:request>${businessToXml(data, typed.request!)}</tns:request></tns:invoiceEBillOutpatientTyped>`;
    const bill = { billBatchCode: '44060126', billNo: '0000000001', random: '973c39', createTime: '20261125093031700', billQRCode: 'iVBOR', pictureUrl: 'http://x/h5', billBusDate: '20261125093015123', busNo: 'B1', notInSchema: 'dropped' };
    const files: Record<string, string> = {
      'schema.xsd': schema,
      'request.xml': request(sample()),
      'bad-amount.xml': request({ ...sample(), totalAmt: '12.345' }),
      'bad-time.xml': request({ ...sample(), busDateTime: '2026-11-25' }),
      'bad-sex.xml': request({ ...sample(), sex: 'M' }),
      'answer-ok.xml': answerXml(typed, { msgId: 'M', result: 'S0000', response: bill }, { channel: 'his-soap', serviceId: 'x', raw: '' }),
      'answer-error.xml': answerXml(typed, { msgId: 'M', result: 'E1001', error: new FlowError('ValidationError', 'E1001', '字段 payer 缺失') }, { channel: 'his-soap', serviceId: 'x', raw: '' }),
      'answer-envelope.xml': answerXml(query, { msgId: 'M', result: 'S0000', response: bill }, { channel: 'his-soap', serviceId: 'x', raw: '', appid: 'A' }),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const names = Object.keys(files).slice(1);
    const r = await run('java', [path.join(PROJECT_ROOT, 'test', 'his-soap', 'fixtures', 'XsdValidate.java'), 'schema.xsd', ...names], { cwd: dir });
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'schema OK');
    const verdict = Object.fromEntries(lines.slice(1).map((l) => [l.split(' ')[0], l.slice(l.indexOf(' ') + 1)]));
    for (const ok of ['request.xml', 'answer-ok.xml', 'answer-error.xml', 'answer-envelope.xml']) assert.equal(verdict[ok], 'valid', `${ok}: ${verdict[ok]}`);
    assert.match(verdict['bad-amount.xml'], /INVALID: .*fractionDigits/);
    assert.match(verdict['bad-time.xml'], /INVALID: .*pattern '\\d\{17\}'/);
    assert.match(verdict['bad-sex.xml'], /INVALID: .*enumeration/);
  });
});
