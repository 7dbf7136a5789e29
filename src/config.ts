/**
 * Configuration: config/default.yaml, then the file named by MEDBILL_CONFIG merged over it, then
 * environment variables. The result is frozen; every module receives it instead of reading env itself.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface CallerConfig {
  appid: string;
  key: string;
  name?: string;
  demo?: boolean;
  replayProtection?: boolean;
}

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
    /** on stop, how long requests in flight may take to answer before their connections are cut */
    shutdownGraceMs: number;
  };
  db: {
    url: string;
    groupCommitMaxBatch: number;
    /** SQLite only: full (a commit is fsynced before anything answers on it; production requires it) | normal (fsync at checkpoints only) */
    sqliteSynchronous: 'full' | 'normal';
    /** SQLite, full only: who fsyncs the WAL — the group commit, off the event loop (writer) | SQLite inside COMMIT (commit) */
    sqliteWalSync: 'writer' | 'commit';
  };
  dataDir: string;
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
  demoStock: StockSeed[];
  /** mode auto: the CA client when there is a signature server to reach (svs.start or ca.url), else in-process — see effectiveSignerMode */
  signer: { mode: 'in-process' | 'svs' | 'auto'; workers: number; keyFile: string; userId: string };
  svs: SvsConfig;
  ca: CaClientConfig;
  finance: {
    port: number;
    start: boolean;
    /** where the simulator listens */
    host: string;
    /** where medbill uploads bills; empty in the files = http://127.0.0.1:<port> (the embedded simulator) */
    url: string;
    bodyLimitBytes: number;
    uploadTimeoutMs: number;
  };
  outbox: { pollMs: number; batch: number; retry: RetryPolicyConfig; monitor: OutboxMonitorConfig };
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

/** Environment variables with a fixed meaning (DESIGN §3), applied over the files. */
const ENV_PATHS: Record<string, { path: string[]; type: 'string' | 'number' }> = {
  MEDBILL_PORT: { path: ['server', 'port'], type: 'number' },
  MEDBILL_HOST: { path: ['server', 'host'], type: 'string' },
  MEDBILL_PUBLIC_URL: { path: ['server', 'publicBaseUrl'], type: 'string' },
  MEDBILL_DB_URL: { path: ['db', 'url'], type: 'string' },
  MEDBILL_DATA_DIR: { path: ['dataDir'], type: 'string' },
  MEDBILL_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
  MEDBILL_LOG_DIR: { path: ['log', 'dir'], type: 'string' },
  MEDBILL_SVS_PORT: { path: ['svs', 'port'], type: 'number' },
  MEDBILL_CA_URL: { path: ['ca', 'url'], type: 'string' },
  MEDBILL_CA_VENDOR: { path: ['ca', 'vendor'], type: 'string' },
  MEDBILL_CA_PASSWORD: { path: ['ca', 'password'], type: 'string' },
  MEDBILL_FINANCE_PORT: { path: ['finance', 'port'], type: 'number' },
  MEDBILL_FINANCE_URL: { path: ['finance', 'url'], type: 'string' },
  MEDBILL_SIGNER_MODE: { path: ['signer', 'mode'], type: 'string' },
  MEDBILL_SIGNER_KEY_FILE: { path: ['signer', 'keyFile'], type: 'string' },
  MEDBILL_CHECK_CODE_SECRET: { path: ['unit', 'checkCodeSecret'], type: 'string' },
  MEDBILL_MODE: { path: ['mode'], type: 'string' },
};

function setPath(obj: Plain, p: string[], value: unknown): void {
  let cur = obj;
  for (const k of p.slice(0, -1)) {
    if (!isPlain(cur[k])) cur[k] = {};
    cur = cur[k] as Plain;
  }
  cur[p[p.length - 1]] = value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Plain = {}): Config {
  const defaults = parse(readFileSync(path.join(PROJECT_ROOT, 'config', 'default.yaml'), 'utf8')) as Plain;
  let merged = defaults;
  if (env.MEDBILL_CONFIG) merged = deepMerge(merged, (parse(readFileSync(env.MEDBILL_CONFIG, 'utf8')) ?? {}) as Plain);
  if (env.NODE_ENV === 'production') merged.mode = 'production';
  for (const [name, spec] of Object.entries(ENV_PATHS)) {
    const v = env[name];
    // An empty MEDBILL_LOG_DIR means "no log files"; other empty variables mean "not set".
    if (v !== undefined && (v !== '' || name === 'MEDBILL_LOG_DIR')) setPath(merged, spec.path, spec.type === 'number' ? Number(v) : v);
  }
  // MEDBILL_CALLERS=appid:key,appid2:key2 adds callers without a file (containers, CI).
  if (env.MEDBILL_CALLERS) {
    const extra = env.MEDBILL_CALLERS.split(',').filter(Boolean).map((pair) => {
      const i = pair.indexOf(':');
      return { appid: pair.slice(0, i), key: pair.slice(i + 1) };
    });
    merged.callers = [...((merged.callers as CallerConfig[]) ?? []), ...extra];
  }
  merged = deepMerge(merged, overrides);
  const cfg = merged as unknown as Config;
  cfg.projectRoot = PROJECT_ROOT;
  cfg.dataDir = path.resolve(PROJECT_ROOT, cfg.dataDir);
  if (!cfg.finance.url) cfg.finance.url = `http://127.0.0.1:${cfg.finance.port}`;
  if (cfg.log.dir) cfg.log.dir = path.resolve(cfg.dataDir, cfg.log.dir);
  if (!cfg.db.url) cfg.db.url = 'sqlite:' + path.join(cfg.dataDir, 'medbill.sqlite');
  if (cfg.db.url.startsWith('sqlite:')) {
    const file = cfg.db.url.slice('sqlite:'.length);
    if (file !== ':memory:') cfg.db.url = 'sqlite:' + path.resolve(PROJECT_ROOT, file);
  }
  checkProductionSafety(cfg);
  return cfg;
}

export class ConfigError extends Error {}

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

/** Demo secrets are fine for a tour and fatal in production: refuse to start rather than sign with them. */
export function checkProductionSafety(cfg: Config): void {
  if (cfg.mode !== 'production') return;
  const problems: string[] = [];
  for (const c of cfg.callers) if (c.demo || c.key === 'demo-key-0123456789abcdef') problems.push(`caller ${c.appid} uses the demo key`);
  if (cfg.unit.checkCodeSecret.startsWith('demo')) problems.push('unit.checkCodeSecret is the demo value');
  const signer = effectiveSignerMode(cfg);
  if (signer === 'in-process' && !cfg.signer.keyFile) problems.push('signer.keyFile is empty (demo PKI)');
  if (signer === 'svs' && cfg.ca.password === DEMO_CA_PASSWORD) problems.push('ca.password is the demo value (set MEDBILL_CA_PASSWORD)');
  if (cfg.db.url.startsWith('sqlite:') && cfg.db.sqliteSynchronous !== 'full')
    problems.push(`db.sqliteSynchronous is ${cfg.db.sqliteSynchronous}: a power cut loses acknowledged bills and rolls the number pointer back (use full)`);
  if (cfg.svs.start) {
    for (const a of cfg.svs.applications) if (a.demo) problems.push(`svs application ${a.appName} is the demo account`);
    for (const k of cfg.svs.keys) if (k.demo) problems.push(`svs key index ${k.index} is a demo PKI key`);
  }
  if (problems.length) throw new ConfigError('production mode refuses demo settings: ' + problems.join('; '));
}

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
