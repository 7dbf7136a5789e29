/**
 * The embedded finance e-bill system simulator (http://HOST:17003/ by default: its own port and its
 * own database file). It receives unit-signed e-bills, checks them, adds the finance supervisory
 * signature, and serves the public check page. Runs beside medbill (`medbill start`) or alone
 * (`medbill finance`), so tests can stop and restart it.
 *
 *   POST /api/bills   upload of a blue or red bill (protocol in ../api.ts)
 *   POST /api/events  paper conversion, paper void, blank void (./events.ts)
 *   GET  /api/base-info, /api/stock/applications…, /api/reconciliation/daily   (./base-info, ./stock, ./reconciliation)
 *   GET|POST /admin/stock/applications…   finance staff approve or reject stock applications
 *   GET|POST /billcheck   public verification, HTML or JSON
 *   GET /healthz
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { loadOrCreateDemoPki } from '../../ca/key-material';
import { ConfigError, durationMs, type Config } from '../../../src/config';
import { log } from '../../../src/log';
import { BillAccessGuard } from '../../../src/web/bill-access';
import { baseInfoDir, baseInfoRoutes, loadBaseInfo } from './base-info';
import { billcheckRoutes } from './billcheck';
import { reconciliationRoutes } from './reconciliation';
import { StockDesk, stockRoutes } from './stock';
import { CaptchaGate } from './captcha';
import { eventRoutes } from './events';
import { RelatedWait } from './related-wait';
import { financeDbFile, FinanceBillStore, type FinanceEventReceipt, type FinanceEventRow, type FinanceUploadRecord } from './store';
import { FinanceTrust } from './trust';
import { refusal, uploadRoutes } from './upload';

export interface FinanceSimulator {
  url: string;
  port: number;
  /** every upload request answered so far, in order (fin_uploads): what reached finance */
  uploads(): Promise<FinanceUploadRecord[]>;
  /** every event accepted so far, in order of arrival (fin_events) */
  events(): Promise<FinanceEventRow[]>;
  /** every /api/events request answered so far (fin_event_receipts): how often each event arrived */
  eventReceipts(): Promise<FinanceEventReceipt[]>;
  /** the answer of an open check-page captcha: tests only (they cannot read the image) */
  captchaAnswer(id: string): string | undefined;
  close(): Promise<void>;
}

export async function startFinanceSimulator(cfg: Config): Promise<FinanceSimulator> {
  if (cfg.mode === 'production') throw new ConfigError('production mode refuses demo settings: the finance simulator signs with the demo PKI supervisor key');
  const pki = loadOrCreateDemoPki(cfg.dataDir, cfg.svs.port);
  const rv = cfg.finance.revocation;
  const trust = new FinanceTrust(pki, { mode: rv.mode, softFail: rv.softFail, timeoutMs: rv.timeoutMs, crlUrl: rv.crlUrl || undefined, ocspUrl: rv.ocspUrl || undefined });
  const related = new RelatedWait(durationMs(cfg.finance.relatedBillWait));
  // Read before the database opens: a mistake in the data files stops the start with the file named.
  const baseInfo = loadBaseInfo(baseInfoDir(cfg.projectRoot));
  const store = await FinanceBillStore.open(financeDbFile(cfg.dataDir));
  const desk = new StockDesk(store.db, { autoMaxQuantity: cfg.finance.simulator.approval.autoMaxQuantity, region: cfg.unit.region });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', async (_req, res) => {
    try {
      await store.db.raw('select 1');
      res.json({ status: 'ok', service: 'finance-simulator' });
    } catch (e) {
      res.status(503).json({ status: 'error', error: (e as Error).message });
    }
  });
  app.use(uploadRoutes({ store, trust, bodyLimitBytes: cfg.finance.bodyLimitBytes, related }));
  app.use(baseInfoRoutes(baseInfo));
  app.use(stockRoutes(desk));
  app.use(reconciliationRoutes(store.db));
  app.use(eventRoutes({ store, related }));
  const captcha = new CaptchaGate({
    after: cfg.finance.billcheck.captchaAfter,
    windowMs: durationMs(cfg.limits.billAccess.window),
    ttlMs: durationMs(cfg.finance.billcheck.captchaTtl),
    maxKeys: cfg.limits.trackedKeys,
  });
  app.use(billcheckRoutes({ store, trust, guard: new BillAccessGuard(cfg), captcha }));
  app.use((_req, res) => {
    res.status(404).json({ ok: false, message: '未找到' });
  });
  app.use(errorHandler);

  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.finance.port, cfg.finance.host, () => resolve());
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const host = cfg.finance.host === '0.0.0.0' || cfg.finance.host === '::' ? '127.0.0.1' : cfg.finance.host;
  const url = `http://${host}:${port}`;
  log().info('finance simulator listening', { port, supervisorCertSerial: trust.supervisorCertSerial });
  return {
    url,
    port,
    uploads: () => store.uploads(),
    events: () => store.events(),
    eventReceipts: () => store.eventReceipts(),
    captchaAnswer: (id) => captcha.peek(id),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    },
  };
}

/**
 * Body-parser failures become refusals (the sender must not retry them); anything else is a 500
 * without a stack trace, which the sender treats as transient.
 */
const errorHandler: express.ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  const e = err as { type?: string; status?: number; message?: string };
  if (e?.type === 'entity.too.large') {
    const r = refusal('body-too-large', e.message);
    res.status(r.status).json(r.body);
    return;
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    const r = refusal('bad-request', e.type ?? e.message);
    res.status(e.status).json(r.body);
    return;
  }
  log().error('finance simulator error', { error: e?.message ?? String(err) });
  res.status(500).json({ ok: false, message: '财政模拟系统内部错误' });
};
