/**
 * The finance exchange beside bill uploads (issue 10, part B), against the real simulator and a real
 * medbill over HTTP, on SQLite and (when MEDBILL_TEST_MYSQL_URL is set) MariaDB:
 *   - base information: served with a version, holding every charge code the repository's samples use;
 *     downloaded by `medbill finance sync`; issuance checks chargeCode against it (E2630 names the line),
 *     and checks nothing before any catalogue was downloaded (/readyz says so);
 *   - stock from finance: apply → approve by policy or by hand / reject with a reason → receive the range
 *     into the stock ledger → confirm receipt, each step idempotent;
 *   - daily reconciliation: equal after uploads; one bill deleted from finance's database is found, reported
 *     (JSON `differences`, stored, non-zero exit) and raises medbill_finance_reconcile_differences.
 * The CLI runs as a child process on SQLite only (the commands are the same code on either database).
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import knexFactory from 'knex';
import { md5Sign } from '../../adapters/his/json/envelope';
import type { FinanceSimulator } from '../../adapters/finance/simulator';
import { financeDbFile } from '../../adapters/finance/simulator/store';
import { comparisonCsv } from '../../src/domain/finance-reconcile';
import type { FinanceBaseInfo } from '../../src/engine/finance';
import { beijingDayBefore, reconcileDay } from '../../src/engine/finance-reconcile';
import { FinanceStockDesk } from '../../src/engine/finance-stock';
import { FinanceApplicationStore } from '../../src/store/finance-applications';
import { FinanceReconcileStore } from '../../src/store/finance-reconcile';
import { SqlDb } from '../../src/store/sql';
import { dialectOf } from '../../src/store/db';
import { runCli } from '../helpers/cli';
import { dbKinds, freshDb } from '../helpers/databases';
import { DEMO_APPID, DEMO_KEY, FinanceTestApp, readyz, sample, startSimulator, suiteResources } from './harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Every chargeCode the repository's examples, fixtures and conformance files send. */
function repositoryChargeCodes(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(json|ya?ml|py|java|xml)$/.test(name))
        for (const m of readFileSync(p, 'utf8').matchAll(/chargeCode["']?\s*[:=]\s*["']([^"']+)["']/g)) codes.add(m[1]);
    }
  };
  for (const d of ['examples', 'test/conformance', 'test/fixtures']) walk(path.join(ROOT, d));
  return codes;
}

async function his(baseUrl: string, serviceId: string, body: Record<string, unknown>): Promise<{ code: string; text: string }> {
  const data = Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
  const noise = `n-${String(body.busNo ?? body.applicationId)}`;
  const res = await fetch(`${baseUrl}/medical-web/api/medical/${serviceId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appid: DEMO_APPID, data, noise, version: '1.0', sign: md5Sign(DEMO_APPID, data, noise, DEMO_KEY) }),
  });
  const inner = JSON.parse(Buffer.from(((await res.json()) as { data: string }).data, 'base64').toString('utf8')) as { result: string; message: string };
  return { code: inner.result, text: Buffer.from(inner.message, 'base64').toString('utf8') };
}

/** The sample bill with its 化验费 (04) lines under another charge code. */
function withChargeCode(busNo: string, code: string): Record<string, unknown> {
  const s = sample(busNo) as { chargeDetail: { chargeCode: string }[]; listDetail: { chargeCode: string }[] };
  for (const l of [...s.chargeDetail, ...s.listDetail]) if (l.chargeCode === '04') l.chargeCode = code;
  return s;
}

const today = () => beijingDayBefore(0);

async function differencesGauge(app: FinanceTestApp): Promise<number> {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('medbill_finance_reconcile_differences '));
  return Number(line?.split(' ')[1]);
}

for (const kind of dbKinds()) {
  describe(`finance exchange: base information, stock from finance, daily reconciliation (${kind})`, function () {
    this.timeout(60_000);
    const res = suiteResources();
    let sim: FinanceSimulator;
    let app: FinanceTestApp;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let dropDb: () => Promise<void> = async () => undefined;
    let n = 0;
    const busNo = () => `FX-${kind}-${process.pid}-${++n}`;

    before(async () => {
      dir = res.dir();
      // Policy of the simulated bureau: up to 100 numbers approved at once, more wait for a person.
      sim = await startSimulator(dir, 0, { finance: { simulator: { approval: { autoMaxQuantity: 100 } } } });
      res.onCleanup(() => sim.close());
      const db = await freshDb(kind, dir);
      dropDb = db.drop;
      app = await res.medbill(dir, sim.url, { config: { db: { url: db.url } } });
      env = { ...process.env, MEDBILL_CONFIG: '', MEDBILL_DATA_DIR: dir, MEDBILL_DB_URL: db.url, MEDBILL_FINANCE_URL: sim.url, MEDBILL_LOG_DIR: '', MEDBILL_QUIET: '1' };
    });
    after(async () => {
      await res.cleanup();
      await dropDb();
    });

    it('serves base information with a version, holding every charge code the samples and fixtures send', async () => {
      const r = await fetch(`${sim.url}/api/base-info`);
      assert.equal(r.status, 200);
      const info = (await r.json()) as FinanceBaseInfo;
      assert.match(info.version, /^[0-9a-f]{16}$/);
      assert.ok(info.billKinds.some((k) => k.billCode === '0601'));
      assert.ok(info.codeTables.payChannel);
      const held = new Set(info.chargeItems.map((c) => c.code));
      const used = repositoryChargeCodes();
      assert.ok(used.has('02') && used.has('JZ01') && used.size >= 6, `the scan found the samples' codes: ${[...used].join(',')}`);
      const missing = [...used].filter((c) => !held.has(c));
      assert.deepEqual(missing, [], 'charge codes used in examples/ or test fixtures but not in adapters/finance/simulator/data/charge-items.yaml');
    });

    it('before any catalogue is downloaded charge codes are not checked and /readyz says so; after a sync an unknown code is refused naming the line', async () => {
      assert.match((await readyz(app.baseUrl)).body.checks.chargeCatalogue, /not downloaded/);
      assert.equal((await his(app.baseUrl, 'invoiceEBillOutpatient', withChargeCode(busNo(), 'ZZ99'))).code, 'S0000');

      if (kind === 'sqlite') {
        const cli = await runCli(['finance', 'sync'], env);
        assert.equal(cli.code, 0, cli.stderr);
        assert.match(cli.stdout, /base information version [0-9a-f]{16} stored: \d+ charge item/);
        // The server re-reads the stored version on a timer; the test does not wait for it.
        await app.services.chargeCatalogue!.refresh();
      } else {
        const { syncBaseInfo } = await import('../../src/engine/finance-sync');
        const { BaseInfoStore } = await import('../../src/store/finance-base-info');
        const r = await syncBaseInfo(app.services.finance!, new BaseInfoStore(app.services.db), app.services.chargeCatalogue);
        assert.equal(r.kind, 'ok');
      }
      assert.match((await readyz(app.baseUrl)).body.checks.chargeCatalogue, /^version [0-9a-f]{16} \(\d+ items\)$/);

      const refused = await his(app.baseUrl, 'invoiceEBillOutpatient', withChargeCode(busNo(), 'ZZ99'));
      assert.equal(refused.code, 'E2630');
      assert.match(refused.text, /chargeDetail\[1\]\.chargeCode（收费项目编码）ZZ99 不在财政下发的收费项目目录/);
      // Donation items are for donation bills only: the catalogue's bill-kind limit is checked too.
      const wrongKind = await his(app.baseUrl, 'invoiceEBillOutpatient', withChargeCode(busNo(), 'JZ01'));
      assert.equal(wrongKind.code, 'E2630');
      assert.match(wrongKind.text, /JZ01（公益事业捐赠）.*只能用于票据种类 0501.*0601/);
      assert.equal((await his(app.baseUrl, 'invoiceEBillOutpatient', sample(busNo()))).code, 'S0000');
    });

    it('applies for stock: approved by policy, received into the ledger once, receipt confirmed; a repeat changes nothing', async () => {
      const desk = new FinanceStockDesk(app.services.finance!, new FinanceApplicationStore(app.services.db, app.services.writer, app.services.stock));
      const id = `A-${kind}-auto`;
      const applied = await desk.apply({ applicationId: id, billKind: 'outpatient', medium: 'ebill', quantity: 50, applicant: 'tester', reason: '门诊票据不足' });
      assert.equal(applied.kind, 'ok');
      assert.equal(applied.kind === 'ok' && applied.row.state, 'approved');
      const code = `440601${today().slice(2, 4)}`;
      assert.equal(applied.kind === 'ok' && applied.row.bill_batch_code, code);

      const got = await desk.receive(id, 'tester');
      assert.equal(got.kind === 'ok' && got.row.state, 'received');
      // Again, as the administrator types it (in-process on MariaDB): the range is already in, receipt confirmed again.
      if (kind === 'sqlite') {
        const cli = await runCli(['stock', 'receive', '--application', id], env);
        assert.equal(cli.code, 0, cli.stderr);
        assert.match(cli.stdout, new RegExp(`application ${id}: received .* range ${code} 0010000001-0010000050, receipt confirmed`));
      } else assert.equal((await desk.receive(id, 'tester')).kind, 'ok');
      const received = (await app.services.db('stock_movements').where({ op: 'received', source: 'finance', bill_batch_code: code })) as { start_no: number; end_no: number }[];
      assert.equal(received.length, 1, 'the range is in the ledger once, however often it is received');
      // Above the demo stock of the same code (numbers up to 0009999999): the two never overlap.
      assert.deepEqual([Number(received[0].start_no), Number(received[0].end_no)], [10_000_001, 10_000_050]);
      const status = await app.services.finance!.stockApplication(id);
      assert.equal(status.kind === 'ok' && status.status.state, 'received');

      const again = await desk.apply({ applicationId: id, billKind: 'outpatient', medium: 'ebill', quantity: 50, applicant: 'tester', reason: '门诊票据不足' });
      assert.equal(again.kind === 'ok' && again.row.start_no, '0010000001');
      // The flow the staff console will call, here over the HIS JSON channel: approved at once, the next range of the code.
      const viaHis = await his(app.baseUrl, 'applyBillStock', { applicationId: `A-${kind}-his`, billCode: '0601', billType: '1', copyNum: 10, operator: '李四', remark: '门诊窗口补充' });
      assert.equal(viaHis.code, 'S0000', viaHis.text);
      assert.deepEqual(JSON.parse(viaHis.text), { applicationId: `A-${kind}-his`, state: 'approved', billBatchCode: code, billBgnNo: '0010000051', billEndNo: '0010000060' });

      const other = await app.services.finance!.applyStock({ applicationId: id, billKind: 'outpatient', billCode: '0601', medium: 'ebill', quantity: 51, applicant: 'tester' });
      assert.equal(other.kind, 'refused');
      assert.equal(other.kind === 'refused' && other.code, 'conflict');
    });

    it('a large application waits for a person: rejected with a reason, or approved by hand and taken in by the poll', async () => {
      const desk = new FinanceStockDesk(app.services.finance!, new FinanceApplicationStore(app.services.db, app.services.writer, app.services.stock));
      const waitId = `A-${kind}-hand`;
      const noId = `A-${kind}-no`;
      if (kind === 'sqlite') {
        const cli = await runCli(['stock', 'apply', '--id', waitId, '--kind', 'inpatient', '--medium', 'paper', '--quantity', '500', '--reason', '住院纸质票据'], env);
        assert.equal(cli.code, 0, cli.stderr);
        assert.match(cli.stdout, new RegExp(`application ${waitId}: pending \\(待财政审批\\)`));
      } else assert.equal((await desk.apply({ applicationId: waitId, billKind: 'inpatient', medium: 'paper', quantity: 500, applicant: 'tester' })).kind, 'ok');
      const r = await desk.apply({ applicationId: noId, billKind: 'inpatient', medium: 'paper', quantity: 500, applicant: 'tester' });
      assert.equal(r.kind === 'ok' && r.row.state, 'pending');
      // Receipt before approval is refused by finance: nothing reaches the ledger.
      assert.equal((await app.services.finance!.confirmReceipt(waitId)).kind, 'refused');

      if (kind === 'sqlite') {
        const rej = await runCli(['finance', 'reject', noId, '--reason', '本季度纸质票据已足额发放'], env);
        assert.equal(rej.code, 0, rej.stderr);
        const approve = await runCli(['finance', 'approve', waitId], env);
        assert.equal(approve.code, 0, approve.stderr);
        assert.match(approve.stdout, /approved .*: 44060226 0010000001-0010000500 \(500\)/);
      } else {
        // The staff page's form posts, as finance's people use it.
        const post = (id: string, act: string, body: string) =>
          fetch(`${sim.url}/admin/stock/applications/${id}/${act}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
        assert.equal((await post(noId, 'reject', `reason=${encodeURIComponent('本季度纸质票据已足额发放')}`)).status, 303);
        assert.equal((await post(waitId, 'approve', '')).status, 303);
      }
      // What `medbill finance applications` lists (the command prints this JSON as lines).
      const listed = (await (await fetch(`${sim.url}/admin/stock/applications`, { headers: { accept: 'application/json' } })).json()) as { applications: { applicationId: string; state: string }[] };
      assert.deepEqual(
        listed.applications.filter((a) => a.applicationId === waitId || a.applicationId === noId).map((a) => [a.applicationId, a.state]),
        [[noId, 'rejected'], [waitId, 'approved']], // newest first
      );
      const page = await (await fetch(`${sim.url}/admin/stock/applications`)).text();
      assert.match(page, /本季度纸质票据已足额发放/);

      const polled = await desk.poll();
      assert.equal(polled.failed, 0);
      assert.equal(polled.received, 2, 'the one approved by hand, and the one applied over the HIS channel and approved at once');
      const rejected = await new FinanceApplicationStore(app.services.db, app.services.writer, app.services.stock).get(noId);
      assert.equal(rejected?.state, 'rejected');
      assert.equal(rejected?.reject_reason, '本季度纸质票据已足额发放');
      const held = await app.services.stock.holdings({ billBatchCode: '44060226', medium: 'paper' });
      assert.deepEqual(
        held.map((h) => [h.holder, h.startNo, h.endNo]),
        [[null, '0010000001', '0010000500']],
      );
      assert.equal((await desk.poll()).checked, 0, 'nothing is left open once received and confirmed');
      // A decision stands: a rejected application is not approved later, a received one not rejected.
      const admin = (id: string, act: string, body: unknown) =>
        fetch(`${sim.url}/admin/stock/applications/${id}/${act}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
      for (const [id, act] of [[noId, 'approve'], [waitId, 'reject']] as const) {
        const r = await admin(id, act, { reason: '改变主意' });
        assert.equal(r.status, 409);
        assert.equal(((await r.json()) as { code: string }).code, 'application-state');
      }
    });

    it('reconciles a day: equal after the uploads; a bill missing at finance is found, reported, stored and raised as a metric', async () => {
      // Every bill issued so far reaches finance.
      while ((await app.outbox.tick()) > 0);
      const store = new FinanceReconcileStore(app.services.db, new SqlDb(app.services.db, dialectOf(app.config.db.url)));
      const equal = await reconcileDay(app.services.finance!, store, app.services.reports, today(), 'schedule');
      assert.equal(equal.kind, 'ok');
      assert.deepEqual(equal.kind === 'ok' && equal.report.differences, []);
      assert.equal(await differencesGauge(app), 0);

      // Plant the difference: one bill deleted from finance's own database.
      const fin = knexFactory({ client: 'better-sqlite3', connection: { filename: financeDbFile(dir) }, useNullAsDefault: true });
      const victim = (await fin('fin_bills').orderBy('id', 'desc').first()) as { id: number; bill_batch_code: string; total_amount: string; place_code: string };
      await fin('fin_bills').where({ id: victim.id }).delete();
      await fin.destroy();

      const r = await reconcileDay(app.services.finance!, store, app.services.reports, today(), 'schedule');
      assert.ok(r.kind === 'ok');
      const diffs = r.report.differences;
      assert.deepEqual(
        diffs.map((d) => [d.placeCode, d.billBatchCode, d.measure]),
        [
          [victim.place_code, victim.bill_batch_code, 'blueCount'],
          [victim.place_code, victim.bill_batch_code, 'blueAmount'],
        ],
      );
      assert.equal(Number(diffs[0].medbill) - Number(diffs[0].finance), 1);
      assert.equal((Number(diffs[1].medbill) - Number(diffs[1].finance)).toFixed(2), Number(victim.total_amount).toFixed(2));
      assert.equal((await store.latest(today()))?.differences, 2);
      // --format csv: one line per group and measure, both sides and whether they differ.
      assert.match(comparisonCsv(today(), r.report), new RegExp(`^${today()},${victim.place_code},${victim.bill_batch_code},blueCount,\\d+,\\d+,yes$`, 'm'));
      assert.equal(await differencesGauge(app), 2);

      if (kind === 'sqlite') {
        const cli = await runCli(['finance', 'reconcile', '--date', today(), '--format', 'json'], env);
        assert.equal(cli.code, 1, 'a day that differs exits non-zero');
        const report = JSON.parse(cli.stdout) as { date: string; equal: boolean; differences: unknown[] };
        assert.equal(report.equal, false);
        assert.equal(report.differences.length, 2);
        assert.match(cli.stderr, /2 处差异/);
      }
    });
  });
}

describe('finance.binding selects the finance protocol', () => {
  it('simulator is the binding that ships; another name is a configuration error naming the key and the allowed value', async () => {
    const { readConfig } = await import('../../src/config');
    const { Problems } = await import('../../src/engine/lint');
    const { createFinance } = await import('../../adapters/finance/bindings');
    const ok = new Problems();
    const cfg = readConfig({ ...process.env, MEDBILL_CONFIG: '' }, {}, ok);
    assert.equal(ok.errors.length, 0);
    assert.equal(cfg?.finance.binding, 'simulator');
    assert.equal(createFinance(cfg!).name, 'finance-http');
    const bad = new Problems();
    assert.equal(readConfig({ ...process.env, MEDBILL_CONFIG: '' }, { finance: { binding: 'guangdong' } }, bad), undefined);
    assert.deepEqual(
      bad.errors.map((e) => [e.code, e.where]),
      [['CONFIG_ENUM', 'finance.binding']],
    );
  });
});

describe('the simulator base-information data files under medbill validate', () => {
  it('a charge code written unquoted (a number) is FINB_BASE_INFO at its file; the shipped files are clean', async () => {
    const { cpSync, mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const { baseInfoDir, checkBaseInfo } = await import('../../adapters/finance/simulator/base-info');
    const { Problems } = await import('../../src/engine/lint');
    const clean = new Problems();
    checkBaseInfo(baseInfoDir(ROOT), clean);
    assert.deepEqual(clean.errors, []);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-baseinfo-'));
    try {
      cpSync(baseInfoDir(ROOT), dir, { recursive: true });
      writeFileSync(path.join(dir, 'charge-items.yaml'), 'chargeItems:\n  - { code: 01, name: 床位费 }\n');
      const p = new Problems();
      checkBaseInfo(dir, p);
      assert.deepEqual(p.errors.map((e) => [e.code, path.basename(e.loc.file)]), [['FINB_BASE_INFO', 'charge-items.yaml']]);
      assert.match(p.errors[0].message, /chargeItems\[0\] needs code and name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the charge catalogue issuance checks against', () => {
  it('no catalogue: nothing is checked; then unknown, not for this kind, out of validity, and a valid code', async () => {
    const { ChargeCatalogue } = await import('../../src/engine/charge-catalogue');
    const cat = new ChargeCatalogue({ currentVersion: async () => undefined, current: async () => undefined } as never); // use() only
    assert.equal(cat.problem('ZZ99', '0601', '20261202'), undefined);
    cat.use({
      version: 'v1',
      billKinds: [],
      codeTables: {},
      chargeItems: [
        { code: '02', name: '诊察费', billCodes: [] },
        { code: 'JZ01', name: '公益事业捐赠', billCodes: ['0501'] },
        { code: '30', name: '旧项目', billCodes: [], validFrom: '20200101', validTo: '20251231' },
      ],
    });
    assert.deepEqual(cat.problem('ZZ99', '0601', '20261202'), { kind: 'unknown' });
    assert.deepEqual(cat.problem('JZ01', '0601', '20261202'), { kind: 'notForKind', name: '公益事业捐赠', billCodes: '0501' });
    assert.equal(cat.problem('JZ01', '0501', '20261202'), undefined);
    assert.deepEqual(cat.problem('30', '0601', '20261202'), { kind: 'notValid', name: '旧项目', validFrom: '20200101', validTo: '20251231' });
    assert.equal(cat.problem('30', '0601', '20251231'), undefined);
    assert.equal(cat.problem('02', undefined, '20261202'), undefined);
  });
});
