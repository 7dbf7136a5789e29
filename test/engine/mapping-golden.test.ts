import assert from 'node:assert/strict';
import path from 'node:path';
import { Problems } from '../../src/engine/lint';
import { loadMappings } from '../../src/engine/mapping';
import { findGoldenFiles, goldenContext, runGoldenCase, untestedMappings } from '../../src/engine/mapping-tests';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const problems = new Problems();
const mappings = loadMappings(path.join(ROOT, 'mappings'), problems, goldenContext());
const golden = findGoldenFiles(path.join(ROOT, 'mappings'));

describe('mapping golden cases (mappings/**/*.map.test.yaml)', () => {
  it('every shipped mapping loads without a lint problem', () => {
    assert.deepEqual(problems.issues, []);
  });

  it('every mapping has a golden test file beside it', () => {
    assert.deepEqual(untestedMappings(mappings, golden), []);
  });

  for (const g of golden) {
    const mapping = [...mappings.values()].find((m) => path.resolve(m.file) === g.target);
    describe(path.relative(ROOT, g.file), () => {
      it('targets an existing mapping', () => assert.ok(mapping, `no mapping at ${g.target}`));
      for (const c of g.cases)
        it(c.name, async () => {
          const r = await runGoldenCase(g, c, mapping!);
          assert.ok(r.ok, r.problem);
        });
    });
  }

  it('the shipped mappings all run on the compiled fast path', () => {
    assert.deepEqual([...mappings.values()].filter((m) => !m.fast).map((m) => m.name), []);
  });
});
