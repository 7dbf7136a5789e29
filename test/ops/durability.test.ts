/**
 * An S0000 must survive a power cut, not only kill -9: on SQLite a commit is fsynced before anything
 * answers on it — by the group commit off the event loop (default) or by PRAGMA synchronous=FULL — and
 * production refuses less; on MariaDB/MySQL medbill reads the server's own flush
 * settings at start, refuses unsafe ones in production and warns in demo. The MariaDB settings are
 * global to a server other suites share, so the refusal is tested with injected readings and the real
 * server's readings are checked against SHOW GLOBAL VARIABLES.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createApp, enforceDurability } from '../../src/app';
import { ConfigError, loadConfig } from '../../src/config';
import { configureLogging, log } from '../../src/log';
import { dialectOf, openDb } from '../../src/store/db';
import { DurabilityReport, judgeMysql, judgeSqlite, readDurability, unsafeSettings } from '../../src/store/durability';
import { SqlDb } from '../../src/store/sql';
import { freshDb, startTestApp } from '../helpers/app';

const PROD_ENV = { MEDBILL_CONFIG: '', NODE_ENV: 'production', MEDBILL_CA_PASSWORD: 'from-the-vault' };
/** The least a production config needs besides the database (the CA box signs; nothing demo). */
const PROD = {
  callers: [{ appid: 'HIS', key: 'k-0123456789abcdef0123' }],
  unit: { checkCodeSecret: 'real-secret' },
  svs: { start: false },
  ca: { url: 'https://ca.hospital.local/svs' },
  finance: { start: false, url: 'https://finance.province.local/ebill' },
};

const mysqlReport = (flush: number, syncBinlog: number, logBin: boolean): DurabilityReport => ({
  dialect: 'mysql',
  settings: judgeMysql({ innodbFlushLogAtTrxCommit: flush, syncBinlog, logBin }),
});

/** Collects what the logger writes while `fn` runs. */
async function logged(fn: () => Promise<void> | void): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, next) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      next();
    },
  });
  const t = new winston.transports.Stream({ stream });
  log().add(t);
  try {
    await fn();
  } finally {
    log().remove(t);
  }
  return lines;
}

describe('durability: COMMIT means on disk (SQLite synchronous, MariaDB flush settings)', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-durability-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SQLite by default: WAL, and the group commit fsyncs it (PRAGMA synchronous NORMAL under it); sqliteWalSync: commit is PRAGMA FULL', async () => {
    for (const [walSync, pragma] of [['writer', 1], ['commit', 2]] as const) {
      const app = await startTestApp({ config: { db: { sqliteWalSync: walSync } } });
      try {
        const conn = new SqlDb(app.services.db, 'sqlite');
        assert.equal((await conn.get<{ journal_mode: string }>('PRAGMA journal_mode'))?.journal_mode, 'wal');
        assert.equal((await conn.get<{ synchronous: number }>('PRAGMA synchronous'))?.synchronous, pragma, walSync);
        const report = await readDurability(conn, { walSyncedByWriter: walSync === 'writer' });
        assert.deepEqual(unsafeSettings(report), [], walSync);
        assert.equal(app.config.db.sqliteSynchronous, 'full', 'the default');
      } finally {
        await app.stop();
      }
    }
    // The same PRAGMA NORMAL without the writer's fsync is the unsafe setting.
    assert.equal(judgeSqlite(1, false)[0].ok, false);
    assert.throws(() => loadConfig({ MEDBILL_CONFIG: '' }, { db: { sqliteWalSync: 'sometimes' } }), /db\.sqliteWalSync.*writer, commit/);
  });

  it('db.sqliteSynchronous: normal is what the database then does, and readDurability calls it unsafe', async () => {
    const url = `sqlite:${path.join(dir, 'normal.sqlite')}`;
    const db = openDb(url, { sqliteSynchronous: 'normal' });
    try {
      const report = await readDurability(new SqlDb(db, dialectOf(url)));
      assert.equal(report.settings[0].value, 'NORMAL');
      assert.equal(unsafeSettings(report).length, 1);
    } finally {
      await db.destroy();
    }
    assert.throws(() => openDb(url, { sqliteSynchronous: 'off' as 'full' }), /full or normal/);
  });

  it('production refuses db.sqliteSynchronous: normal (it allows full), demo starts with it', () => {
    assert.throws(
      () => loadConfig(PROD_ENV, { ...PROD, db: { sqliteSynchronous: 'normal' } }),
      (e: unknown) => e instanceof ConfigError && /db\.sqliteSynchronous is normal: a power cut loses acknowledged bills/.test(e.message) && /use full/.test(e.message),
    );
    assert.doesNotThrow(() => loadConfig(PROD_ENV, PROD));
    assert.equal(loadConfig({ MEDBILL_CONFIG: '' }, { db: { sqliteSynchronous: 'normal' } }).db.sqliteSynchronous, 'normal');
  });

  it('MariaDB/MySQL: innodb_flush_log_at_trx_commit must be 1 or 3; sync_binlog must be 1 when the binary log is on', () => {
    const bad = (r: DurabilityReport) => unsafeSettings(r).map((s) => `${s.name}=${s.value}`);
    assert.deepEqual(bad(mysqlReport(1, 0, false)), [], 'the shipped MariaDB defaults: flush at commit, binlog off');
    assert.deepEqual(bad(mysqlReport(3, 1, true)), []);
    assert.deepEqual(bad(mysqlReport(0, 0, false)), ['innodb_flush_log_at_trx_commit=0']);
    assert.deepEqual(bad(mysqlReport(2, 1, true)), ['innodb_flush_log_at_trx_commit=2']);
    assert.deepEqual(bad(mysqlReport(1, 0, true)), ['sync_binlog=0']);
    assert.deepEqual(bad(mysqlReport(1, 100, true)), ['sync_binlog=100']);
    const unknown = judgeMysql({ innodbFlushLogAtTrxCommit: null, syncBinlog: null, logBin: null });
    assert.deepEqual(unknown.map((s) => s.ok), [false, false], 'what cannot be read is not assumed safe');
  });

  it('production refuses to start on an unsafe server, naming the variable and the safe value; demo warns and starts', async () => {
    const unsafe = async () => mysqlReport(2, 0, true);
    const cfg = loadConfig(PROD_ENV, { ...PROD, dataDir: dir, server: { port: 0, host: '127.0.0.1' }, log: { level: 'warn', dir: '', stdout: false } });
    await assert.rejects(createApp(cfg, { durability: unsafe }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /innodb_flush_log_at_trx_commit = 2: .*set innodb_flush_log_at_trx_commit = 1/);
      assert.match(e.message, /sync_binlog = 0: .*binary log is on.*set sync_binlog = 1/);
      return true;
    });
    configureLogging({ level: 'warn', dir: '', stdout: false });
    const lines = await logged(() => enforceDurability('demo', mysqlReport(2, 0, true)));
    assert.deepEqual(
      lines.filter((l) => l.level === 'warn').map((l) => String(l.problem).split(':')[0]),
      ['innodb_flush_log_at_trx_commit = 2', 'sync_binlog = 0'],
    );
    const demo = await startTestApp({ durability: unsafe });
    await demo.stop();
  });

  if (process.env.MEDBILL_TEST_MYSQL_URL) {
    it('MariaDB: the readings are the server\'s own (SHOW GLOBAL VARIABLES), and production starts on a safe server', async () => {
      const tdb = await freshDb('mysql', dir);
      const db = openDb(tdb.url);
      try {
        const [rows] = (await db.raw("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('innodb_flush_log_at_trx_commit', 'sync_binlog', 'log_bin')")) as [{ Variable_name: string; Value: string }[]];
        const server = Object.fromEntries(rows.map((r) => [r.Variable_name, r.Value]));
        const report = await readDurability(new SqlDb(db, 'mysql'));
        const read = Object.fromEntries(report.settings.map((s) => [s.name, s.value]));
        assert.equal(read.innodb_flush_log_at_trx_commit, server.innodb_flush_log_at_trx_commit);
        assert.equal(read.sync_binlog, server.sync_binlog);
        const expectOk = ['1', '3'].includes(server.innodb_flush_log_at_trx_commit) && (server.log_bin === 'OFF' || server.sync_binlog === '1');
        assert.equal(unsafeSettings(report).length === 0, expectOk, JSON.stringify({ server, report }));
        if (expectOk) {
          const cfg = loadConfig(PROD_ENV, { ...PROD, dataDir: dir, db: { url: tdb.url }, server: { port: 0, host: '127.0.0.1' }, log: { level: 'error', dir: '', stdout: false } });
          const app = await createApp(cfg, { listen: false, background: false, outboxHandlers: new Map() });
          await app.close();
        }
      } finally {
        await db.destroy();
        await tdb.drop();
      }
    });
  }
});
