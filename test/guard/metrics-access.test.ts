/**
 * /metrics behind a token (metrics.token: 401 without "Authorization: Bearer <token>") or on its own
 * listen address (metrics.listen: the HIS port no longer serves it).
 */
import { strict as assert } from 'node:assert';
import { startTestApp, TestApp } from '../helpers/app';
import { request } from './helpers';

describe('/metrics access', function () {
  this.timeout(30_000);

  describe('with metrics.token', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ config: { metrics: { token: 'scrape-0123456789' } } });
    });
    after(async () => app?.stop());

    it('401 without the token or with a wrong one (Chinese text, WWW-Authenticate), 200 with it', async () => {
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer scrape-0123456788' }, { authorization: 'Basic c2NyYXBlOjAxMjM0NTY3ODk=' }];
      for (const headers of attempts) {
        const r = await request(`${app.baseUrl}/metrics`, { headers });
        assert.equal(r.status, 401, JSON.stringify(headers));
        assert.match(String(r.headers['www-authenticate']), /^Bearer/);
        assert.match(r.text, /[\u4e00-\u9fff]/);
        assert.doesNotMatch(r.text, /medbill_/);
      }
      const ok = await request(`${app.baseUrl}/metrics`, { headers: { authorization: 'Bearer scrape-0123456789' } });
      assert.equal(ok.status, 200);
      assert.match(ok.text, /^# HELP medbill_messages_total/m);
      assert.equal((await request(`${app.baseUrl}/healthz`)).status, 200, 'health stays open for load balancers');
    });
  });

  describe('with metrics.listen', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ config: { metrics: { token: '', listen: '127.0.0.1:0' } } });
    });
    after(async () => app?.stop());

    it('served on its own port only; the HIS port answers 404', async () => {
      assert.ok(app.metricsPort && app.metricsPort !== app.port);
      const own = await request(`http://127.0.0.1:${app.metricsPort}/metrics`);
      assert.equal(own.status, 200);
      assert.match(own.text, /medbill_messages_total/);
      assert.equal((await request(`${app.baseUrl}/metrics`)).status, 404);
      assert.equal((await request(`http://127.0.0.1:${app.metricsPort}/healthz`)).status, 404, 'nothing else on the metrics port');
    });
  });
});
