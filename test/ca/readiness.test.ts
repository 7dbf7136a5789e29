/**
 * /readyz with signer.mode svs: the CA signature server is a peer. Stopped, it makes medbill 200
 * "degraded" with the signer's state (not 503: restarting medbill would not bring the CA back);
 * started again, medbill is ready. The probe is a plain HTTP GET: no operation, no key use, no audit row.
 */
import { strict as assert } from 'node:assert';
import { createApp, type App } from '../../src/app';
import { readyz, waitFor } from '../finance/harness';
import { startTestSvs, svsConfig, type TestSvs } from './helpers';

describe('/readyz reports the CA signature server (signer.mode svs, embedded SVS stopped and restarted)', function () {
  this.timeout(60_000);
  let svs: TestSvs;
  let app: App;
  let base: string;

  before(async () => {
    svs = await startTestSvs();
    const cfg = svsConfig(svs.dir, svs.port, { server: { port: 0, host: '127.0.0.1' }, signer: { mode: 'svs' }, ca: { url: '', timeoutMs: 1000 } });
    app = await createApp(cfg, { background: false, outboxHandlers: new Map() });
    base = `http://127.0.0.1:${app.port}`;
  });
  after(async () => {
    await app?.close();
    await svs?.stop();
  });

  it('ready while the signature server answers; probing uses no key (no audit row)', async () => {
    const audited = svs.server.audit.written;
    const r = await readyz(base);
    assert.equal(r.http, 200);
    assert.equal(r.body.status, 'ready');
    assert.equal(r.body.peers.ca.status, 'ok');
    assert.equal(r.body.peers.ca.signer, 'svs:medbill');
    assert.equal(typeof r.body.peers.ca.latencyMs, 'number');
    assert.equal(svs.server.audit.written, audited);
  });

  it('200 degraded with the CA down, naming the failure but not the address; ready again once it is back', async () => {
    await svs.halt();
    await waitFor('ca down in /readyz', async () => (await readyz(base)).body.peers.ca.status === 'down', 10_000);
    const r = await readyz(base);
    assert.equal(r.http, 200);
    assert.equal(r.body.status, 'degraded');
    assert.equal(r.body.peers.ca.error, 'unreachable (ECONNREFUSED)');
    assert.match(String(r.body.peers.ca.since), /\+08:00$/);
    assert.doesNotMatch(JSON.stringify(r.body), new RegExp(`127\\.0\\.0\\.1|${svs.port}`));

    await svs.restart();
    await waitFor('ready again', async () => (await readyz(base)).body.status === 'ready', 10_000);
    assert.equal((await readyz(base)).body.peers.ca.status, 'ok');
  });
});
