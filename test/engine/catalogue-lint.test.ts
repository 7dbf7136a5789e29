/**
 * The catalogue and code-table checks that one corpus file cannot show: every problem of several
 * files thrown at once, code tables that are open (documented, never enforced) or closed (the field's
 * enum), and the checks loadDefinitions makes across files (an entry's flow, its SOAP form).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDefinitions } from '../../src/app';
import { loadConfig } from '../../src/config';
import { loadCatalogue } from '../../src/engine/catalogue';
import { FlowError } from '../../src/engine/errors';
import { LintError, Problems } from '../../src/engine/lint';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const sample = () => JSON.parse(readFileSync(path.join(ROOT, 'examples', 'outpatient-v3.2.json'), 'utf8')) as Record<string, unknown> & { payChannelDetail: { payChannelCode: string }[] };

/** A project copy (definitions only) whose files a test may break. */
function copyDefinitions(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-defs-'));
  for (const d of ['config', 'flows', 'mappings', 'examples']) cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
  return dir;
}

const edit = (file: string, from: string, to: string) => {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${file} holds ${from}`);
  writeFileSync(file, text.replace(from, to));
};

describe('catalogue loading: every problem, code tables, cross-file checks', () => {
  it('loadCatalogue without a Problems throws one LintError holding the problems of every file', () => {
    const dir = copyDefinitions();
    try {
      const cat = path.join(dir, 'config', 'catalogue');
      edit(path.join(cat, 'getEBillByBusNo.yaml'), 'maxLength: 50', 'maxLenght: 50');
      edit(path.join(cat, 'testServerConnect.yaml'), 'type: string, maxLength: 50', 'type: strin, maxLength: 50');
      edit(path.join(cat, 'common.schema.yaml'), 'required: [infoNo, infoName, infoValue]', 'required: [infoNo, infoName, infoValeu]');
      assert.throws(
        () => loadCatalogue(cat),
        (e: unknown) => e instanceof LintError && e.issues.map((i) => `${path.basename(i.loc.file)} ${i.code}`).join(', ') === 'common.schema.yaml CAT_REQUIRED_UNDEFINED, getEBillByBusNo.yaml CAT_UNKNOWN_KEYWORD, testServerConnect.yaml CAT_TYPE',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without common.schema.yaml: CAT_NO_COMMON once, not one unresolvable $ref per use', () => {
    const dir = copyDefinitions();
    try {
      rmSync(path.join(dir, 'config', 'catalogue', 'common.schema.yaml'));
      const problems = new Problems();
      loadCatalogue(path.join(dir, 'config', 'catalogue'), problems);
      assert.deepEqual(problems.issues.map((i) => i.code), ['CAT_NO_COMMON']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a closed code table is the field\'s enum; an open one documents codes and never rejects a HIS code', () => {
    const cat = loadCatalogue(path.join(ROOT, 'config', 'catalogue'));
    const sex = (cat.services.get('invoiceEBillOutpatient')!.request.properties as Record<string, { enum?: string[] }>).sex;
    assert.deepEqual(sex.enum, ['男', '女', '未知'], 'from config/codes/sex.yaml (closed)');
    const s = sample();
    s.payChannelDetail[0].payChannelCode = 'YBK'; // a HIS's own code, not in payChannel.yaml: mapped, not rejected
    cat.validate('invoiceEBillOutpatient', s);
    assert.throws(
      () => cat.validate('invoiceEBillOutpatient', { ...sample(), sex: 'M' }),
      (e: unknown) => e instanceof FlowError && /字段 sex（性别） 取值无效，允许的值：男、女、未知/.test(e.message),
    );
    assert.equal(cat.codeTables.get('payChannel')?.closed, false);
    assert.equal(cat.codeTables.get('sex')?.closed, true);
  });

  it('a Schema that Ajv refuses for a reason no rule names (a broken pattern) is CAT_SCHEMA, not a crash', () => {
    const dir = copyDefinitions();
    try {
      const cat = path.join(dir, 'config', 'catalogue');
      edit(path.join(cat, 'testServerConnect.yaml'), 'type: string, maxLength: 50', 'type: string, pattern: "[", maxLength: 50');
      const problems = new Problems();
      const c = loadCatalogue(cat, problems);
      assert.deepEqual(problems.issues.map((i) => [i.code, path.basename(i.loc.file)]), [['CAT_SCHEMA', 'testServerConnect.yaml']]);
      assert.match(problems.issues[0].message, /^request 无法编译：/);
      assert.ok(c.services.has('testServerConnect'), 'still known to flows (no FLOW_UNKNOWN_SERVICE cascade)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loadDefinitions: an entry\'s flow must be the flow its service triggers (CAT_UNKNOWN_FLOW)', () => {
    const dir = copyDefinitions();
    try {
      const file = path.join(dir, 'config', 'catalogue', 'getEBillByBusNo.yaml');
      edit(file, 'flow: get-ebill-by-busno', 'flow: get-ebill-by-bus-no');
      edit(path.join(dir, 'config', 'catalogue', 'testServerConnect.yaml'), 'flow: test-server-connect', 'flow: get-ebill-states');
      const problems = new Problems();
      loadDefinitions({ ...loadConfig({}), projectRoot: dir }, problems);
      assert.deepEqual(
        problems.sorted().map((i) => [path.basename(i.loc.file), i.loc.line, i.code, i.message, i.hint]),
        [
          ['getEBillByBusNo.yaml', 4, 'CAT_UNKNOWN_FLOW', '流程 “get-ebill-by-bus-no” 不存在', '是否应为 “get-ebill-by-busno”？'],
          ['testServerConnect.yaml', 4, 'CAT_UNKNOWN_FLOW', '流程 “get-ebill-states” 由服务 getEBillStatesByBillInfo 触发，不是 testServerConnect', undefined],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loadDefinitions: an issuing entry whose bill kind has no bill name or specimen code in unit: is CAT_BILL_KIND', () => {
    const dir = copyDefinitions();
    try {
      edit(path.join(dir, 'config', 'catalogue', 'invoiceEBillOutpatient.yaml'), 'billKind: outpatient', 'billKind: outpatien');
      const problems = new Problems();
      const cfg = loadConfig({});
      loadDefinitions({ ...cfg, projectRoot: dir }, problems);
      const found = problems.sorted().filter((i) => i.code === 'CAT_BILL_KIND');
      assert.deepEqual(
        found.map((i) => [path.basename(i.loc.file), i.loc.line, i.where, i.message]),
        [['invoiceEBillOutpatient.yaml', 5, 'issues.billKind', '票据种类 “outpatien” 在配置中没有 unit.billNames、unit.specimenCodes']],
      );
      // A kind named in both tables passes: the shipped files are clean.
      const clean = new Problems();
      loadDefinitions(cfg, clean);
      assert.deepEqual(clean.issues.filter((i) => i.code === 'CAT_BILL_KIND'), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loadDefinitions: an entry with no XML form for the SOAP channel is CAT_SOAP at its schema', () => {
    const dir = copyDefinitions();
    try {
      edit(path.join(dir, 'config', 'catalogue', 'testServerConnect.yaml'), 'testValue: { type: string', '"2testValue": { type: string');
      edit(path.join(dir, 'config', 'catalogue', 'testServerConnect.yaml'), 'required: [testValue]', 'required: ["2testValue"]');
      edit(path.join(dir, 'config', 'catalogue', 'testServerConnect.yaml'), 'flow: test-server-connect\n', 'flow: test-server-connect\nissues: { busType: "02", billKind: outpatient }\n');
      const problems = new Problems();
      loadDefinitions({ ...loadConfig({}), projectRoot: dir }, problems);
      assert.deepEqual(problems.issues.map((i) => [path.basename(i.loc.file), i.code, i.where]), [['testServerConnect.yaml', 'CAT_SOAP', 'testServerConnect.request']]);
      assert.match(problems.issues[0].message, /WSDL 无法生成：.*'2testValue' is not a valid XML element name/);
      // medbill validate shares one Problems with the configuration: an error there must not hide this one.
      const shared = new Problems();
      shared.add({ file: 'env MEDBILL_PORT=abc', line: 0, col: 0 }, 'CONFIG_TYPE', 'server.port', { expected: '整数' });
      loadDefinitions({ ...loadConfig({}), projectRoot: dir }, shared);
      assert.deepEqual(shared.issues.map((i) => i.code), ['CONFIG_TYPE', 'CAT_SOAP']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
