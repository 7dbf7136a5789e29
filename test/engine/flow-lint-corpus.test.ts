/**
 * The lint corpus: one small broken file per rule under test/fixtures/lint/<area>/, in the manner of
 * Camel's YAML DSL validator tests. Each file says what it must produce, either at the end of the line
 * the problem is on (`# expect: CODE`) or in its header (`# expect: CODE LINE`). The test loads every
 * file with the real loader and asserts exactly those codes at those lines — no more, no fewer.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadCatalogue } from '../../src/engine/catalogue';
import { loadFlow } from '../../src/engine/flow-loader';
import { mappingContext } from '../../src/engine/functions';
import { formatIssue, Problems } from '../../src/engine/lint';
import { loadMapping, loadMappings } from '../../src/engine/mapping';
import { loadConfig } from '../../src/config';
import { OUTBOX_TOPICS } from '../../src/app';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'lint');
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

/** What a corpus file expects, as "CODE@LINE" strings. */
export function expectations(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    const header = /^#\s*expect:\s*([A-Z_]+)\s+(\d+)\s*$/.exec(line);
    if (header) {
      out.push(`${header[1]}@${header[2]}`);
      return;
    }
    const inline = /#\s*expect:\s*([A-Z_]+(?:\s*,\s*[A-Z_]+)*)\s*$/.exec(line);
    if (inline && !/^\s*#/.test(line)) for (const c of inline[1].split(/\s*,\s*/)) out.push(`${c}@${i + 1}`);
  });
  return out.sort();
}

describe('lint corpus: one broken file per rule, the expected code at the expected line', () => {
  for (const area of Object.keys(CORPUS_LOADERS)) {
    const dir = path.join(CORPUS, area);
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
    describe(area, () => {
      for (const f of files) {
        const file = path.join(dir, f);
        const want = expectations(readFileSync(file, 'utf8'));
        it(`${f}: ${[...new Set(want.map((w) => w.split('@')[0]))].join(', ')}`, () => {
          assert.ok(want.length, `${f} says nothing it expects`);
          const problems = new Problems();
          CORPUS_LOADERS[area](file, problems);
          const got = problems.issues.map((i) => `${i.code}@${i.loc.line}`).sort();
          assert.deepEqual(got, want, problems.issues.map(formatIssue).join('\n'));
          for (const i of problems.issues) assert.match(i.message, /[\u4e00-\u9fff]/, `the message is Chinese: ${i.message}`);
        });
      }
    });
  }
});

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
