import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { schemaText } from '../../src/cli/schema';
import { flowFiles } from '../../src/engine/flow-loader';
import { flowSchema } from '../../src/engine/flow-schema';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('flows/flow.schema.json (editor completion for flow files)', () => {
  it('the committed schema equals the one generated from the step registry', () => {
    assert.equal(readFileSync(path.join(ROOT, 'flows', 'flow.schema.json'), 'utf8'), schemaText(), 'run `medbill schema` and commit the result');
  });

  it('every shipped flow validates against it, and a misspelt kind does not', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(flowSchema());
    for (const f of flowFiles(path.join(ROOT, 'flows'))) assert.ok(validate(parse(readFileSync(f, 'utf8'))), `${f}: ${JSON.stringify(validate.errors)}`);
    const bad = { version: 1, flow: 'x', trigger: { channel: 'his', service: 'testServerConnect' }, steps: [{ id: 'reply', respnd: { text: 'ok' } }] };
    assert.equal(validate(bad), false);
  });
});
