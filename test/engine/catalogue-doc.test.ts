import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadCatalogue } from '../../src/engine/catalogue';
import { catalogueMarkdown } from '../../src/engine/catalogue-doc';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('docs/reference/services.md (the HIS programmer reference, generated from the catalogue)', () => {
  const text = catalogueMarkdown(loadCatalogue(path.join(ROOT, 'config', 'catalogue')));

  it('the committed reference equals the generated one', () => {
    assert.equal(readFileSync(path.join(ROOT, 'docs', 'reference', 'services.md'), 'utf8'), text, 'run `medbill docs` and commit the result');
  });

  it('shows each field rule as written once in the catalogue', () => {
    assert.match(text, /\| totalAmt \| 开票总金额 \| 数字 Number\(14,2\) \| 是 \|/);
    assert.match(text, /\| busNo \| 业务流水号 \| 字符 String\(50\) \| 是 \|/);
    assert.match(text, /\*\*chargeDetail\[\]\*\*[\s\S]*\| amt \| 金额 \| 数字 Number\(14,2\) \| 是 \|/);
  });

  it('lists the code tables the fields name, and says which are closed (enforced)', () => {
    assert.match(text, /\| busType \| 业务标识 \| 字符 String\(20\) \| 是 \| 代码表 busType[；|]/);
    assert.match(text, /### busType\n\n[^\n]*不做硬校验[\s\S]*?\| 02 \| 门诊 \|/);
    assert.match(text, /\| sex \| 性别 \| 字符 \| 是 \| 取值 男 \/ 女 \/ 未知；代码表 sex \|/);
    assert.match(text, /### sex（封闭）/);
  });
});
