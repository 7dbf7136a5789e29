/**
 * A running server whose flow is not the file's any more (the file changed, nobody restarted):
 * `medbill replay` says so and replays nothing instead of replaying on the old flow; --local replays
 * with the files. The CLI runs from a copy of the project whose flow gets one more comment line after
 * the server started, so the shipped files are never edited.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { loadDefinitions } from '../../src/app';
import { loadConfig } from '../../src/config';
import { callJson, SAMPLE_FILE, startTestApp, TestApp } from '../helpers/app';
import { cliEnv } from '../helpers/cli';
import { copyProject, ProjectCopy } from '../helpers/project-copy';

describe('replay through a server that runs other definitions than the files', function () {
  this.timeout(60_000);
  let app: TestApp;
  let copy: ProjectCopy;
  const route = (cfg: ReturnType<typeof loadConfig>) => loadDefinitions(cfg).router.route('invoiceEBillOutpatient')!;

  before(async () => {
    app = await startTestApp();
    copy = copyProject();
    appendFileSync(copy.file('flows/outpatient/issue.flow.yaml'), '\n# changed after the server started\n');
  });
  after(async () => {
    await app?.stop();
    copy?.remove();
  });

  it('refuses with both versions and what to do (exit 1, nothing replayed); --local replays with the files', async () => {
    const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
    assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'STALE-1' })).result, 'S0000');
    await app.services.writer.drain();
    const [original] = await app.services.messages.find({ busNo: 'STALE-1' });
    const running = app.router.route('invoiceEBillOutpatient')!;
    const files = route({ ...loadConfig(), projectRoot: copy.root });
    assert.notEqual(running.version, files.version);
    assert.equal(original.flow_version, running.version);
    const env = cliEnv(app, app.port);

    const r = await copy.medbill(['replay', '--bus-no', 'STALE-1'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, `server runs outpatient-issue@${running.version}, files are @${files.version}: reload it (medbill reload), or replay with --local to use the files\nnothing replayed: the server at http://127.0.0.1:${app.port} does not run the definitions in the files\n`);
    assert.equal(r.stdout, '');
    assert.equal((await app.services.messages.find({ busNo: 'STALE-1' })).length, 1);
    assert.equal((await app.services.messages.get(original.id))!.status, 'done');

    const local = await copy.medbill(['replay', '--bus-no', 'STALE-1', '--local'], env);
    assert.equal(local.code, 0, local.stdout + local.stderr);
    assert.match(local.stdout, new RegExp(`replaying in this process with the files \\(--local; the server at http://127\\.0\\.0\\.1:${app.port} keeps running\\)`));
    const replay = (await app.services.messages.find({ busNo: 'STALE-1' }))[1];
    assert.equal(replay.replay_of, original.id);
    assert.equal(replay.flow_version, files.version, 'run on the files, not on what the server loaded');
    assert.equal(replay.status, 'done');
  });
});
