/**
 * The pieces behind the overlay directory and hot reload, each alone: which file wins, what
 * `medbill validate` says about an overlay, the file watch, the admin endpoints' gate, and the flow
 * switches on every database (the whole server under load is test/ops/reload.test.ts).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { runMappingTests } from '../../src/cli/test-mappings';
import { PROJECT_ROOT } from '../../src/config';
import { checkOverlay, definitionFiles, definitionLabel } from '../../src/engine/definition-files';
import { watchDefinitions } from '../../src/engine/definition-watch';
import { Problems } from '../../src/engine/lint';
import { migrate, openDb } from '../../src/store/db';
import { FlowSwitchStore } from '../../src/store/flow-switches';
import { adminRefusal } from '../../src/web/admin';
import { dbKinds, freshDb } from '../helpers/app';
import { validateAll } from '../../src/cli/validate';

const RESPONSE = 'mappings/his-v32/bill-to-issue-response.map.yaml';

describe('overlay directory and reload parts', function () {
  this.timeout(30_000);
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'medbill-home-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const put = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    writeFileSync(path.join(home, rel), text);
  };

  it('an overlay file replaces the shipped file of the same relative name; another name adds one', () => {
    mkdirSync(path.join(home, 'mappings/his-v32'), { recursive: true });
    copyFileSync(path.join(PROJECT_ROOT, RESPONSE), path.join(home, RESPONSE));
    put('mappings/hospital/settlement.map.yaml', 'version: 1\n');
    const roots = { root: PROJECT_ROOT, home };
    const files = definitionFiles(roots, 'mappings');
    const replaced = files.find((f) => f.key === RESPONSE)!;
    assert.deepEqual([replaced.origin, replaced.file, replaced.replaces], ['overlay', path.join(home, RESPONSE), path.join(PROJECT_ROOT, RESPONSE)]);
    const added = files.find((f) => f.key === 'mappings/hospital/settlement.map.yaml')!;
    assert.deepEqual([added.origin, added.replaces], ['overlay', undefined]);
    assert.equal(files.length, definitionFiles({ root: PROJECT_ROOT }, 'mappings').length + 1);
    assert.equal(definitionLabel(roots, replaced.file), `$MEDBILL_HOME/${RESPONSE}`);
    assert.equal(definitionLabel(roots, replaced.replaces!), RESPONSE);
  });

  it('a missing overlay directory is an error; a folder the overlay does not read is a warning naming it', () => {
    const missing = new Problems();
    checkOverlay({ root: PROJECT_ROOT, home: path.join(home, 'nope') }, missing);
    assert.deepEqual(missing.errors.map((i) => i.code), ['OVERLAY_MISSING']);
    mkdirSync(path.join(home, 'flow'));
    mkdirSync(path.join(home, 'config/catalog'), { recursive: true });
    const typo = new Problems();
    checkOverlay({ root: PROJECT_ROOT, home }, typo);
    assert.equal(typo.errors.length, 0);
    assert.deepEqual(typo.issues.map((i) => [i.code, i.severity, i.message]), [
      ['OVERLAY_UNKNOWN_ENTRY', 'warning', '覆盖目录中的 “flow” 不会被读取（只读取 flows、mappings、config/catalogue、config/codes）'],
      ['OVERLAY_UNKNOWN_ENTRY', 'warning', '覆盖目录中的 “config/catalog” 不会被读取（只读取 flows、mappings、config/catalogue、config/codes）'],
    ]);
  });

  it('medbill validate with MEDBILL_HOME: which overlay file replaces which, and an overlay mistake at its own path', () => {
    mkdirSync(path.join(home, 'mappings/his-v32'), { recursive: true });
    copyFileSync(path.join(PROJECT_ROOT, RESPONSE), path.join(home, RESPONSE));
    put('flows/hospital/settle.flow.yaml', 'version: 2\nflow: hospital-settle\ntrigger: { channel: his, service: noSuchService }\nsteps: []\n');
    // In-process (what the command prints is one line per entry of `overlay`): a subprocess would add its start-up.
    const r = validateAll({ ...process.env, MEDBILL_CONFIG: '', MEDBILL_HOME: home });
    assert.deepEqual(r.overlay, [
      { file: `$MEDBILL_HOME/${RESPONSE}`, replaces: RESPONSE },
      { file: '$MEDBILL_HOME/flows/hospital/settle.flow.yaml', replaces: undefined },
    ]);
    const flowProblem = r.problems.errors.find((i) => i.loc.file === path.join(home, 'flows/hospital/settle.flow.yaml') && i.code === 'FLOW_UNKNOWN_SERVICE');
    assert.equal(flowProblem?.loc.line, 3);
  });

  it('medbill test with an overlay: a shipped golden case runs against the overlay mapping that replaced its target', async () => {
    mkdirSync(path.join(home, 'mappings/his-v32'), { recursive: true });
    writeFileSync(path.join(home, RESPONSE), readFileSync(path.join(PROJECT_ROOT, RESPONSE), 'utf8').replace(/\n?$/, `\n  reloadMark: "'X'"\n`));
    let out = '';
    const sink = new Writable({ write: (c: Buffer, _e, done) => ((out += c.toString()), done()) });
    const failed = await runMappingTests({ root: PROJECT_ROOT, home }, { out: sink });
    const wrong = out.split('\n').filter((l) => l.startsWith('✗'));
    assert.equal(failed, wrong.length);
    assert.ok(wrong.length >= 1 && wrong.every((l) => l.startsWith('✗ mappings/his-v32/bill-to-issue-response.map.test.yaml — ') && l.includes('reloadMark: got "X", expected undefined')), wrong.join('\n'));
  });

  it('definitions.watch: one reload after a burst of changes has settled, including in a folder made after the watch began', async () => {
    let calls = 0;
    let fired!: () => void;
    const first = new Promise<void>((r) => (fired = r));
    const w = watchDefinitions({ root: home, home }, 150, () => {
      calls++;
      fired();
    });
    try {
      for (let i = 0; i < 5; i++) put('flows/new/x.flow.yaml', `# edit ${i}\n`);
      await first;
      assert.equal(calls, 1);
    } finally {
      w.close();
    }
  });

  it('the admin endpoints: with admin.token only the bearer token opens them (from anywhere); without, only direct loopback clients', () => {
    const req = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;
    assert.equal(adminRefusal(req('203.0.113.9', { authorization: 'Bearer s3cret-admin' }), 's3cret-admin'), undefined);
    assert.equal(adminRefusal(req('127.0.0.1', { authorization: 'Bearer wrong' }), 's3cret-admin')?.status, 401);
    assert.equal(adminRefusal(req('127.0.0.1'), 's3cret-admin')?.status, 401, 'a token, once configured, is needed even locally');
    assert.equal(adminRefusal(req('::ffff:127.0.0.1'), ''), undefined);
    assert.equal(adminRefusal(req('::1'), ''), undefined);
    assert.equal(adminRefusal(req('10.1.2.3'), '')?.status, 403);
    assert.equal(adminRefusal(req('127.0.0.1', { forwarded: 'for=203.0.113.9' }), '')?.status, 403, 'a proxy on this host does not make outside requests local');
  });

  for (const kind of dbKinds())
    it(`flow switches (${kind}): the last word per flow wins; a flow without a row is enabled`, async () => {
      const tdb = await freshDb(kind, home);
      const db = openDb(tdb.url);
      try {
        await migrate(db);
        const store = new FlowSwitchStore(db);
        await store.refresh();
        assert.equal(store.disabled('outpatient-issue'), undefined);
        await store.set('outpatient-issue', false, { reason: '维护', by: 'ops' });
        assert.deepEqual({ ...store.disabled('outpatient-issue'), changedAt: 0 }, { flow: 'outpatient-issue', enabled: false, reason: '维护', changedBy: 'ops', changedAt: 0 });
        // Another node's store (same database) sees it on its next refresh.
        const other = new FlowSwitchStore(db);
        await other.refresh();
        assert.ok(other.disabled('outpatient-issue'));
        await store.set('outpatient-issue', true, { by: 'ops' });
        assert.equal(store.disabled('outpatient-issue'), undefined);
        assert.deepEqual((await store.list()).map((s) => [s.flow, s.enabled]), [['outpatient-issue', true]]);
      } finally {
        await db.destroy();
        await tdb.drop();
      }
    });
});
