/**
 * HTTP routes besides the HIS channels: health, readiness, metrics and the signed documents.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { sameSecret } from '../crypto';
import type { Services } from '../engine/services';
import type { LoadedDefinitions } from '../engine/loaded-definitions';
import type { ReloadOutcome } from '../engine/live-definitions';
import type { OutboxWorker } from '../engine/outbox';
import { isoBeijing } from '../domain/time';
import { BillAccessGuard, sendTooManyText } from './bill-access';
import type { OutboxMonitor } from '../engine/outbox-monitor';
import type { Peer, PeerReport } from '../engine/peers';
import { registry } from '../metrics';
import { documentOf } from '../engine/steps/render';
import { billPage } from '../render/bill-page';
import { billPdf } from '../render/bill-pdf';
import type { BillRow } from '../store/bills';

export interface WebDeps {
  services: Services;
  outbox?: OutboxWorker;
  /** recounts the backlog gauges on every scrape */
  outboxMonitor?: OutboxMonitor;
  /** peers reported by /readyz (CA signature server, finance) */
  peers?: Peer[];
  ready(): boolean;
  /** the definitions this process serves (a reload, when there is one, changes what this returns) */
  definitions?(): LoadedDefinitions;
  /** how the last reload went (none since start: undefined) */
  lastReload?(): ReloadOutcome | undefined;
  /** rate limit and check-code lockout of the bill download; default: from services.config */
  billAccess?: BillAccessGuard;
  /** false when /metrics has its own listener (metrics.listen) */
  metricsHere?: boolean;
}

/**
 * GET /metrics, behind metrics.token when one is configured (Authorization: Bearer <token>). Prometheus
 * sends the header with `authorization: { credentials: … }` in its scrape config.
 */
export function metricsHandler(token: string, refresh?: () => Promise<unknown> | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (token) {
      const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      if (!m || !sameSecret(m[1].trim(), token)) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="medbill metrics"' });
        res.end('需要认证：请在 Authorization 头中携带 Bearer 令牌（metrics.token）\n');
        return;
      }
    }
    // A failed recount (the outbox backlog gauges) leaves the previous values; the monitor logs it.
    Promise.resolve(refresh?.())
      .catch(() => undefined)
      .then(() => registry.metrics())
      .then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('metrics unavailable\n');
      },
    );
  };
}

export function webRoutes(deps: WebDeps): express.Router {
  const r = express.Router();
  const { services } = deps;

  // Which definition set answers now, and whether the last reload took: what on-call staff check after
  // `medbill reload` (a refused reload leaves the old version serving, with the errors in the log).
  const definitionsSummary = () => {
    const d = deps.definitions?.();
    if (!d) return undefined;
    const last = deps.lastReload?.();
    return {
      version: d.version,
      loadedAt: isoBeijing(d.loadedAt, 'ms'),
      overlayFiles: d.overlay.length,
      disabledFlows: services.flowSwitches?.disabledFlows().map((f) => f.flow) ?? [],
      lastReload: last && { ok: last.ok, at: isoBeijing(last.at, 'ms'), trigger: last.trigger, version: last.version, errors: last.ok ? 0 : last.problems.length },
    };
  };

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
    // Informational, never a reason to refuse traffic: without a catalogue charge codes are simply not checked.
    const cat = services.chargeCatalogue;
    if (cat) checks.chargeCatalogue = cat.loadedVersion ? `version ${cat.loadedVersion} (${cat.size} items)` : 'not downloaded: charge codes not checked (medbill finance sync)';
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
    res.status(ok ? 200 : 503).json({ status: !ok ? 'not-ready' : degraded ? 'degraded' : 'ready', checks, peers, definitions: definitionsSummary() });
  });

  // What `medbill replay` compares with the files before it replays through this server: flow versions
  // and definition-file hashes, project-relative names only (no hosts, no absolute paths, no secrets).
  r.get(`/${services.config.server.servicePath}/admin/flows`, (_req, res) => {
    const d = deps.definitions?.();
    if (!d) {
      res.status(404).json({ error: 'definitions not reported by this process' });
      return;
    }
    const disabled = new Map((services.flowSwitches?.disabledFlows() ?? []).map((f) => [f.flow, f]));
    const flows = d.flows.map((f) => (disabled.has(f.flow) ? { ...f, disabled: { reason: disabled.get(f.flow)!.reason, changedBy: disabled.get(f.flow)!.changedBy, at: isoBeijing(disabled.get(f.flow)!.changedAt, 'ms') } } : f));
    res.json({ loadedAt: isoBeijing(d.loadedAt, 'ms'), version: d.version, overlay: d.overlay, flows, files: d.files, lastReload: definitionsSummary()?.lastReload });
  });

  if (deps.metricsHere !== false) r.get('/metrics', metricsHandler(services.config.metrics?.token ?? '', () => deps.outboxMonitor?.refresh()));

  // The fiscal XML exactly as signed, and its printable PDF; the check code in the query keeps numbers
  // alone from opening bills, and the guard keeps anyone from trying codes until one fits. The phone
  // page behind getEBillPicUrl (/h5/ebill/<code>/<no>) follows the same rules.
  const guard = deps.billAccess ?? new BillAccessGuard(services.config);
  const notFound = (res: express.Response) =>
    res.status(404).type('text/plain; charset=utf-8').set('cache-control', 'no-store').send('未找到该电子票据（请核对票据代码、号码和校验码）');
  /** The issued bill the URL names, once the guard admits the client and the check code fits; else answered. */
  const admitBill = async (req: express.Request, res: express.Response, code: string, no: string): Promise<BillRow | undefined> => {
    const admitted = guard.admit(req);
    if (!admitted.ok) {
      sendTooManyText(res, admitted);
      return undefined;
    }
    const bill = await services.bills.byNumber(code, no);
    const key = `${code}-${no}`;
    const locked = bill ? guard.billLocked(key, admitted.client) : undefined;
    if (locked) {
      sendTooManyText(res, locked);
      return undefined;
    }
    const random = typeof req.query.random === 'string' ? req.query.random : '';
    if (!bill || bill.state !== 'issued' || !bill.fiscal_xml || !bill.random || !sameSecret(bill.random, random)) {
      guard.wrongCode(admitted.client, bill ? key : undefined);
      notFound(res);
      return undefined;
    }
    return bill;
  };
  r.get(`/${services.config.server.servicePath}/ebill/:code/:file`, async (req, res) => {
    const m = /^(\d+)\.(xml|pdf)$/.exec(req.params.file);
    if (!m) {
      res.status(404).type('text/plain; charset=utf-8').send('未找到：仅提供 .xml 与 .pdf');
      return;
    }
    const bill = await admitBill(req, res, req.params.code, m[1]);
    if (!bill) return;
    const name = `${bill.bill_batch_code}-${bill.bill_no}`;
    if (m[2] === 'xml') {
      res.type('application/xml; charset=utf-8').set('content-disposition', `attachment; filename="${name}.xml"`).send(bill.fiscal_xml);
      return;
    }
    const pdf = await billPdf(await documentOf(services, bill), {});
    res.type('application/pdf').set('content-disposition', `inline; filename="${name}.pdf"`).set('cache-control', 'no-store').send(pdf);
  });
  r.get('/h5/ebill/:code/:no', async (req, res) => {
    if (!/^\d+$/.test(req.params.no)) return void notFound(res);
    const bill = await admitBill(req, res, req.params.code, req.params.no);
    if (!bill) return;
    const q = `?random=${encodeURIComponent(bill.random ?? '')}`;
    const base = `/${services.config.server.servicePath}/ebill/${encodeURIComponent(bill.bill_batch_code)}/${encodeURIComponent(bill.bill_no)}`;
    const html = billPage(await documentOf(services, bill), bill.qr_png ?? undefined, { xml: `${base}.xml${q}`, pdf: `${base}.pdf${q}` }, { redFlushed: bill.scarlet === '1' });
    res.type('text/html; charset=utf-8').set('cache-control', 'no-store').set('content-security-policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'").send(html);
  });

  return r;
}
