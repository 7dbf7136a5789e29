/**
 * The configuration check beyond single files (those are in test/fixtures/lint/config): programmatic
 * overrides, environment variables, an unreadable MEDBILL_CONFIG, and the object a process runs with.
 */
import assert from 'node:assert/strict';
import { loadDefinitionsOrThrow } from '../../src/app';
import { ConfigError, ConfigLintError, loadConfig, readConfig } from '../../src/config';
import { formatIssue, LintError, Problems } from '../../src/engine/lint';

const codes = (env: NodeJS.ProcessEnv, overrides: Record<string, unknown> = {}) => {
  const problems = new Problems();
  const cfg = readConfig(env, overrides, problems);
  return { cfg, lines: problems.sorted().map(formatIssue) };
};

describe('configuration check (config/config.schema.yaml)', () => {
  it('the shipped defaults and the production example (with its secrets from the environment) are valid', () => {
    assert.deepEqual(codes({}).lines, []);
    const prod = codes({ MEDBILL_CONFIG: 'config/production.example.yaml', MEDBILL_CA_PASSWORD: 'from-the-vault', MEDBILL_CHECK_CODE_SECRET: 'from-the-vault' });
    assert.deepEqual(prod.lines, []);
    assert.equal(prod.cfg?.mode, 'production');
  });

  it('programmatic overrides are checked too, and named as such', () => {
    assert.throws(
      () => loadConfig({}, { server: { prot: 18001, port: 'x' } }),
      (e: unknown) =>
        e instanceof ConfigLintError &&
        e instanceof ConfigError &&
        e.message === 'configuration has 2 error(s):\nloadConfig overrides  error  CONFIG_UNKNOWN_KEY  server.prot: 未知的配置项 “prot” — 是否应为 “port”？\nloadConfig overrides  error  CONFIG_TYPE  server.port: 应为整数',
    );
  });

  it('environment numbers are parsed strictly; a good one is a number', () => {
    assert.deepEqual(codes({ MEDBILL_PORT: '17O01' }).lines, ['env MEDBILL_PORT=17O01  error  CONFIG_TYPE  server.port: 应为整数']);
    // Number() would take these (hex, exponent) as ports 17001 and 1000; a port is written in digits.
    assert.deepEqual(codes({ MEDBILL_PORT: '0x4269', MEDBILL_SVS_PORT: '1e3' }).lines, [
      'env MEDBILL_PORT=0x4269  error  CONFIG_TYPE  server.port: 应为整数',
      'env MEDBILL_SVS_PORT=1e3  error  CONFIG_TYPE  svs.port: 应为整数',
    ]);
    assert.deepEqual(codes({ MEDBILL_SVS_PORT: '' }).lines, [], 'empty = not set');
    assert.equal(codes({ MEDBILL_FINANCE_PORT: '18003' }).cfg?.finance.port, 18003);
  });

  it('a secret variable is named without its value', () => {
    const r = codes({ MEDBILL_CALLERS: 'HIS:k-0123456789,no-colon-here,:key-without-appid' });
    assert.deepEqual(r.lines, [
      'env MEDBILL_CALLERS  error  CONFIG_ENV  callers: 环境变量 MEDBILL_CALLERS 格式错误：第 2 项应为 appid:key',
      'env MEDBILL_CALLERS  error  CONFIG_ENV  callers: 环境变量 MEDBILL_CALLERS 格式错误：第 3 项应为 appid:key',
    ]);
    assert.doesNotMatch(r.lines.join('\n'), /k-0123456789|key-without-appid/);
    assert.deepEqual(codes({ MEDBILL_DB_URL: 'postgres://u:secret@db/medbill' }).lines, ['env MEDBILL_DB_URL  error  CONFIG_FORMAT  db.url: 格式错误，应为sqlite:<文件>、mysql://… 或空']);
  });

  it('judges its own problems: a Problems already holding others still gets the configuration back', () => {
    const shared = new Problems();
    shared.add({ file: 'x.yaml', line: 1, col: 1 }, 'CAT_EMPTY', '', {});
    assert.ok(readConfig({}, {}, shared));
  });

  it('a MEDBILL_CONFIG that cannot be read is CONFIG_FILE at the variable', () => {
    assert.deepEqual(codes({ MEDBILL_CONFIG: '/nonexistent/medbill.yaml' }).lines, ['env MEDBILL_CONFIG=/nonexistent/medbill.yaml  error  CONFIG_FILE  无法读取配置文件：/nonexistent/medbill.yaml（ENOENT）']);
  });

  it('a process refuses a configuration object changed after loading (loadDefinitionsOrThrow checks it again)', () => {
    const cfg = loadConfig({});
    (cfg.outbox as Record<string, unknown>).pollMS = 100;
    assert.throws(
      () => loadDefinitionsOrThrow(cfg),
      (e: unknown) => e instanceof LintError && e.message === 'config  error  CONFIG_UNKNOWN_KEY  outbox.pollMS: 未知的配置项 “pollMS” — 是否应为 “pollMs”？',
    );
  });
});
