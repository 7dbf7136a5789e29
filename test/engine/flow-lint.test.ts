import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCatalogue } from '../../src/engine/catalogue';
import { loadFlow } from '../../src/engine/flow-loader';
import { loadMapping, loadMappings } from '../../src/engine/mapping';
import { LintError } from '../../src/engine/yaml-source';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const catalogue = loadCatalogue(path.join(ROOT, 'config', 'catalogue'));
const mappings = loadMappings(path.join(ROOT, 'mappings'));

describe('flow and mapping lint: errors at file:line:col with a stable code', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-lint-'));
    mkdirSync(path.join(dir, 'demo'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const flow = (steps: string, header = 'version: 1\nflow: demo-x\ntrigger: { channel: his, service: testServerConnect }\n'): LintError => {
    const f = path.join(dir, 'demo', 'x.flow.yaml');
    writeFileSync(f, header + 'steps:\n' + steps);
    try {
      loadFlow(f, catalogue, mappings);
    } catch (e) {
      assert.ok(e instanceof LintError, String(e));
      return e;
    }
    assert.fail('expected a lint error');
  };

  it('a misspelt step kind is reported at its line with a suggestion', () => {
    const e = flow('  - id: check\n    validate: { catalogue: testServerConnect }\n  - id: reply\n    respnd: { text: ok }\n');
    assert.equal(e.code, 'FLOW_UNKNOWN_KIND');
    assert.equal(e.loc.line, 8);
    assert.match(e.message, /x\.flow\.yaml:8:\d+ +error +FLOW_UNKNOWN_KIND .*respnd.*did you mean 'respond'/);
  });

  it('an unknown option names the step and suggests the right one', () => {
    const e = flow('  - id: check\n    validate: { catalogu: testServerConnect }\n  - id: reply\n    respond: { text: ok }\n');
    assert.equal(e.code, 'FLOW_UNKNOWN_OPTION');
    assert.equal(e.loc.line, 6);
    assert.match(e.message, /steps\[0\] \(check\).*'catalogu'.*did you mean 'catalogue'/);
  });

  it('duplicate ids, bad ids, two kinds in one step and backward gotos are refused', () => {
    assert.equal(flow('  - id: a\n    respond: { text: ok }\n  - id: a\n    respond: { text: ok }\n').code, 'FLOW_DUPLICATE_ID');
    assert.equal(flow('  - id: Bad_Id\n    respond: { text: ok }\n').code, 'FLOW_STEP_ID');
    assert.equal(flow('  - id: a\n    respond: { text: ok }\n    validate: { catalogue: testServerConnect }\n').code, 'FLOW_STEP_KIND');
    const back = flow(
      '  - id: reply\n    respond: { text: ok }\n  - id: again\n    dedupe: { onDuplicate: { goto: reply } }\n',
    );
    assert.equal(back.code, 'FLOW_GOTO_BACKWARD');
  });

  it('references that do not resolve are errors at load, not at the first message', () => {
    assert.equal(flow('  - id: m\n    map: { mapping: nowhere/none, to: doc }\n  - id: reply\n    respond: { text: ok }\n').code, 'FLOW_UNKNOWN_MAPPING');
    assert.equal(flow('  - id: r\n    rules: { apply: [no-such-rule] }\n  - id: reply\n    respond: { text: ok }\n').code, 'FLOW_UNKNOWN_RULE');
    assert.equal(flow('  - id: check\n    validate: { catalogue: noSuchService }\n  - id: reply\n    respond: { text: ok }\n').code, 'FLOW_UNKNOWN_SERVICE');
  });

  it('a flow that allocates a number but never persists the bill is refused', () => {
    const e = flow('  - id: number\n    allocate: {}\n  - id: reply\n    respond: { text: ok }\n');
    assert.equal(e.code, 'FLOW_IRREVERSIBLE_UNGUARDED');
    assert.equal(e.loc.line, 5);
  });

  it('the file name and the flow name must agree; YAML aliases are refused', () => {
    assert.equal(flow('  - id: reply\n    respond: { text: ok }\n', 'version: 1\nflow: other\ntrigger: { channel: his, service: testServerConnect }\n').code, 'FLOW_NAME');
    assert.equal(flow('  - id: reply\n    respond: &x { text: ok }\n  - id: again\n    respond: *x\n').code, 'YAML_ALIAS');
  });

  const mapping = (body: string): LintError => {
    const f = path.join(dir, 'demo', 'm.map.yaml');
    writeFileSync(f, 'version: 1\nmapping: m\n' + body);
    try {
      loadMapping(f);
    } catch (e) {
      assert.ok(e instanceof LintError, String(e));
      return e;
    }
    assert.fail('expected a lint error');
  };

  it('a JSONata syntax error points into the expression', () => {
    const e = mapping('fields:\n  a: "busNo"\n  total: "$sum(x]"\n');
    assert.equal(e.code, 'MAP_EXPR_SYNTAX');
    assert.equal(e.loc.line, 5);
    assert.ok(e.loc.col > 10, `column ${e.loc.col} should be inside the expression`);
  });

  it('an unknown $function is refused with the list of known ones', () => {
    const e = mapping('fields:\n  a: "$mony(totalAmt)"\n');
    assert.equal(e.code, 'MAP_UNKNOWN_FUNCTION');
    assert.match(e.message, /\$mony.*\$money/);
  });
});
