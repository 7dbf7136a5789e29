import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HIS_CODES, LINT_CODES } from '../../src/engine/codes';
import { errorsMarkdown, stepKindsMarkdown } from '../../src/engine/reference-docs';
import { STEP_KINDS } from '../../src/engine/registry';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (n: string) => readFileSync(path.join(ROOT, 'docs', 'reference', n), 'utf8');

describe('generated references: errors.md (code table) and step-kinds.md (step registry)', () => {
  it('the committed docs/reference/errors.md equals the one generated from src/engine/codes.ts', () => {
    assert.equal(read('errors.md'), errorsMarkdown(), 'run `medbill docs` and commit the result');
  });

  it('the committed docs/reference/step-kinds.md equals the one generated from the registry', () => {
    assert.equal(read('step-kinds.md'), stepKindsMarkdown(), 'run `medbill docs` and commit the result');
  });

  it('every HIS code says whether to retry and every template is Chinese; every lint code has a template and a doc', () => {
    for (const [code, s] of Object.entries(HIS_CODES)) {
      assert.ok(['no', 'same', 'query'].includes(s.retry), code);
      for (const t of Object.values(s.messages as Record<string, string>)) assert.match(t, /[\u4e00-\u9fff]|^\{detail\}$/, `${code}: ${t}`);
    }
    for (const [code, s] of Object.entries(LINT_CODES)) assert.ok(s.message && s.doc, code);
  });

  it('every step kind is documented with its reads and writes', () => {
    const text = stepKindsMarkdown();
    for (const k of STEP_KINDS.keys()) assert.match(text, new RegExp(`## ${k}\\n`));
  });
});
