/**
 * Assembles medbill: store, catalogue, mappings, flows, signer, outbox and the HTTP server on the HIS
 * port. `createApp` is what `medbill start`, the tests and the benchmarks all use.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import { schedule, ScheduledTask } from 'node-cron';
import { InProcessSigner } from '../adapters/ca/in-process-signer';
import { loadUnitSigningKey } from '../adapters/ca/key-material';
import { SvsSigner } from '../adapters/ca/svs-signer';
import { createFinance } from '../adapters/finance/bindings';
import { baseInfoDir, checkBaseInfo } from '../adapters/finance/simulator/base-info';
import { supervisorTrustPem } from '../adapters/finance/supervisor-trust';
import { createJsonChannel } from '../adapters/his/json/channel';
import { mountSoapChannel } from '../adapters/his/soap/channel';
import { Hl7Channel } from '../adapters/his/hl7/channel';
import { hl7HttpHandler } from '../adapters/his/hl7/http';
import { MllpServer, startMllp } from '../adapters/his/hl7/mllp';
import { mountMessageService } from '../adapters/his/soap/message-service';
import { Hl7AckStore } from './store/hl7-acks';
import { openApiText } from '../adapters/his/json/openapi';
import { generateWsdl } from '../adapters/his/soap/wsdl-gen';
import { checkConfigObject, ConfigError, durationMs, effectiveSignerMode, PROJECT_ROOT, readConfig, type Config } from './config';
import { type Catalogue, loadCatalogue } from './engine/catalogue';
import { loadCodeTableFiles } from './engine/code-tables';
import { checkOverlay, DefinitionFile, DefinitionRoots, definitionFiles, definitionsVersion } from './engine/definition-files';
import { suggestionHint } from './engine/codes';
import { ChargeCatalogue } from './engine/charge-catalogue';
import { CpuPool } from './engine/cpu-pool';
import type { Finance } from './engine/finance';
import { beijingDayBefore, reconcileDay } from './engine/finance-reconcile';
import { FinanceStockDesk } from './engine/finance-stock';
import { syncBaseInfo } from './engine/finance-sync';
import { Flow, loadFlow } from './engine/flow-loader';
import { mappingContext } from './engine/functions';
import { handleInbound, InboundRequest, InboundResult } from './engine/inbound';
import { BATCH_ISSUE_TOPIC, createBatchIssueHandler } from './engine/jobs/batch-issue';
import { createFinanceEventHandler, FINANCE_EVENT_TOPIC } from './engine/jobs/finance-event';
import { createFinanceUploadHandler, FINANCE_UPLOAD_TOPIC } from './engine/jobs/finance-upload';
import { BILL_NOTICE_TOPIC, createBillNoticeHandler } from './engine/jobs/bill-notice';
import { RecordingNoticeChannel } from '../adapters/notice/recording';
import { Problems, suggest } from './engine/lint';
import { definitionFileHashes, describeDefinitions, LoadedDefinitions } from './engine/loaded-definitions';
import { DefinitionSet, LiveDefinitions, ReloadOutcome } from './engine/live-definitions';
import { watchDefinitions } from './engine/definition-watch';
import { loadMappingFiles } from './engine/mapping';
import { JobHandler, OutboxWorker } from './engine/outbox';
import { monitorSettings, OutboxMonitor } from './engine/outbox-monitor';
import { outboxPeer, Peer, signerPeer } from './engine/peers';
import { recoverReservations } from './engine/recovery';
import { retryPolicy } from './engine/retry';
import { Router } from './engine/router';
import type { Services } from './engine/services';
import type { Signer } from './engine/signer';
import { loadYamlSource } from './engine/yaml-source';
import { configureLogging, log } from './log';
import { BatchStore } from './store/batches';
import { BillStore } from './store/bills';
import { FeedbackStore } from './store/feedback';
import { FlowSwitchStore } from './store/flow-switches';
import { FinanceApplicationStore } from './store/finance-applications';
import { BaseInfoStore } from './store/finance-base-info';
import { FinanceReconcileStore } from './store/finance-reconcile';
import { NoticeStore } from './store/notices';
import { RedStore } from './store/red';
import { ReportStore } from './store/reports';
import { Db, dialectOf, migrate, openDb, walFsync } from './store/db';
import { describeUnsafe, DurabilityReport, readDurability } from './store/durability';
import { SqlDb } from './store/sql';
import { GroupCommit } from './store/group-commit';
import { MessageStore } from './store/messages';
import { PaperStore } from './store/paper';
import { watchGroupCommit, watchStock } from './metrics';
import { lowStockWatch } from './stock-levels';
import { observeStockLevels, StockStore } from './store/stock';
import { Admission } from './web/admission';
import { metricsHandler, webRoutes } from './web/routes';
import { adminRoutes } from './web/admin';
import { privateDir } from './private-fs';

export interface AppOptions {
  listen?: boolean;
  /** start the outbox worker and schedules (off for one-shot CLI commands) */
  background?: boolean;
  /**
   * Start-up recovery (mark interrupted messages, complete or void leftover reservations). On by default;
   * off for CLI commands that open the store beside a running server, which owns its in-flight work.
   */
  recover?: boolean;
  /** replaces the configured signer (tests of failure paths) */
  signer?: Signer;
  outboxHandlers?: Map<string, JobHandler>;
  /** replaces reading the database's durability settings (tests of the refusal without SET GLOBAL on a shared server) */
  durability?: (sql: SqlDb, o: { walSyncedByWriter?: boolean }) => Promise<DurabilityReport>;
  /** definitions already loaded and checked (`medbill start` checks them before starting its peers) */
  definitions?: DefinitionSet;
  /**
   * Open the HL7 MLLP listener (config hl7.mllp) beside the HTTP port. `medbill start` asks for it when
   * hl7.mllp.enabled; tests that need it ask with port 0, so the suites running side by side never
   * compete for one fixed port.
   */
  mllp?: boolean;
}

export interface App {
  config: Config;
  services: Services;
  /** the router of the definition set served now (a reload swaps it) */
  readonly router: Router;
  readonly flows: Flow[];
  /** what this process serves now (GET /{servicePath}/admin/flows) */
  readonly definitions: LoadedDefinitions;
  /** the swappable definition set (hot reload) */
  live: LiveDefinitions;
  /** loads, checks and (when clean) swaps in the definition files as they are now */
  reload(trigger: string): ReloadOutcome;
  outbox: OutboxWorker;
  outboxMonitor: OutboxMonitor;
  server?: http.Server;
  port?: number;
  /** the port of the own /metrics listener (metrics.listen) */
  metricsPort?: number;
  /** the HL7 MLLP listener's port, when it was opened (AppOptions.mllp) */
  mllpPort?: number;
  /** rate limits and max in-flight of the HIS channels */
  admission?: Admission;
  handle(req: InboundRequest): Promise<InboundResult>;
  close(): Promise<void>;
}

/** Outbox topics medbill delivers (flows may enqueue only these). */
export const OUTBOX_TOPICS = new Set([FINANCE_UPLOAD_TOPIC, FINANCE_EVENT_TOPIC, BATCH_ISSUE_TOPIC, BILL_NOTICE_TOPIC]);

/**
 * Every definition file, checked together: code tables, catalogue, mappings, flows, and what ties them
 * (a catalogue entry's flow, its SOAP form). Problems of all files are collected, not just the first.
 * Callers decide what problems mean: `medbill validate` prints them, start-up refuses to go on.
 */
export function loadDefinitions(cfg: Config, problems = new Problems(), previous?: DefinitionSet) {
  const roots = definitionRoots(cfg);
  checkOverlay(roots, problems);
  const hashes = definitionFileHashes(roots);
  // A reload reuses what did not change (the set in service was clean): compiling the catalogue is
  // most of a load, and a reload blocks the event loop while it compiles.
  const same = (prefix: string) => previous !== undefined && sameFiles(previous.loaded.files, hashes.files, prefix);
  if (previous && definitionsVersion(hashes.files) === previous.loaded.version) return { ...previous, problems };
  const before = problems.errors.length;
  const catalogueFiles = definitionFiles(roots, 'catalogue');
  const common = catalogueFiles.find((f) => f.key === 'config/catalogue/common.schema.yaml');
  const catalogueDir = path.join(roots.root, 'config', 'catalogue');
  // Entries whose file did not change keep their compiled validators while the shared schema and the
  // code tables they were compiled against are the same.
  const sameBase = previous !== undefined && same('config/codes/') && same('config/catalogue/common.schema.yaml');
  const unchangedEntries = new Set(sameBase ? catalogueFiles.filter((f) => previous!.loaded.files[f.key] === hashes.files[f.key]).map((f) => f.file) : []);
  const catalogue =
    previous && same('config/')
      ? previous.catalogue
      : loadCatalogue(catalogueDir, problems, {
          codeTables: sameBase ? previous!.catalogue.codeTables : loadCodeTableFiles(definitionFiles(roots, 'codes').map((f) => f.file), problems),
          commonFile: common?.file ?? path.join(catalogueDir, 'common.schema.yaml'),
          entries: catalogueFiles.filter((f) => f !== common).map((f) => f.file),
          reuse: sameBase ? { from: previous!.catalogue, files: unchangedEntries } : undefined,
        });
  const catalogueOk = problems.errors.length === before;
  const mappingFiles = definitionFiles(roots, 'mappings');
  const keyOf = (k: string) => k.replace(/^mappings\//, '').replace(/\.map\.yaml$/, '');
  const unchanged = (f: DefinitionFile) => {
    const old = previous?.mappings.get(keyOf(f.key));
    return old && path.resolve(old.file) === f.file && previous!.loaded.files[f.key] === hashes.files[f.key] ? old : undefined;
  };
  const fresh = loadMappingFiles(new Map(mappingFiles.filter((f) => !unchanged(f)).map((f) => [keyOf(f.key), f.file])), problems, mappingContext(cfg));
  const mappings = new Map(mappingFiles.map((f) => [keyOf(f.key), unchanged(f) ?? fresh.get(keyOf(f.key))!]));
  const defs = { catalogue, mappings, topics: OUTBOX_TOPICS };
  const files = definitionFiles(roots, 'flows').map((f) => f.file);
  const flows = files.map((f) => loadFlow(f, defs, problems)).filter((f): f is Flow => f !== undefined);
  if (flows.length === files.length) checkCatalogueFlows(catalogue, flows, problems);
  checkBillKinds(catalogue, cfg, problems);
  if (catalogueOk) checkSoapForm(catalogue, catalogueDir, problems);
  checkBaseInfo(baseInfoDir(roots.root), problems);
  const aliases = new Map([...catalogue.services.values()].flatMap((e) => (e.aliasOf ? [[e.service, e.aliasOf] as const] : [])));
  const router = new Router(flows, problems, aliases);
  const loaded = describeDefinitions(roots, router, hashes);
  router.version = loaded.version;
  return { catalogue, mappings, flows, router, problems, loaded };
}

/** Whether the files whose names start with `prefix` are the same (names and contents) in both. */
function sameFiles(a: Record<string, string>, b: Record<string, string>, prefix: string): boolean {
  const pick = (h: Record<string, string>) => Object.keys(h).filter((k) => k.startsWith(prefix)).sort().map((k) => `${k}=${h[k]}`).join('\n');
  return pick(a) === pick(b);
}

/** The shipped tree and the overlay directory (config `home`, MEDBILL_HOME) a configuration names. */
export function definitionRoots(cfg: Pick<Config, 'projectRoot' | 'home'>): DefinitionRoots {
  return { root: cfg.projectRoot, home: cfg.home || undefined };
}

/** A catalogue entry's `flow` must be the flow its service triggers (the catalogue says which flow serves it). */
function checkCatalogueFlows(catalogue: Catalogue, flows: Flow[], problems: Problems): void {
  const byName = new Map(flows.map((f) => [f.name, f]));
  for (const e of catalogue.services.values()) {
    if (!e.flow) continue;
    const f = byName.get(e.flow);
    if (f && f.trigger.service === (e.aliasOf ?? e.service)) continue;
    const loc = loadYamlSource(e.file, new Problems())?.loc(['flow']) ?? { file: e.file, line: 1, col: 1 };
    const detail = f ? `流程 “${e.flow}” 由服务 ${f.trigger.service ?? '（定时）'} 触发，不是 ${e.service}` : `流程 “${e.flow}” 不存在`;
    problems.add(loc, 'CAT_UNKNOWN_FLOW', 'flow', { detail }, f ? undefined : suggestionHint(suggest(e.flow, byName.keys()), byName.keys()));
  }
}

/**
 * An issuing entry's bill kind must have a bill name and a specimen code in `unit:`, or its first
 * bill would be refused at run time (or carry an empty name) instead of at `medbill validate`.
 */
function checkBillKinds(catalogue: Catalogue, cfg: Config, problems: Problems): void {
  for (const e of catalogue.services.values()) {
    const kind = e.issues?.billKind;
    if (kind === undefined) continue;
    const missing = (['billNames', 'specimenCodes'] as const).filter((k) => !(cfg.unit?.[k] && Object.hasOwn(cfg.unit[k], kind)));
    if (!missing.length) continue;
    const loc = loadYamlSource(e.file, new Problems())?.loc(['issues', 'billKind']) ?? { file: e.file, line: 1, col: 1 };
    problems.add(loc, 'CAT_BILL_KIND', 'issues.billKind', { billKind: kind, missing: missing.map((k) => `unit.${k}`).join('、') });
  }
}

/** The SOAP channel serves every entry as WSDL operations: an entry with no XML form is a catalogue error. */
function checkSoapForm(catalogue: Catalogue, dir: string, problems: Problems): void {
  try {
    generateWsdl(catalogue);
  } catch (e) {
    const message = (e as Error).message;
    // The generator names the place as <serviceId>.request.<field>… or starts with the entry's file.
    const m = /^([A-Za-z_][\w-]*)\.(request|response)\b/.exec(message);
    const entry = m ? catalogue.services.get(m[1]) : [...catalogue.services.values()].find((x) => message.startsWith(x.file));
    const file = entry?.file ?? path.join(dir, 'common.schema.yaml');
    const loc = (m && loadYamlSource(file, new Problems())?.loc([m[2]])) || { file, line: 1, col: 1 };
    problems.add(loc, 'CAT_SOAP', m ? `${m[1]}.${m[2]}` : '', { detail: message.replace(`${file}: `, '') });
  }
}

/**
 * Definitions for a process that will serve them: any lint error stops it, with every problem listed —
 * configuration (checked again as the object this process runs with), code tables, catalogue, mappings, flows.
 */
export function loadDefinitionsOrThrow(cfg: Config) {
  const problems = new Problems();
  checkConfigObject(cfg, problems);
  const d = loadDefinitions(cfg, problems);
  d.problems.throwIfAny();
  return d;
}

export type Definitions = ReturnType<typeof loadDefinitions>;

/**
 * The configuration the definitions are checked with when the effective one has errors: the shipped
 * defaults alone, or — if even those are broken — just enough for the loaders (root, unit, URLs).
 */
function fallbackConfig(): Config {
  return readConfig({}, {}, new Problems()) ?? ({ projectRoot: PROJECT_ROOT, unit: {}, server: { publicBaseUrl: '', publicNetUrl: '' } } as unknown as Config);
}

/**
 * The effective configuration (files and environment) and every definition, checked in one pass so
 * one run lists every problem: `medbill validate` prints them, `medbill start` refuses to start.
 * `config` is undefined when it has errors (the definitions are then checked with the defaults).
 */
export function loadAll(env: NodeJS.ProcessEnv = process.env): { config?: Config; definitions: Definitions; problems: Problems; root: string } {
  const problems = new Problems();
  const config = readConfig(env, {}, problems);
  const checkedWith = config ?? fallbackConfig();
  const definitions = loadDefinitions(checkedWith, problems);
  return { config, definitions, problems, root: checkedWith.projectRoot };
}

/** The jobs medbill delivers itself; tests replace the whole map through AppOptions.outboxHandlers. */
export function defaultOutboxHandlers(services: Services, finance: Finance): Map<string, JobHandler> {
  return new Map<string, JobHandler>([
    [FINANCE_UPLOAD_TOPIC, createFinanceUploadHandler(services, finance, { supervisorTrustPem: supervisorTrustPem(services.config), refusalAttempts: services.config.finance.refusalAttempts })],
    [FINANCE_EVENT_TOPIC, createFinanceEventHandler(finance, { refusalAttempts: services.config.finance.refusalAttempts })],
    // Notices go to the recording channel until SMS/e-mail gateways are configured (adapters/notice/).
    [BILL_NOTICE_TOPIC, createBillNoticeHandler(services, new RecordingNoticeChannel(services.notices))],
  ]);
}

// Re-exported: the store alone lives in its own module so read-only commands do not load the server.
export { openStore } from './store/open-store';

/**
 * An S0000 is only as durable as COMMIT: production refuses a database that may lose acknowledged
 * commits on power loss (the next start would reissue numbers the HIS and finance hold); demo warns.
 */
export function enforceDurability(mode: Config['mode'], report: DurabilityReport): void {
  const problems = describeUnsafe(report);
  if (!problems.length) return;
  if (mode === 'production') throw new ConfigError('production mode refuses a database that may lose acknowledged bills on power loss: ' + problems.join('; '));
  for (const p of problems) log().warn('database may lose acknowledged bills on power loss (production mode refuses to start)', { dialect: report.dialect, problem: p });
}

/** "127.0.0.1:9464", "[::1]:9464" or ":9464" (loopback) → host and port. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  if (!m) throw new Error(`metrics.listen '${listen}' is not host:port (e.g. 127.0.0.1:9464)`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]) };
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * The finance exchange's schedules: base information, stock applications, daily reconciliation. Each
 * run is one attempt; a failure is logged and the next run tries again (the work is idempotent).
 */
function financeSchedules(cfg: Config, services: Services, finance: Finance, sql: SqlDb, baseInfo: BaseInfoStore): ScheduledTask[] {
  const run = (name: string, fn: () => Promise<unknown>) => () =>
    void fn().catch((e) => log().error(`schedule ${name} failed`, { error: (e as Error).message }));
  const at = (name: string, fn: () => Promise<unknown>): ScheduledTask[] => (cfg.schedules[name] ? [schedule(cfg.schedules[name], run(name, fn))] : []);
  const stock = new FinanceStockDesk(finance, new FinanceApplicationStore(services.db, services.writer, services.stock));
  const recon = new FinanceReconcileStore(services.db, sql);
  const logOutcome = (name: string) => (r: { kind: string; reason?: string; code?: string }) => {
    if (r.kind !== 'ok') log().warn(`schedule ${name}: finance did not answer`, { outcome: r.kind, reason: r.reason ?? r.code });
  };
  return [
    ...at('finance-sync', async () => logOutcome('finance-sync')(await syncBaseInfo(finance, baseInfo, services.chargeCatalogue))),
    ...at('finance-stock-poll', () => stock.poll()),
    ...at('finance-reconcile', async () => logOutcome('finance-reconcile')(await reconcileDay(finance, recon, services.reports, beijingDayBefore(cfg.finance.reconcile.daysBack), 'schedule'))),
  ];
}

export async function createApp(cfg: Config, opts: AppOptions = {}): Promise<App> {
  // The data directory holds patients' ID numbers and (demo) keys: only medbill's user reads it.
  const openDataDir = privateDir(cfg.dataDir);
  configureLogging(cfg.log);
  if (openDataDir) log().warn(openDataDir);
  const live: LiveDefinitions = new LiveDefinitions(opts.definitions ?? loadDefinitionsOrThrow(cfg), (problems): DefinitionSet => loadDefinitions(cfg, problems, live.current()));
  const current = () => live.current();
  // SQLite with full: the group commit fsyncs the WAL itself, off the event loop (db.ts explains).
  const walSyncedByWriter =
    dialectOf(cfg.db.url) === 'sqlite' && cfg.db.sqliteSynchronous === 'full' && cfg.db.sqliteWalSync === 'writer' && cfg.db.url !== 'sqlite::memory:';
  const db = openDb(cfg.db.url, { sqliteSynchronous: cfg.db.sqliteSynchronous, walSyncedByCaller: walSyncedByWriter });
  const sql = new SqlDb(db, dialectOf(cfg.db.url));
  try {
    enforceDurability(cfg.mode, await (opts.durability ?? readDurability)(sql, { walSyncedByWriter }));
  } catch (e) {
    await db.destroy();
    throw e;
  }
  await migrate(db);
  const writer = new GroupCommit(sql, cfg.db.groupCommitMaxBatch, walSyncedByWriter ? walFsync(cfg.db.url) : undefined);
  watchGroupCommit(writer);
  const bills = new BillStore(db, writer, sql);
  const flowSwitches = new FlowSwitchStore(db);
  await flowSwitches.refresh();
  const stock = new StockStore(db, writer, sql, cfg.stock.lowThreshold);
  const watch = lowStockWatch(cfg.stock.lowThreshold);
  observeStockLevels(watch.observe, watch.maxThreshold);
  watchStock(() => stock.levels());
  // Production starts with the stock the administrator loaded (medbill stock receive/distribute), never the demo's.
  if (cfg.mode === 'demo') {
    const added = await stock.seedDemo(cfg.demoStock);
    if (added) log().info('demo stock seeded', { ranges: added });
  }
  // The unit key is loaded only when this process signs: with the SVS signer the key stays in the
  // signature server (and no demo key material is generated in production).
  // (A signer passed in by a test may wrap the in-process pool, so the key follows the configured mode.)
  const inProcess = effectiveSignerMode(cfg) !== 'svs';
  const unitKey = inProcess ? loadUnitSigningKey(cfg) : undefined;
  const pool = new CpuPool(
    cfg.signer.workers,
    unitKey
      ? [{ id: unitKey.id, privateKey: unitKey.privateKey, publicKey: unitKey.publicKey, certDer: unitKey.certDer.toString('base64'), userId: cfg.signer.userId }]
      : [],
  );
  const signer = opts.signer ?? (unitKey ? new InProcessSigner(pool, unitKey.id, unitKey.serialHex) : SvsSigner.fromConfig(cfg));
  const finance = createFinance(cfg);
  const baseInfo = new BaseInfoStore(db);
  const chargeCatalogue = new ChargeCatalogue(baseInfo);
  await chargeCatalogue.refresh();
  const services: Services = {
    config: cfg,
    db,
    writer,
    // The set served now; a message's own flow keeps the catalogue and mappings it was loaded with.
    get catalogue() {
      return current().catalogue;
    },
    get mappings() {
      return current().mappings;
    },
    messages: new MessageStore(db, writer),
    flowSwitches,
    bills,
    stock,
    paper: new PaperStore(db, writer, sql, stock),
    red: new RedStore(writer, sql),
    feedback: new FeedbackStore(writer, sql),
    batches: new BatchStore(db, writer),
    notices: new NoticeStore(db, writer),
    reports: new ReportStore(writer, sql),
    pool,
    signer,
    finance,
    chargeCatalogue,
  };
  // Batch items are issued by this process's own flows, never by a peer outside the hospital: their
  // handler is there even when a test replaces the others (it needs `handle`, defined below).
  const handlers = new Map(opts.outboxHandlers ?? defaultOutboxHandlers(services, finance));
  if (!handlers.has(BATCH_ISSUE_TOPIC)) handlers.set(BATCH_ISSUE_TOPIC, createBatchIssueHandler(services, (req) => handle(req)));
  const outbox = new OutboxWorker(db, handlers, retryPolicy(cfg.outbox.retry), cfg.outbox.pollMs, cfg.outbox.batch, cfg.outbox.concurrency);
  // Bill events go out at once: the step that committed them wakes the worker; its poll is the sweep behind.
  services.wakeOutbox = () => outbox.wake();
  const outboxMonitor = new OutboxMonitor(db, OUTBOX_TOPICS, monitorSettings(cfg.outbox.monitor));
  const peers = [signerPeer(signer), outboxPeer('finance', FINANCE_UPLOAD_TOPIC, outbox, outboxMonitor)].filter((p): p is Peer => p !== undefined);
  // Requests in flight, so a stop lets them finish and answer instead of cutting them off mid-bill.
  let inFlight = 0;
  const handle = async (req: InboundRequest) => {
    inFlight++;
    try {
      // The set current on arrival serves the whole message, whatever a reload does meanwhile.
      return await handleInbound(services, current().router, req);
    } finally {
      inFlight--;
    }
  };
  const original = async (id: string) => {
    const m = await services.messages.get(id);
    return m && { channel: m.channel, serviceId: m.service_id, raw: m.raw, receivedAt: m.received_at };
  };

  if (opts.recover !== false) {
    // Single node: everything left mid-flight is ours (minAge 0). Several nodes on one database: set
    // recovery.startupMinAgeMs above the request deadline so a starting node leaves its peers' work alone.
    const minAge = cfg.recovery?.startupMinAgeMs ?? 0;
    const interrupted = await services.messages.markInterrupted(minAge);
    if (interrupted) log().warn('messages interrupted by the previous stop', { count: interrupted });
    const recovered = await recoverReservations(services, current().router, minAge);
    if (recovered.completed || recovered.voided || recovered.finishedElsewhere) log().warn('reservations recovered at start-up', recovered);
  }

  const tasks: ScheduledTask[] = [];
  let watcher: { close(): void } | undefined;
  if (opts.background !== false) {
    outbox.start();
    outboxMonitor.start();
    flowSwitches.start(durationMs(cfg.definitions.switchPoll));
    if (cfg.definitions.watch) watcher = watchDefinitions(definitionRoots(cfg), durationMs(cfg.definitions.watchDebounce), () => void live.reload('watch'));
    const expr = cfg.schedules['recover-reservations'];
    if (expr)
      tasks.push(
        schedule(expr, () => {
          void recoverReservations(services, current().router, 60_000).catch((e) => log().error('recovery failed', { error: (e as Error).message }));
        }),
      );
    chargeCatalogue.start();
    tasks.push(...financeSchedules(cfg, services, finance, sql, baseInfo));
  }

  let ready = false;
  let server: http.Server | undefined;
  let metricsServer: http.Server | undefined;
  let port: number | undefined;
  let metricsPort: number | undefined;
  let admission: Admission | undefined;
  let mllp: MllpServer | undefined;
  if (opts.listen !== false) {
    admission = new Admission(cfg);
    const callers = new Map(cfg.callers.map((c) => [c.appid, c]));
    const json = createJsonChannel({
      servicePath: cfg.server.servicePath,
      bodyLimitBytes: cfg.server.bodyLimitBytes,
      serviceBodyLimit: (serviceId) => current().catalogue.services.get(serviceId)?.limits?.bodyBytes,
      callers,
      handle,
      admission,
      original,
    });
    const web = express();
    web.disable('x-powered-by');
    mountSoapChannel(web, {
      config: cfg,
      get catalogue() {
        return current().catalogue;
      },
      callers,
      handle,
      admission,
      original,
    });
    // The JSON channel described for HIS programmers, with this server's public URL (built once per catalogue).
    let openapi: { catalogue: Catalogue; text: string } | undefined;
    web.get(`/${cfg.server.servicePath}/openapi.json`, (_req, res) => {
      const catalogue = current().catalogue;
      const doc = openapi?.catalogue === catalogue ? openapi : { catalogue, text: openApiText(catalogue, { serverUrl: cfg.server.publicBaseUrl.replace(/\/+$/, ''), servicePath: cfg.server.servicePath }) };
      openapi = doc;
      res.type('application/json; charset=utf-8').send(doc.text);
    });
    web.use(adminRoutes({ servicePath: cfg.server.servicePath, token: cfg.admin.token, definitions: live, switches: flowSwitches }));
    // HL7 v2 and hospital XML: decoded here, routed and run by the same door (flows with their own trigger.channel).
    const hl7 = new Hl7Channel({
      settings: { senders: new Map(cfg.hl7.senders.map((s) => [s.application, s.appid])), application: cfg.hl7.application, facility: cfg.hl7.facility },
      handle,
      acks: new Hl7AckStore(writer, sql),
    });
    const onHl7 = hl7HttpHandler(hl7, { bodyLimitBytes: cfg.server.bodyLimitBytes, admission });
    web.post(`/${cfg.server.servicePath}/hl7`, (req, res) => onHl7(req, res));
    mountMessageService(web, { config: cfg, callers, hl7, handle, admission });
    if (opts.mllp) mllp = await startMllp(hl7, { host: cfg.hl7.mllp.host, port: cfg.hl7.mllp.port, maxBytes: cfg.hl7.mllp.maxMessageBytes });
    const ownMetrics = Boolean(cfg.metrics?.listen);
    web.use(webRoutes({ services, outbox, outboxMonitor, peers, ready: () => ready, definitions: () => current().loaded, lastReload: () => live.last(), metricsHere: !ownMetrics }));
    // The JSON channel is the hot path: served straight from node:http, ahead of express.
    server = http.createServer((req, res) => {
      if (req.method === 'POST' && req.url?.startsWith(json.prefix)) json.handler(req, res);
      else web(req, res);
    });
    server.keepAliveTimeout = 65_000;
    if (ownMetrics) {
      const at = parseListen(cfg.metrics.listen);
      const handler = metricsHandler(cfg.metrics.token, () => outboxMonitor?.refresh());
      metricsServer = http.createServer((req, res) => {
        if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') handler(req, res);
        else {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('未找到：此端口只提供 /metrics\n');
        }
      });
      metricsPort = await listen(metricsServer, at.port, at.host);
    }
    try {
      port = await listen(server, cfg.server.port, cfg.server.host);
    } catch (e) {
      metricsServer?.close();
      await mllp?.close();
      throw e;
    }
    log().info('medbill listening', { port, metricsPort, json: `${json.prefix}{serviceId}`, flows: current().flows.length, definitions: current().loaded.version, signer: signer.name });
    if (cfg.mode === 'production' && !cfg.metrics?.token && !ownMetrics)
      log().warn('GET /metrics is open on the HIS port: set metrics.token or metrics.listen');
  }
  ready = true;

  return {
    config: cfg,
    services,
    get router() {
      return current().router;
    },
    get flows() {
      return current().flows;
    },
    get definitions() {
      return current().loaded;
    },
    live,
    reload: (trigger) => live.reload(trigger),
    outbox,
    outboxMonitor,
    server,
    port,
    metricsPort,
    mllpPort: mllp?.port,
    admission,
    handle,
    async close() {
      ready = false;
      for (const t of tasks) t.stop();
      watcher?.close();
      flowSwitches.stop();
      chargeCatalogue.stop();
      await mllp?.close();
      if (metricsServer) {
        metricsServer.closeAllConnections();
        await new Promise<void>((r) => metricsServer!.close(() => r()));
      }
      if (server) {
        // Stop accepting, let requests in flight answer (up to the grace), then cut what is left.
        const closed = new Promise<void>((r) => server!.close(() => r()));
        server.closeIdleConnections();
        const until = Date.now() + cfg.server.shutdownGraceMs;
        while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        server.closeAllConnections();
        await closed;
      }
      outboxMonitor.stop();
      await outbox.stop();
      await writer.drain();
      await signer.close();
      await pool.close();
      await db.destroy();
    },
  };
}
