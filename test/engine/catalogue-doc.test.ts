import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadCatalogue } from '../../src/engine/catalogue';
import { HIS_CODES } from '../../src/engine/codes';
import { servicesMarkdown } from '../../src/cli/docs';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('docs/reference/services.md (the HIS programmer reference, generated from the catalogue)', () => {
  const text = servicesMarkdown(ROOT);
  const catalogue = loadCatalogue(path.join(ROOT, 'config', 'catalogue'));

  it('the committed reference equals the generated one', () => {
    assert.equal(readFileSync(path.join(ROOT, 'docs', 'reference', 'services.md'), 'utf8'), text, 'run `medbill docs` and commit the result');
  });

  it('shows each field rule as written once in the catalogue', () => {
    assert.match(text, /\| totalAmt \| 开票总金额 \| 数字 Number\(14,2\) \| 是 \|/);
    assert.match(text, /\| busNo \| 业务流水号 \| 字符 String\(50\) \| 是 \|/);
    assert.match(text, /\*\*chargeDetail\[\]\*\*[\s\S]*\| amt \| 金额 \| 数字 Number\(14,2\) \| 是 \|/);
  });

  it('covers every catalogue service, and every result code with its retry advice', () => {
    for (const id of catalogue.services.keys()) assert.match(text, new RegExp(`^## ${id} — `, 'm'), id);
    for (const [code, spec] of Object.entries(HIS_CODES)) assert.match(text, new RegExp(`^\\| ${code} \\| [^|]+ \\| ${spec.retry}：`, 'm'), code);
    // A service's own codes come from its flow tests and conformance file: E2002 for the lookups.
    const section = (id: string) => text.slice(text.indexOf(`## ${id} — `), text.indexOf('\n## ', text.indexOf(`## ${id} — `) + 3));
    assert.match(section('getEBillByBusNo'), /结果代码：[^\n]*E2002 票据不存在（重试：no）/);
    assert.doesNotMatch(section('testServerConnect'), /E2002/);
    assert.match(section('invoiceEBillOutpatient'), /E3001 签名服务不可用（重试：same）/);
  });

  it('lists the code tables the fields name, and says which are closed (enforced)', () => {
    assert.match(text, /\| busType \| 业务标识 \| 字符 String\(20\) \| 是 \| 代码表 busType[；|]/);
    assert.match(text, /### busType\n\n[^\n]*不做硬校验[\s\S]*?\| 02 \| 门诊 \|/);
    assert.match(text, /\| sex \| 性别 \| 字符 \| 是 \| 取值 男 \/ 女 \/ 未知；代码表 sex \|/);
    assert.match(text, /### sex（封闭）/);
  });
});
