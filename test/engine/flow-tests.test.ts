/**
 * Runs every flows/**\/*.flow.test.yaml (src/engine/flow-tests.ts) as mocha cases: the real flows on a
 * scratch store per file, mocks only where a case names them. A broken flow test file is a failure.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { DEMO_APPID } from '../helpers/app';
import { flowTestFiles, loadFlowTest, runFlowTestCase } from '../../src/engine/flow-tests';
import { formatIssue, Problems } from '../../src/engine/lint';
import { createScratchApp } from '../../src/scratch-app';
import { sharedDefinitions } from '../helpers/definitions';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('flow tests (flows/**/*.flow.test.yaml)', function () {
  this.timeout(60_000);
  const files = flowTestFiles(path.join(ROOT, 'flows'));
  // The flows the cases are read against (each file's app runs them on its own store and definitions).
  const { loadDefinitions } = require('../../src/app') as typeof import('../../src/app');
  const { loadConfig } = require('../../src/config') as typeof import('../../src/config');
  const projectFlows = loadDefinitions(loadConfig({})).flows;

  it('every shipped flow has a flow test beside it', () => {
    const flows = flowTestFiles(path.join(ROOT, 'flows')).map((f) => f.replace('.flow.test.yaml', '.flow.yaml'));
    const { flowFiles } = require('../../src/engine/flow-loader') as typeof import('../../src/engine/flow-loader');
    assert.deepEqual(flowFiles(path.join(ROOT, 'flows')).filter((f) => !flows.includes(f)), []);
  });

  for (const file of files) {
    describe(path.relative(ROOT, file), () => {
      let app: Awaited<ReturnType<typeof createScratchApp>>;
      const problems = new Problems();
      before(async () => {
        app = await createScratchApp({}, sharedDefinitions);
      });
      after(async () => app?.close());

      it('the test file is valid', () => {
        const t = loadFlowTest(file, app.flows, problems);
        assert.ok(t && problems.ok, problems.issues.map(formatIssue).join('\n'));
      });

      // Cases of one file share one store and run in order (a case may build on an earlier one).
      const probe = new Problems();
      const t = loadFlowTest(file, projectFlows, probe);
      for (const c of t?.cases ?? [])
        it(c.name, async () => {
          const r = await runFlowTestCase(t!, c, app.flows, app.services, DEMO_APPID);
          assert.ok(r.ok, `${path.relative(ROOT, file)}:${c.loc.line}: ${r.problems.join('; ')}`);
        });
    });
  }
});
