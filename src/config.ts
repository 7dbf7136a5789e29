/**
 * Configuration: config/default.yaml, then the file named by MEDBILL_CONFIG merged over it, then
 * environment variables, then programmatic overrides; the result is checked against
 * config/config.schema.yaml (config-check.ts). Every module receives it instead of reading env itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { checkConfig, ConfigLayers, dotted, envLoc, locate } from './config-check';
import { formatIssue, Loc, Problems } from './engine/lint';
import { loadYamlSource, YamlSource } from './engine/yaml-source';

export interface CallerConfig {
  appid: string;
  key: string;
  name?: string;
  demo?: boolean;
  replayProtection?: boolean;
  /** the Bosssoft interface version the caller's HIS speaks (field names, decimals): v3.2.0 unless said */
  dialect?: HisDialect;
}

/** Interface versions whose requests medbill accepts; flows normalise the older ones with a mapping (step kind dialect). */
export const HIS_DIALECTS = ['v2.0.3', 'v3.1.0', 'v3.2.0'] as const;
export type HisDialect = (typeof HIS_DIALECTS)[number];

export interface StockSeed {
  placeCode: string;
  medium: 'ebill' | 'paper';
  billKind: string;
  billBatchCode: string;
  startNo: string;
  endNo: string;
}

/** Temporal's retry words plus a horizon: transient failures are retried until `horizon` has passed. */
export interface RetryPolicyConfig {
  initialInterval: string;
  backoffCoefficient: number;
  maximumInterval: string;
  /** 0..1: each delay is drawn from [(1 − jitter)·d, d], so maximumInterval stays a true cap */
  jitter: number;
  /** how long a job keeps being retried after it was enqueued (or requeued), e.g. 7d */
  horizon: string;
}

/** When the outbox monitor recomputes its gauges and when it raises the backlog alert. */
export interface OutboxMonitorConfig {
  interval: string;
  /** alert when a topic has at least this many undelivered jobs… */
  backlogPending: number;
  /** …or when its oldest undelivered job is at least this old */
  backlogAge: string;
}

/** A private key of the embedded signature server, addressed by its key index (GM/T 0029 keyIndex). */
export interface SvsKeyConfig {
  index: number;
  /** demo PKI identity (demo mode only): unitSigning | unitEncryption */
  demo?: 'unitSigning' | 'unitEncryption';
  /** PEM file: the certificate, its private key (PKCS#8/SEC1, SM2 or RSA) and optionally the issuing CA certificates */
  file?: string;
  /** name of the environment variable holding the passphrase of an encrypted key in `file` */
  passphraseEnv?: string;
}

/** An application account of the signature server and its access rule. */
export interface SvsApplicationConfig {
  appName: string;
  /** scrypt hash (`medbill svs --hash-password`); the password itself is never configured here */
  passwordHash: string;
  /** key indexes the application may use */
  keyIndexes: number[];
  /** operation names (SVS_SignMessage, …) or "*" */
  operations: string[];
  /** client IP allowlist (exact addresses or IPv4 CIDR); empty = any */
  clientIps?: string[];
  /** the demo account: refused in production mode */
  demo?: boolean;
}

export interface SvsConfig {
  port: number;
  host: string;
  start: boolean;
  /** SOAP engine: the hand-rolled document/literal parser (fast) or node-soap on the same WSDL (docs/ca-svs.md) */
  engine: 'fast' | 'node-soap';
  workers: number;
  /** tasks waiting for a worker before new requests get "busy" */
  maxQueue: number;
  bodyLimitBytes: number;
  keys: SvsKeyConfig[];
  applications: SvsApplicationConfig[];
  /** audit trail of every private-key use (its own database, so the SVS can run alone) */
  audit: { dbUrl: string };
  validation: {
    revocation: 'none' | 'crl' | 'ocsp' | 'ocsp-then-crl' | 'crl-then-ocsp';
    softFail: boolean;
    timeoutMs: number;
    /** extra trust roots (PEM files) beside the demo roots */
    trustRoots: string[];
  };
  /** the demo CA's CRL (/crl/root.crl) and OCSP responder (/ocsp), served in demo mode */
  demoCa: { crlValidityHours: number; revoked: Array<{ serial: string; reason?: string; at?: string }> };
}

/** How medbill reaches a signature server (the embedded one or the hospital's CA box). */
export interface CaClientConfig {
  /** SOAP endpoint; empty = the embedded SVS at http://127.0.0.1:<svs.port>/svs */
  url: string;
  /** mapping file config/ca-vendors/<vendor>.yaml */
  vendor: string;
  appName: string;
  keyIndex: number;
  /** MEDBILL_CA_PASSWORD */
  password: string;
  timeoutMs: number;
  keepAlive: boolean;
  maxSockets: number;
}

/** `rate` requests per second on average, `burst` at once; rate 0 = no limit. */
export interface RateLimitConfig {
  rate: number;
  burst: number;
}

export interface LimitsConfig {
  /** HIS channel requests being read or worked on at once; past it E3003 at once (0 = no limit) */
  maxInFlight: number;
  /** client addresses, appids and bills each limiter remembers (least recently seen forgotten first) */
  trackedKeys: number;
  his: { perIp: RateLimitConfig; perAppid: RateLimitConfig };
  /** the bill download (/<servicePath>/ebill/…xml) and the public check page (/billcheck) */
  billAccess: {
    perIp: RateLimitConfig;
    /** wrong check codes from one client address within `window` that lock it out for `lockout` */
    wrongCodesPerClient: number;
    /** wrong check codes for one bill (from any address) within `window` that lock that bill for `lockout` */
    wrongCodesPerBill: number;
    window: string;
    lockout: string;
  };
}

/** A staff account of the reprint (补打) approval: a supervisor approves applications of others. */
export interface StaffAccount {
  account: string;
  name: string;
  role: 'cashier' | 'supervisor';
}

export interface Config {
  mode: 'demo' | 'production';
  projectRoot: string;
  server: {
    host: string;
    port: number;
    servicePath: string;
    publicBaseUrl: string;
    publicNetUrl: string;
    bodyLimitBytes: number;
    requestDeadlineMs: number;
    /** reverse proxies (addresses or CIDR) whose X-Forwarded-For names the client; empty or absent = none */
    trustedProxies?: string[];
    /** on stop, how long requests in flight may take to answer before their connections are cut */
    shutdownGraceMs: number;
  };
  limits: LimitsConfig;
  /** GET /metrics: behind a bearer token and/or on its own listen address */
  metrics: { token: string; listen: string };
  db: {
    url: string;
    groupCommitMaxBatch: number;
    /** SQLite only: full (a commit is fsynced before anything answers on it; production requires it) | normal (fsync at checkpoints only) */
    sqliteSynchronous: 'full' | 'normal';
    /** SQLite, full only: who fsyncs the WAL — the group commit, off the event loop (writer) | SQLite inside COMMIT (commit) */
    sqliteWalSync: 'writer' | 'commit';
  };
  dataDir: string;
  /** the overlay directory (MEDBILL_HOME), absolute; '' = none */
  home: string;
  definitions: { watch: boolean; watchDebounce: string; switchPoll: string };
  /** the admin endpoints (reload, flow switches): a bearer token, or loopback clients only when empty */
  admin: { token: string };
  log: { level: string; dir: string; stdout: boolean };
  callers: CallerConfig[];
  unit: {
    name: string;
    creditCode: string;
    region: string;
    supervisorAreaCode: string;
    eInvoiceTag: string;
    xmlVersion: string;
    specimenCodes: Record<string, string>;
    billNames: Record<string, string>;
    checkCodeSecret: string;
    orgType: string;
    recName: string;
    recAcct: string;
    recOpBk: string;
    sealId: string;
    sealName: string;
  };
  /** paper bills and printing: the check site printed on bills, the staff accounts of 补打 approval */
  paper?: { checkSite?: string; staff?: StaffAccount[] };
  demoStock: StockSeed[];
  /** bill stock (src/store/stock.ts): the low-stock threshold per place and bill kind, logged once when crossed and exported as medbill_stock_low */
  stock: { lowThreshold: { default: number; places?: Record<string, Record<string, number>> } };
  /** mode auto: the CA client when there is a signature server to reach (svs.start or ca.url), else in-process — see effectiveSignerMode */
  signer: { mode: 'in-process' | 'svs' | 'auto'; workers: number; keyFile: string; userId: string };
  svs: SvsConfig;
  ca: CaClientConfig;
  finance: {
    /** which protocol medbill speaks to finance (adapters/finance/bindings.ts); `simulator` is the one that ships */
    binding: 'simulator';
    /** the embedded simulator's own behaviour (a stand-in for the bureau's people and policies) */
    simulator: { approval: { autoMaxQuantity: number } };
    /** daily reconciliation with finance's totals (medbill finance reconcile, schedule finance-reconcile) */
    reconcile: { daysBack: number };
    port: number;
    start: boolean;
    /** where the simulator listens */
    host: string;
    /** where medbill uploads bills; empty in the files = http://127.0.0.1:<port> (the embedded simulator) */
    url: string;
    bodyLimitBytes: number;
    uploadTimeoutMs: number;
    /** attempts a refused bill or event gets before its dead letter (a refusal may be a cause fixed meanwhile) */
    refusalAttempts: number;
    /** PEM files of the finance CA the supervisory signature must chain to (demo mode adds the demo finance CA) */
    supervisorTrustRoots: string[];
    /** the simulator's check of an upload's unit certificate */
    revocation: { mode: 'none' | 'crl' | 'ocsp' | 'ocsp-then-crl' | 'crl-then-ocsp'; softFail: boolean; timeoutMs: number; crlUrl: string; ocspUrl: string };
    /** the simulator: how long a red bill or paper event naming an unknown blue bill gets 425 before it is refused */
    relatedBillWait: string;
    /** the simulator's check page: a captcha after this many wrong check codes per client */
    billcheck: { captchaAfter: number; captchaTtl: string };
  };
  outbox: { pollMs: number; batch: number; concurrency: number; retry: RetryPolicyConfig; monitor: OutboxMonitorConfig };
  /** the HL7 v2 channel: who may send (MSH-3 → appid), our MSH-3/-4, the MLLP listener */
  hl7: { senders: { application: string; appid: string }[]; application: string; facility: string; mllp: { enabled: boolean; host: string; port: number; maxMessageBytes: number } };
  /** accounting sheets (汇总单入账), see config/default.yaml */
  accounting: { dateBasis: 'ivc' | 'bus'; maxDays: number; allowEmpty: boolean; cancelBooked: boolean; numberPrefix: string };
  /** daily reconciliation (对账) */
  reconcile: { defaultPageSize: number; maxListDays: number };
  schedules: Record<string, string>;
  recovery?: { startupMinAgeMs: number; answeredReservationTtl?: string };
}

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Plain, v) : v;
  return out;
}

/** Environment variables with a fixed meaning (README "Configuration essentials"), applied over the files. */
const ENV_PATHS: Record<string, { path: string[]; type: 'string' | 'number' }> = {
  MEDBILL_PORT: { path: ['server', 'port'], type: 'number' },
  MEDBILL_HOST: { path: ['server', 'host'], type: 'string' },
  MEDBILL_PUBLIC_URL: { path: ['server', 'publicBaseUrl'], type: 'string' },
  MEDBILL_DB_URL: { path: ['db', 'url'], type: 'string' },
  MEDBILL_DATA_DIR: { path: ['dataDir'], type: 'string' },
  MEDBILL_HOME: { path: ['home'], type: 'string' },
  MEDBILL_ADMIN_TOKEN: { path: ['admin', 'token'], type: 'string' },
  MEDBILL_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
  MEDBILL_LOG_DIR: { path: ['log', 'dir'], type: 'string' },
  MEDBILL_SVS_PORT: { path: ['svs', 'port'], type: 'number' },
  MEDBILL_CA_URL: { path: ['ca', 'url'], type: 'string' },
  MEDBILL_CA_VENDOR: { path: ['ca', 'vendor'], type: 'string' },
  MEDBILL_CA_PASSWORD: { path: ['ca', 'password'], type: 'string' },
  MEDBILL_FINANCE_PORT: { path: ['finance', 'port'], type: 'number' },
  MEDBILL_FINANCE_URL: { path: ['finance', 'url'], type: 'string' },
  MEDBILL_HL7_MLLP_PORT: { path: ['hl7', 'mllp', 'port'], type: 'number' },
  MEDBILL_SIGNER_MODE: { path: ['signer', 'mode'], type: 'string' },
  MEDBILL_SIGNER_KEY_FILE: { path: ['signer', 'keyFile'], type: 'string' },
  MEDBILL_CHECK_CODE_SECRET: { path: ['unit', 'checkCodeSecret'], type: 'string' },
  MEDBILL_MODE: { path: ['mode'], type: 'string' },
  MEDBILL_METRICS_TOKEN: { path: ['metrics', 'token'], type: 'string' },
  MEDBILL_METRICS_LISTEN: { path: ['metrics', 'listen'], type: 'string' },
};

function setPath(obj: Plain, p: string[], value: unknown): void {
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[p[p.length - 1]] = value;
}

/**
 * Which medbill process the configuration is for: `start` (medbill with whatever embedded peers it
 * starts; also every other command), `svs` (the signature server alone), `finance` (the finance
 * simulator alone). The production check covers what that process would use.
 */
export type ProcessRole = 'start' | 'svs' | 'finance';

/** A number variable is a number only when it is written as one: MEDBILL_PORT=abc stays "abc" and fails the schema. */
const envValue = (v: string, type: 'string' | 'number'): unknown => (type === 'number' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v);

/** A YAML file of the configuration with positions, or undefined when it cannot be read (reported). */
function readLayer(file: string, problems: Problems, missing: Loc): YamlSource | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    problems.add(missing, 'CONFIG_FILE', '', { detail: `${file}（${(e as NodeJS.ErrnoException).code ?? (e as Error).message}）` });
    return undefined;
  }
  const src = loadYamlSource(file, problems, text);
  if (src && src.data !== null && src.data !== undefined && !isPlain(src.data)) {
    problems.add(src.loc([]), 'CONFIG_TYPE', '', { expected: '映射（map）' });
    return undefined;
  }
  return src;
}

/**
 * Reads and checks the configuration, adding every problem to `problems` (CONFIG_* at the file:line:col
 * or environment variable that set the value). Returns the configuration only when it is valid.
 */
export function readConfig(env: NodeJS.ProcessEnv, overrides: Plain, problems: Problems, role: ProcessRole = 'start'): Config | undefined {
  const before = problems.errors.length;
  const clean = () => problems.errors.length === before;
  const defaultsFile = path.join(PROJECT_ROOT, 'config', 'default.yaml');
  const layers: ConfigLayers = { env: [], overrides };
  layers.defaults = readLayer(defaultsFile, problems, { file: defaultsFile, line: 1, col: 1 });
  let merged: Plain = structuredClone((layers.defaults?.data ?? {}) as Plain);
  if (env.MEDBILL_CONFIG) {
    layers.file = readLayer(path.resolve(env.MEDBILL_CONFIG), problems, envLoc('MEDBILL_CONFIG', env.MEDBILL_CONFIG));
    if (isPlain(layers.file?.data)) merged = deepMerge(merged, layers.file.data);
  }
  if (env.NODE_ENV === 'production') {
    merged.mode = 'production';
    layers.env.push({ path: ['mode'], loc: envLoc('NODE_ENV', 'production') });
  }
  for (const [name, spec] of Object.entries(ENV_PATHS)) {
    const v = env[name];
    // An empty MEDBILL_LOG_DIR means "no log files"; other empty variables mean "not set".
    if (v === undefined || (v === '' && name !== 'MEDBILL_LOG_DIR')) continue;
    setPath(merged, spec.path, envValue(v, spec.type));
    layers.env.push({ path: spec.path, loc: envLoc(name, v) });
  }
  // MEDBILL_CALLERS=appid:key,appid2:key2 adds callers without a file (containers, CI).
  if (env.MEDBILL_CALLERS) {
    const base = Array.isArray(merged.callers) ? (merged.callers as CallerConfig[]) : [];
    const extra: CallerConfig[] = [];
    env.MEDBILL_CALLERS.split(',').filter(Boolean).forEach((pair, n) => {
      const i = pair.indexOf(':');
      if (i > 0 && i < pair.length - 1) extra.push({ appid: pair.slice(0, i), key: pair.slice(i + 1) });
      else problems.add(envLoc('MEDBILL_CALLERS', ''), 'CONFIG_ENV', 'callers', { name: 'MEDBILL_CALLERS', detail: `第 ${n + 1} 项应为 appid:key` });
    });
    layers.env.push({ path: ['callers'], loc: envLoc('MEDBILL_CALLERS', ''), fromIndex: base.length });
    merged.callers = [...base, ...extra];
  }
  merged = deepMerge(merged, overrides);
  if (!layers.defaults || !checkConfig(merged, layers, problems, PROJECT_ROOT) || !clean()) return undefined;
  const cfg = merged as unknown as Config;
  cfg.projectRoot = PROJECT_ROOT;
  cfg.dataDir = path.resolve(PROJECT_ROOT, cfg.dataDir);
  if (cfg.home) cfg.home = path.resolve(PROJECT_ROOT, cfg.home);
  if (!cfg.finance.url) cfg.finance.url = `http://127.0.0.1:${cfg.finance.port}`;
  if (cfg.log.dir) cfg.log.dir = path.resolve(cfg.dataDir, cfg.log.dir);
  if (!cfg.db.url) cfg.db.url = 'sqlite:' + path.join(cfg.dataDir, 'medbill.sqlite');
  if (cfg.db.url.startsWith('sqlite:')) {
    const file = cfg.db.url.slice('sqlite:'.length);
    if (file !== ':memory:') cfg.db.url = 'sqlite:' + path.resolve(PROJECT_ROOT, file);
  }
  // NODE_ENV=production is the operator saying "this is production": nothing may turn it back into a demo.
  if (env.NODE_ENV === 'production' && cfg.mode !== 'production')
    problems.add(locate(layers, ['mode']), 'CONFIG_PRODUCTION', 'mode', { detail: `NODE_ENV=production but mode is '${String(cfg.mode)}' (MEDBILL_MODE or a config file): production refuses to run in demo mode` });
  for (const p of productionProblems(cfg, role)) problems.add(locate(layers, p.at), 'CONFIG_PRODUCTION', dotted(p.at), { detail: p.detail });
  return clean() ? cfg : undefined;
}

/**
 * Checks a configuration object as a process is about to run with it: loadConfig's result, which a
 * caller (a test, a bench) may have changed since. Problems are reported at `config` (no file).
 */
export function checkConfigObject(cfg: Config, problems: Problems): void {
  const { projectRoot: _derived, ...settings } = cfg;
  checkConfig(settings, { env: [], overrides: {}, fallback: { file: 'config', line: 0, col: 0 } }, problems, PROJECT_ROOT);
}

export class ConfigError extends Error {}

/** Every configuration problem, thrown at once: a process prints them all and does not start. */
export class ConfigLintError extends ConfigError {
  constructor(readonly problems: Problems) {
    const errors = problems.sorted().filter((i) => i.severity === 'error');
    super(`configuration has ${errors.length} error(s):\n` + errors.map(formatIssue).join('\n'));
  }
}

/**
 * The configuration every process runs with: default.yaml, the MEDBILL_CONFIG file, MEDBILL_* variables
 * and `overrides` (tests), checked against config/config.schema.yaml. Any problem throws a
 * ConfigLintError listing all of them.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Plain = {}, role: ProcessRole = 'start'): Config {
  const problems = new Problems();
  const cfg = readConfig(env, overrides, problems, role);
  if (!cfg) throw new ConfigLintError(problems);
  return cfg;
}

/**
 * Which signer issuance uses. `auto` (the default) decides from configuration alone, never from whether
 * a server happens to answer: the CA client (svs) when medbill starts the embedded signature server or
 * ca.url names one, in-process otherwise. A separately run `medbill svs` therefore needs ca.url or
 * signer.mode: svs.
 */
export function effectiveSignerMode(cfg: Pick<Config, 'signer' | 'svs' | 'ca'>): 'in-process' | 'svs' {
  if (cfg.signer.mode !== 'auto') return cfg.signer.mode;
  return cfg.svs.start || cfg.ca.url ? 'svs' : 'in-process';
}

/** The demo signature-server password of config/default.yaml (refused in production). */
export const DEMO_CA_PASSWORD = 'demo-svs-password';

/**
 * Demo secrets are fine for a tour and fatal in production: the settings that must change, by path.
 * Each process is checked for what it would use. (The key loaders refuse demo keys in production too,
 * so a path that skips this check still cannot sign with them.)
 */
function productionProblems(cfg: Config, role: ProcessRole = 'start'): { at: (string | number)[]; detail: string }[] {
  if (cfg.mode !== 'production') return [];
  const problems: { at: (string | number)[]; detail: string }[] = [];
  const svsProblems = () => {
    cfg.svs.applications.forEach((a, i) => {
      if (a.demo) problems.push({ at: ['svs', 'applications', i], detail: `svs application ${a.appName} is the demo account (demo-svs-password)` });
    });
    cfg.svs.keys.forEach((k, i) => {
      if (k.demo) problems.push({ at: ['svs', 'keys', i], detail: `svs key index ${k.index} is a demo PKI key` });
    });
  };
  if (role === 'finance') problems.push({ at: ['finance'], detail: 'medbill finance is the finance simulator: it signs with the demo PKI supervisor key and is for demos and tests only' });
  if (role === 'svs') svsProblems();
  if (role === 'start') {
    cfg.callers.forEach((c, i) => {
      if (c.demo || c.key === DEMO_CALLER_KEY) problems.push({ at: ['callers', i], detail: `caller ${c.appid} uses the demo key` });
    });
    if (cfg.unit.checkCodeSecret.startsWith('demo')) problems.push({ at: ['unit', 'checkCodeSecret'], detail: 'unit.checkCodeSecret is the demo value (set MEDBILL_CHECK_CODE_SECRET)' });
    const signer = effectiveSignerMode(cfg);
    if (signer === 'in-process' && !cfg.signer.keyFile) problems.push({ at: ['signer', 'keyFile'], detail: 'signer.keyFile is empty (demo PKI unit key)' });
    if (signer === 'svs' && cfg.ca.password === DEMO_CA_PASSWORD) problems.push({ at: ['ca', 'password'], detail: 'ca.password is the demo value (set MEDBILL_CA_PASSWORD)' });
    if (cfg.svs.start) svsProblems();
    if (cfg.finance.start) problems.push({ at: ['finance', 'start'], detail: 'finance.start runs the finance simulator, which signs with the demo PKI (set finance.start: false and finance.url)' });
    if (cfg.db.url.startsWith('sqlite:') && cfg.db.sqliteSynchronous !== 'full')
      problems.push({ at: ['db', 'sqliteSynchronous'], detail: `db.sqliteSynchronous is ${cfg.db.sqliteSynchronous}: a power cut loses acknowledged bills and rolls the number pointer back (use full)` });
  }
  return problems;
}

/** Throws when production mode would run with demo settings (loadConfig reports the same, located). */
export function checkProductionSafety(cfg: Config, role: ProcessRole = 'start'): void {
  const problems = productionProblems(cfg, role);
  if (problems.length) throw new ConfigError('production mode refuses demo settings: ' + problems.map((p) => p.detail).join('; '));
}

/** The demo caller key of config/default.yaml (refused in production). */
export const DEMO_CALLER_KEY = 'demo-key-0123456789abcdef';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "250ms", "5s", "2m", "1h", "7d" to milliseconds. */
export function durationMs(v: string | number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(String(v).trim());
  if (!m) throw new ConfigError(`bad duration '${v}' (use 250ms, 5s, 2m, 1h, 7d)`);
  return Number(m[1]) * DURATION_UNITS[m[2]];
}

/** The inverse for messages: the largest unit that divides the value (7d, 36h, 90s, 250ms). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's']) if (ms >= DURATION_UNITS[unit] && ms % DURATION_UNITS[unit] === 0) return `${ms / DURATION_UNITS[unit]}${unit}`;
  return `${ms}ms`;
}
