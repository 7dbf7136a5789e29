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
});
