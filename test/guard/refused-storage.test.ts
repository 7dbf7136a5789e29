/**
 * A refused request that did not authenticate costs kilobytes of storage, not its size: before the fix
 * 50 bodies of 2 MB under a made-up appid grew the database by 94 MB in 2.5 s. The store keeps a head
 * of each with the original length and SHA-256 (enough to see who sent what and to match a client's
 * log); a request whose sign verified is kept whole, as before. SQLite and MariaDB.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { dbKinds, envelope, startTestApp, TestApp } from '../helpers/app';
import type { MessageRow } from '../../src/store/messages';
import { jsonResult, request } from './helpers';

for (const kind of dbKinds()) {
  describe(`refused bodies from unknown appids are stored truncated (${kind})`, function () {
    this.timeout(120_000);
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db: kind });
    });
    after(async () => app?.stop());

    async function rows(since: number): Promise<MessageRow[]> {
      await app.services.writer.drain();
      return (await app.services.messages.find({ limit: 100_000 })).filter((m) => m.received_at >= since);
    }
    async function sqliteBytes(): Promise<number> {
      const [pages] = (await app.services.db.raw('pragma page_count')) as Array<{ page_count: number }>;
      const [size] = (await app.services.db.raw('pragma page_size')) as Array<{ page_size: number }>;
      return pages.page_count * size.page_size;
    }

    it('50 × 2 MB bodies under an unknown appid: each answered E0002, stored as a head with length and sha256; the database grows by < 2 MB', async () => {
      await app.services.writer.drain();
      const size0 = kind === 'sqlite' ? await sqliteBytes() : 0;
      const t0 = Date.now();
      const bodies: string[] = [];
      for (let i = 0; i < 50; i++) {
        const body = JSON.stringify({ appid: `NOBODY-${i}`, data: 'A'.repeat(2_000_000) + i, noise: `n${i}`, version: '1.0', sign: 'X' });
        bodies.push(body);
        const r = await request(`${app.baseUrl}/medical-web/api/medical/invoiceEBillOutpatient`, { body });
        assert.equal(r.status, 200);
        assert.equal(jsonResult(r.text).result, 'E0002');
      }
      const stored = await rows(t0);
      assert.equal(stored.length, 50);
      let total = 0;
      for (const m of stored) {
        const i = Number(/NOBODY-(\d+)/.exec(m.appid ?? '')?.[1]);
        const body = bodies[i];
        total += Buffer.byteLength(m.raw);
        assert.ok(m.raw.length < 4_300, `stored ${m.raw.length} chars`);
        assert.ok(m.raw.startsWith(body.slice(0, 1000)), 'the head is the body as sent');
        assert.ok(m.raw.includes(`原请求 ${Buffer.byteLength(body)} 字节，sha256 ${createHash('sha256').update(body).digest('hex')}`), m.raw.slice(-160));
        assert.equal(m.status, 'rejected');
        assert.equal(m.error_code, 'E0002');
      }
      assert.ok(total < 50 * 4_500, `stored ${total} bytes of raw text for 100 MB sent`);
      if (kind === 'sqlite') {
        const grown = (await sqliteBytes()) - size0;
        assert.ok(grown < 2 * 1024 * 1024, `database grew by ${grown} bytes`);
      }
    });

    it('a bad sign under a real appid is as unauthenticated: truncated too; over the size limit: truncated with the full length and hash', async () => {
      const t0 = Date.now();
      const forged = JSON.stringify({ ...envelope({ busNo: 'F' }), data: 'B'.repeat(1_000_000), sign: '0'.repeat(32) });
      const r1 = await request(`${app.baseUrl}/medical-web/api/medical/invoiceEBillOutpatient`, { body: forged });
      assert.equal(jsonResult(r1.text).result, 'E0001');
      const huge = JSON.stringify({ appid: 'NOBODY', data: 'C'.repeat(3 * 1024 * 1024) });
      const r2 = await request(`${app.baseUrl}/medical-web/api/medical/invoiceEBillOutpatient`, { body: huge });
      assert.equal(jsonResult(r2.text).result, 'E0003');
      const [a, b] = (await rows(t0)).sort((x, y) => (x.error_code ?? '').localeCompare(y.error_code ?? ''));
      assert.equal(a.error_code, 'E0001');
      assert.ok(a.raw.length < 4_300 && a.raw.includes(`sha256 ${createHash('sha256').update(forged).digest('hex')}`));
      assert.equal(b.error_code, 'E0003');
      assert.ok(b.raw.length < 4_300 && b.raw.includes(`原请求 ${Buffer.byteLength(huge)} 字节，sha256 ${createHash('sha256').update(huge).digest('hex')}`), b.raw.slice(-160));
    });

    it('a refusal after the sign verified (undecodable data) is kept whole: it is the hospital\'s own request to debug', async () => {
      const t0 = Date.now();
      const env = envelope('x'.repeat(6000));
      const body = JSON.stringify(env);
      const r = await request(`${app.baseUrl}/medical-web/api/medical/invoiceEBillOutpatient`, { body });
      assert.equal(jsonResult(r.text).result, 'E0005');
      const [m] = await rows(t0);
      assert.equal(m.raw, body);
    });
  });
}
