/**
 * The flow and mapping loaders of the lint corpus (run, with the catalogue, code-table and
 * configuration folders, by lint-corpus.test.ts), and the flow rules that need more than one file.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadCatalogue } from '../../src/engine/catalogue';
import { loadFlow } from '../../src/engine/flow-loader';
import { mappingContext } from '../../src/engine/functions';
import { Problems } from '../../src/engine/lint';
import { loadMapping, loadMappings } from '../../src/engine/mapping';
import { loadConfig } from '../../src/config';
import { OUTBOX_TOPICS } from '../../src/app';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const cfg = loadConfig({});
const context = mappingContext(cfg);
let cached: ReturnType<typeof makeDefs> | undefined;
const defs = () => (cached ??= makeDefs());
const makeDefs = () => ({ catalogue: loadCatalogue(path.join(ROOT, 'config', 'catalogue')), mappings: loadMappings(path.join(ROOT, 'mappings'), new Problems(), context), topics: OUTBOX_TOPICS });

/** Loaders by corpus folder: each runs the real loader on one file into `problems`. */
export const CORPUS_LOADERS: Record<string, (file: string, problems: Problems) => void> = {
  flow: (file, problems) => void loadFlow(file, defs(), problems),
  mapping: (file, problems) => void loadMapping(file, problems, context),
};

describe('lint rules that need more than one file or a generated flow', () => {
  it('two flows for one service: FLOW_DUPLICATE_SERVICE names the other file', () => {
    const { Router } = require('../../src/engine/router') as typeof import('../../src/engine/router');
    const problems = new Problems();
    const d = defs();
    const a = loadFlow(path.join(ROOT, 'flows', 'other', 'test-server-connect.flow.yaml'), d, problems)!;
    new Router([a, { ...a, file: '/elsewhere/copy.flow.yaml' }], problems);
    assert.deepEqual(problems.issues.map((i) => i.code), ['FLOW_DUPLICATE_SERVICE']);
    assert.match(problems.issues[0].message, /test-server-connect\.flow\.yaml/);
  });

  it('a flow with too many when-branches to check every path is refused (FLOW_PATHS), not half-checked', () => {
    const { mkdtempSync, writeFileSync, rmSync, mkdirSync } = require('node:fs') as typeof import('node:fs');
    const dir = mkdtempSync(path.join(require('node:os').tmpdir(), 'medbill-paths-'));
    try {
      mkdirSync(path.join(dir, 'x'));
      const steps = Array.from({ length: 14 }, (_, i) => `  - id: s${i}\n    when: "input.a${i} = 1"\n    validate: { catalogue: testServerConnect }\n    reads: [input]\n`).join('');
      const file = path.join(dir, 'x', 'many.flow.yaml');
      writeFileSync(file, `version: 2\nflow: many\ntrigger: { channel: his, service: testServerConnect }\nsteps:\n${steps}  - id: reply\n    respond: { text: ok }\n`);
      const problems = new Problems();
      assert.equal(loadFlow(file, defs(), problems), undefined);
      assert.deepEqual(problems.issues.map((i) => i.code), ['FLOW_PATHS']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
