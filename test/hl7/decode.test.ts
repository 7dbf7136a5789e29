/**
 * HL7 v2 decoding without a server: the three encodings of one message give one tree (the one the
 * mapping golden cases read), ER7 is read with the message's own delimiters and escapes, and what is
 * not a readable message is refused naming what is wrong (E2701, never an exception).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeHl7, hl7Text } from '../../adapters/his/hl7/decode';
import { escapeEr7, parseEr7, writeEr7 } from '../../adapters/his/hl7/er7';
import { decodeHospitalXml } from '../../adapters/his/hospital-xml/decode';
import { valueAt } from '../../src/engine/hl7-tree';
import { PROJECT_ROOT } from '../../src/config';

const file = (p: string) => readFileSync(path.join(PROJECT_ROOT, p), 'utf8');
const json = (p: string) => JSON.parse(file(p)) as unknown;

describe('HL7 v2 decoding', () => {
  it('ER7, v2.xml (groups, components by data type) and Mirth XML of one message decode to the golden input', () => {
    const want = json('mappings/hl7/dft-to-outpatient-request.cases/outpatient.input.json');
    for (const [f, encoding] of [['er7', 'er7'], ['v2.xml', 'v2xml'], ['mirth.xml', 'mirth']] as const) {
      const r = decodeHl7(file(`examples/hl7/dft-p03-outpatient.${f}`));
      assert.ok(r.ok, f);
      assert.equal(r.msg.encoding, encoding);
      assert.deepStrictEqual(r.msg.tree, want, f);
    }
    for (const [ex, golden] of [
      ['examples/hl7/dft-p03-inpatient.er7', 'mappings/hl7/dft-to-inpatient-request.cases/inpatient.input.json'],
      ['examples/hl7/dft-p03-inpatient.v2.xml', 'mappings/hl7/dft-to-inpatient-request.cases/inpatient.input.json'],
      ['examples/hl7/dft-p03-refund.er7', 'mappings/hl7/dft-refund-to-write-off.cases/refund.input.json'],
      ['examples/hl7/dft-p03-refund.mirth.xml', 'mappings/hl7/dft-refund-to-write-off.cases/refund.input.json'],
    ]) {
      const r = decodeHl7(file(ex));
      assert.ok(r.ok, ex);
      assert.deepStrictEqual(r.msg.tree, json(golden), ex);
    }
  });

  it("reads ER7 with the message's own delimiters and undoes its escapes", () => {
    // # for fields, * for components, ! repetition, $ escape, % subcomponents; LF as segment end.
    const r = parseEr7('MSH#*!$%#HIS#H1###20261202##DFT*P03#C1#P#2.5\nPID#1##A1*^*x!A2##李$F$四$S$五$T$六$E$七$.br$八$H$\nFT1#1##S1###CG#02*诊察费%附注');
    assert.ok(r.ok);
    assert.deepEqual(r.delimiters, { field: '#', component: '*', repetition: '!', escape: '$', subcomponent: '%' });
    const pid = r.tree.PID[0];
    assert.equal(valueAt(pid, '5'), '李#四*五%六$七\n八', 'escapes of this message: $F$ $S$ $T$ $E$ $.br$, and $H$ (highlight) carries no text');
    assert.deepEqual(pid['PID.3'], [{ 'PID.3.1': 'A1', 'PID.3.2': '^', 'PID.3.3': 'x' }, { 'PID.3.1': 'A2' }], 'repetitions and a ^ that is text here');
    assert.equal(valueAt(r.tree.FT1, '7.2.2'), '附注');
    assert.equal(valueAt(r.tree.MSH, '9.2'), 'P03');
    // What we write we read back, whatever characters the text holds.
    const text = '张三|^~\\&\r换行';
    const back = parseEr7(writeEr7([{ name: 'MSH', fields: [undefined, undefined, 'A', 'B', '', '', '', undefined, ['ACK', 'P03'], 'X1', 'P', '2.5'] }, { name: 'MSA', fields: ['AA', 'X1', text] }]));
    assert.ok(back.ok);
    assert.equal(valueAt(back.tree.MSA, '3'), text.replace('\r', '\n'));
    assert.equal(escapeEr7('a|b'), 'a\\F\\b');
  });

  it('\\Xhh\\ escapes are UTF-8 bytes', () => {
    const r = parseEr7('MSH|^~\\&|A|B|||||DFT^P03|C|P|2.5\rPID|1||||\\Xe5bca0\\三');
    assert.ok(r.ok);
    assert.equal(valueAt(r.tree.PID, '5'), '张三');
  });

  const refusals: [string, string, RegExp][] = [
    ['empty', '   ', /为空/],
    ['not HL7 at all', 'hello world', /应以 MSH 段开始/],
    ['wrong delimiters: two encoding characters the same', 'MSH|^^\\&|HIS|H|||||DFT^P03|C1|P|2.5', /重复字符/],
    ['wrong delimiters: MSH-2 too short', 'MSH|^~|HIS|H|||||DFT^P03|C1|P|2.5', /MSH-2 应为 4 个字符/],
    ['wrong delimiters: a letter as field separator', 'MSHX^~\\&XHIS', /字段分隔符/],
    ['a truncated segment', 'MSH|^~\\&|HIS|H|||||DFT^P03|C1|P|2.5\rEVN|P03\rFT', /第 3 段的段名 “FT” 无效/],
    ['segments split by another separator than MSH declares', 'MSH|^~\\&|HIS|H|||||DFT^P03|C1|P|2.5\rPID#1##A1', /第 2 段的段名 “PID#1##A1” 无效/],
    ['no MSH-10', 'MSH|^~\\&|HIS|H|||||DFT^P03||P|2.5\rEVN|P03', /缺少 MSH-10（消息控制号）/],
    ['no MSH-9', 'MSH|^~\\&|HIS|H|||||||P|2.5', /缺少 MSH-9（消息类型）/],
    ['no MSH-12', 'MSH|^~\\&|HIS|H|||||DFT^P03|C1|P', /缺少 MSH-12（版本号）/],
    ['XML that is not HL7', '<Settlement><No>1</No></Settlement>', /urn:hl7-org:v2xml/],
    ['v2.xml with a stray element', '<DFT_P03 xmlns="urn:hl7-org:v2xml"><MSH><Foo/></MSH></DFT_P03>', /MSH 的子元素应为 MSH.<序号>/],
    ['XML that is not well-formed', '<HL7Message><MSH>', /XML|闭合|结束/],
  ];
  for (const [name, text, reason] of refusals)
    it(`refuses ${name} with a reason in Chinese`, () => {
      const r = decodeHl7(text);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.match(r.error.code, /^E(2701|0003)$/);
      assert.match(r.error.message, reason);
    });

  it('bytes are read in the character set MSH-18 names (GB 18030), and bytes not of it are refused', () => {
    const head = 'MSH|^~\\&|HIS|H|||||DFT^P03|C1|P|2.5||||||GB 18030-2000\rPID|1||||';
    const gb = Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from([0xd5, 0xc5, 0xc8, 0xfd])]); // 张三 in GB 18030
    const t = hl7Text(gb);
    assert.ok(t.ok);
    const r = decodeHl7(t.text);
    assert.ok(r.ok);
    assert.equal(valueAt(r.msg.tree.PID, '5'), '张三');
    const bad = hl7Text(Buffer.concat([Buffer.from(head.replace('GB 18030-2000', 'UNICODE UTF-8'), 'latin1'), Buffer.from([0xd5, 0xc5])]));
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.equal(bad.error.code, 'E0003');
  });

  it('a DOCTYPE is refused before any parser sees it', () => {
    const r = decodeHl7('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><HL7Message>&e;</HL7Message>');
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'E0003');
  });
});

describe('hospital XML decoding', () => {
  it('the vendor settlement example decodes to the golden input of its mapping', () => {
    const r = decodeHospitalXml(file('examples/hospital-xml/outpatient-settlement.xml'));
    assert.ok(r.ok);
    assert.deepStrictEqual(r.value, json('mappings/hospital-xml/outpatient-settlement.cases/settlement.input.json'));
  });

  it('XML that is not well-formed, and a DOCTYPE, are refused', () => {
    const bad = decodeHospitalXml('<Request><Body></Request>');
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.equal(bad.error.code, 'E2705');
    const dtd = decodeHospitalXml('<!DOCTYPE r [<!ENTITY a "x">]><r>&a;</r>');
    assert.equal(dtd.ok, false);
  });
});
