/**
 * HTTP routes besides the HIS channels: health, readiness, metrics and the signed documents.
 */
import express from 'express';
import type { Services } from '../engine/services';
import type { OutboxWorker } from '../engine/outbox';
import type { OutboxMonitor } from '../engine/outbox-monitor';
import type { Peer, PeerReport } from '../engine/peers';
import { registry } from './metrics';

export interface WebDeps {
  services: Services;
  outbox?: OutboxWorker;
  /** recounts the backlog gauges on every scrape */
  outboxMonitor?: OutboxMonitor;
  /** peers reported by /readyz (CA signature server, finance) */
  peers?: Peer[];
  ready(): boolean;
}

export function webRoutes(deps: WebDeps): express.Router {
  const r = express.Router();
  const { services } = deps;

  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // Ready = started, database answers, and the signer's pool is not drowning: else 503 not-ready.
  // A peer that is down (CA, finance) makes it 200 "degraded" with that peer's detail: restarting or
  // unrouting medbill would not bring the peer back, and finance jobs wait safely in the outbox.
  r.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    let ok = deps.ready();
    checks.startup = ok ? 'ok' : 'starting';
    try {
      await services.db.raw('select 1');
      checks.db = 'ok';
    } catch (e) {
      ok = false;
      checks.db = (e as Error).message;
    }
    const q = services.pool.queueSize;
    checks.signQueue = q > 5000 ? `backlog ${q}` : 'ok';
    if (q > 5000) ok = false;
    const peers: Record<string, PeerReport> = {};
    await Promise.all(
      (deps.peers ?? []).map(async (p) => {
        peers[p.name] = await p.report().catch((): PeerReport => ({ status: 'down', error: 'state unknown (check failed)' }));
      }),
    );
    const degraded = Object.values(peers).some((p) => p.status !== 'ok');
    res.status(ok ? 200 : 503).json({ status: !ok ? 'not-ready' : degraded ? 'degraded' : 'ready', checks, peers });
  });

  r.get('/metrics', async (_req, res) => {
    // A failed recount leaves the previous values; the monitor logs it.
    await deps.outboxMonitor?.refresh().catch(() => undefined);
    res.set('content-type', registry.contentType);
    res.send(await registry.metrics());
  });

  // The fiscal XML exactly as signed; the check code in the query keeps numbers alone from opening bills.
  r.get(`/${services.config.server.servicePath}/ebill/:code/:file`, async (req, res) => {
    const m = /^(\d+)\.xml$/.exec(req.params.file);
    if (!m) {
      res.status(404).type('text/plain; charset=utf-8').send('未找到：仅提供 .xml');
      return;
    }
    const bill = await services.bills.byNumber(req.params.code, m[1]);
    if (!bill || bill.state !== 'issued' || !bill.fiscal_xml || bill.random !== String(req.query.random ?? '')) {
      res.status(404).type('text/plain; charset=utf-8').send('未找到该电子票据（请核对票据代码、号码和校验码）');
      return;
    }
    res.type('application/xml; charset=utf-8').set('content-disposition', `attachment; filename="${bill.bill_batch_code}-${bill.bill_no}.xml"`).send(bill.fiscal_xml);
  });

  return r;
}
