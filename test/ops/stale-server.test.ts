/**
 * A running server whose flow is not the file's any more (someone changed the file, nobody restarted):
 * `medbill replay` says so and replays nothing, instead of replaying on the old flow; --local replays
 * with the files. The server runs a copy of the definitions whose flow has one more comment line, so
 * the shipped files are never edited.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDefinitions } from '../../src/app';
import { loadConfig, PROJECT_ROOT } from '../../src/config';
import { callJson, SAMPLE_FILE, startTestApp, TestApp } from '../helpers/app';
import { cliEnv, runCli } from '../helpers/cli';
import { readFileSync } from 'node:fs';

describe('replay through a server that runs other definitions than the files', function () {
  this.timeout(60_000);
  const root = mkdtempSync(path.join(os.tmpdir(), 'medbill-stale-root-'));
  let app: TestApp;
  const route = (r: { table(): { service: string; flow: string; version: string }[] }) => r.table().find((x) => x.service === 'invoiceEBillOutpatient')!;

  before(async () => {
    for (const d of ['config/catalogue', 'mappings', 'flows', 'wsdl']) cpSync(path.join(PROJECT_ROOT, d), path.join(root, d), { recursive: true });
    appendFileSync(path.join(root, 'flows', 'outpatient', 'issue.flow.yaml'), '\n# changed after the server started\n');
    app = await startTestApp({ root });
  });
  after(async () => {
    await app?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses with both versions and what to do (exit 1, nothing replayed); --local replays with the files', async () => {
    const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
    assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'STALE-1' })).result, 'S0000');
    await app.services.writer.drain();
    const [original] = await app.services.messages.find({ busNo: 'STALE-1' });
    const running = route(app.router);
    const files = route(loadDefinitions(loadConfig()).router);
    assert.notEqual(running.version, files.version);
    assert.equal(original.flow_version, running.version);
    const env = cliEnv(app, app.port);

    const r = await runCli(['replay', '--bus-no', 'STALE-1'], env);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr, `server runs outpatient-issue@${running.version}, files are @${files.version}: restart it, or replay with --local to use the files\nnothing replayed: the server at http://127.0.0.1:${app.port} does not run the definitions in the files\n`);
    assert.equal(r.stdout, '');
    assert.equal((await app.services.messages.find({ busNo: 'STALE-1' })).length, 1);
    assert.equal((await app.services.messages.get(original.id))!.status, 'done');

    const local = await runCli(['replay', '--bus-no', 'STALE-1', '--local'], env);
    assert.equal(local.code, 0, local.stdout + local.stderr);
    assert.match(local.stdout, new RegExp(`replaying in this process with the files \\(--local; the server at http://127\\.0\\.0\\.1:${app.port} keeps running\\)`));
    const replay = (await app.services.messages.find({ busNo: 'STALE-1' }))[1];
    assert.equal(replay.replay_of, original.id);
    assert.equal(replay.flow_version, files.version, 'run on the files, not on what the server loaded');
    assert.equal(replay.status, 'done');
  });
});
