/**
 * The lint corpus (in the manner of Camel's YAML DSL validator tests): one small broken file per rule
 * under test/fixtures/lint/<folder>/, each saying what it must produce:
 *
 *   # expect: CAT_UNKNOWN_KEYWORD 7        in the header: the code, and the line in this file
 *   # expect: CONFIG_TYPE env               …or located at an environment variable
 *   # env: MEDBILL_PORT=abc                 config fixtures: variables set while loading
 *   mapping: x   # expect: MAP_NAME         at the end of the line the problem is on
 *
 * (A problem in another file shows as `CODE <file name>:LINE`, so an unexpected one names its place.)
 *
 * Each file is loaded with the loader of its top folder and must produce exactly the expected
 * problems — no fewer (the rule works) and no more (nothing else fires, nothing is reported twice) —
 * each with a Chinese message.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readConfig } from '../../src/config';
import { loadCatalogue } from '../../src/engine/catalogue';
import { loadCodeTable, loadCodeTables } from '../../src/engine/code-tables';
import { LINT_CODES } from '../../src/engine/codes';
import { formatIssue, LintIssue, Problems } from '../../src/engine/lint';
import { CORPUS_LOADERS } from './flow-lint-corpus.test';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'lint');
const CATALOGUE = path.join(ROOT, 'config', 'catalogue');

interface Fixture {
  file: string;
  folder: string;
  expect: string[];
  env: Record<string, string>;
}

/** Loads one fixture file, adding what it finds to `problems`. */
type Loader = (f: Fixture, problems: Problems) => void;

const shippedTables = () => loadCodeTables(path.join(ROOT, 'config', 'codes'), new Problems());

/** The loader of each corpus folder; flow and mapping come from flow-lint-corpus.test.ts. A folder without one shows as pending. */
const LOADERS: Record<string, Loader | undefined> = {
  ...Object.fromEntries(Object.entries(CORPUS_LOADERS).map(([folder, load]) => [folder, (f: Fixture, p: Problems) => load(f.file, p)])),
  // An entry alone against the shipped common.schema.yaml and code tables; *.schema.yaml is a common file.
  catalogue: (f, p) =>
    void loadCatalogue(CATALOGUE, p, f.file.endsWith('.schema.yaml') ? { commonFile: f.file, entries: [], codeTables: shippedTables() } : { entries: [f.file], codeTables: shippedTables() }),
  codes: (f, p) => void loadCodeTable(f.file, p),
  // A MEDBILL_CONFIG file merged over the shipped config/default.yaml, with the header's variables.
  config: (f, p) => void readConfig({ ...f.env, MEDBILL_CONFIG: f.file }, {}, p),
};

/** What a file expects ("CODE LINE" strings) and the variables it sets. */
function expectations(file: string): { expect: string[]; env: Record<string, string> } {
  const expect: string[] = [];
  const env: Record<string, string> = {};
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const header = /^#\s*expect:\s*([A-Z][A-Z0-9_]*)\s+(\S+)\s*$/.exec(line);
      if (header) expect.push(`${header[1]} ${header[2]}`);
      const v = /^#\s*env:\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
      if (v) env[v[1]] = v[2];
      const inline = /#\s*expect:\s*([A-Z][A-Z0-9_]*(?:\s*,\s*[A-Z][A-Z0-9_]*)*)\s*$/.exec(line);
      if (inline && !/^\s*#/.test(line)) for (const c of inline[1].split(/\s*,\s*/)) expect.push(`${c} ${i + 1}`);
    });
  return { expect, env };
}

function fixtures(dir: string): Fixture[] {
  const out: Fixture[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...fixtures(file));
    else {
      if (/\.ya?ml$/.test(name)) out.push({ file, folder: path.relative(CORPUS, file).split(path.sep)[0], ...expectations(file) });
    }
  }
  return out;
}

/** What an issue looks like in `# expect:` terms, relative to the fixture. */
function asExpected(i: LintIssue, fixture: string): string {
  if (i.loc.file === fixture) return `${i.code} ${i.loc.line}`;
  if (i.loc.line === 0) return `${i.code} ${i.loc.file.split(' ')[0]}`;
  return `${i.code} ${path.basename(i.loc.file)}:${i.loc.line}`;
}

describe('lint corpus: each broken file reports exactly its expected problems (test/fixtures/lint)', () => {
  const all = fixtures(CORPUS);

  it('holds a fixture for every catalogue, code-table and configuration code it claims', () => {
    assert.ok(all.length > 0);
    for (const f of all) assert.ok(f.expect.length, `${path.relative(ROOT, f.file)} says nothing it expects`);
    for (const f of all) for (const e of f.expect) assert.ok(e.split(' ')[0] in LINT_CODES, `${path.relative(ROOT, f.file)}: ${e.split(' ')[0]} is not in LINT_CODES`);
    const covered = new Set(all.flatMap((f) => f.expect.map((e) => e.split(' ')[0])));
    const areas = ['catalogue', 'codes', 'config'];
    // Codes a single file cannot produce: a missing common file, and the cross-file, configuration and SOAP checks of loadDefinitions.
    const elsewhere = new Set(['CAT_NO_COMMON', 'CAT_UNKNOWN_FLOW', 'CAT_BILL_KIND', 'CAT_SOAP', 'CAT_SCHEMA', 'CONFIG_FILE', 'CONFIG_ENV', 'CONFIG_INVALID']);
    const missing = Object.entries(LINT_CODES)
      .filter(([code, spec]) => areas.includes(spec.area) && !covered.has(code) && !elsewhere.has(code))
      .map(([code]) => code);
    assert.deepEqual(missing, [], 'each rule has a broken file in the corpus');
  });

  for (const f of all) {
    const title = `${path.relative(CORPUS, f.file)}: ${f.expect.join(', ')}`;
    const load = LOADERS[f.folder];
    if (!load) {
      it(title); // pending: no loader for this folder yet
      continue;
    }
    it(title, () => {
      const problems = new Problems();
      load(f, problems);
      const actual = problems.issues.map((i) => asExpected(i, f.file)).sort();
      assert.deepEqual(actual, [...f.expect].sort(), problems.sorted().map(formatIssue).join('\n'));
      for (const i of problems.issues) assert.match(i.message, /[\u4e00-\u9fff]/, `the message is Chinese: ${i.message}`);
    });
  }
});
