/**
 * A hospital's own files (the overlay directory), hot reload and per-flow enable/disable, on one real
 * server over HTTP. The overlay is a temporary folder; the shipped files are never edited. Two
 * observably different versions: the overlay's outpatient mapping writes a marker into the bill's
 * remark (it lands in the signed fiscal XML, early in the flow) and the overlay's response mapping
 * answers a marker field (the last step), so a message that mixed versions would show two markers.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { callJson, SAMPLE_FILE, startTestApp, TestApp } from '../helpers/app';
import { cliEnv, runCli } from '../helpers/cli';
import { Medbill, medbillEnv, startMedbill, stopMedbill } from '../his/his-helpers';

const TO_BILL = 'mappings/his-v32/outpatient-to-bill.map.yaml';
const RESPONSE = 'mappings/his-v32/bill-to-issue-response.map.yaml';
const shipped = (rel: string) => readFileSync(path.join(PROJECT_ROOT, rel), 'utf8');

/** Writes version `mark` of the two overlay mappings. */
function writeVersion(home: string, mark: string): void {
  const toBill = shipped(TO_BILL).replace('  remark: "$str(remark)"', `  remark: "'RELOAD-${mark}'"`);
  assert.notEqual(toBill, shipped(TO_BILL), 'the shipped mapping still has the line this test replaces');
  const response = shipped(RESPONSE).replace(/\n?$/, `\n  reloadMark: "'${mark}'"\n`);
  for (const [rel, text] of [
    [TO_BILL, toBill],
    [RESPONSE, response],
  ]) {
    mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    writeFileSync(path.join(home, rel), text);
  }
}

describe('overlay directory, hot reload, flow enable/disable', function () {
  this.timeout(60_000);
  let app: TestApp;
  let home: string;
  const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
  const issue = (busNo: string) => callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo });
  const reload = () => fetch(`${app.baseUrl}/medical-web/admin/reload`, { method: 'POST' });
  /** what the stored bill and message say about one busNo */
  const stored = async (busNo: string) => {
    const [m] = await app.services.messages.find({ busNo });
    const bill = (await app.services.db('bills').where({ bus_no: busNo }).first()) as { fiscal_xml: string } | undefined;
    return { version: m?.definitions_version, status: m?.status, remark: /<Remark>RELOAD-(\w+)<\/Remark>/.exec(bill?.fiscal_xml ?? '')?.[1] };
  };

  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), 'medbill-home-'));
    writeVersion(home, 'A');
    app = await startTestApp({ config: { home } });
  });
  after(async () => {
    await app?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('the overlay file wins over the shipped one of the same name; /readyz and …/admin/flows name the version and the overlay files', async () => {
    const r = await issue('OVL-1');
    assert.equal(r.result, 'S0000', r.text);
    assert.equal(r.body?.reloadMark, 'A');
    await app.services.writer.drain();
    assert.deepEqual(await stored('OVL-1'), { version: app.definitions.version, status: 'done', remark: 'A' });
    const ready = (await (await fetch(`${app.baseUrl}/readyz`)).json()) as { definitions: { version: string; overlayFiles: number } };
    assert.equal(ready.definitions.version, app.definitions.version);
    assert.equal(ready.definitions.overlayFiles, 2);
    const flows = (await (await fetch(`${app.baseUrl}/medical-web/admin/flows`)).json()) as { version: string; overlay: string[] };
    assert.deepEqual(flows.overlay, [RESPONSE, TO_BILL]);
  });

  it('a reload while 50 clients issue: nothing lost, no message mixes versions, each stored version matches the answer it got', async () => {
    const before = app.definitions.version;
    const clients = 50;
    const perClient = 2;
    let answered = 0;
    let reloaded: Promise<Response> | undefined;
    const results: { busNo: string; result: string; mark: unknown }[] = [];
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const busNo = `HOT-${c}-${i}`;
          const r = await issue(busNo);
          results.push({ busNo, result: r.result, mark: r.body?.reloadMark });
          // Halfway through, with the other clients' requests in flight: version B, reloaded over HTTP.
          if (++answered === (clients * perClient) / 2) {
            writeVersion(home, 'B');
            reloaded = reload();
          }
        }
      }),
    );
    const outcome = (await (await reloaded!).json()) as { ok: boolean; changed: boolean; version: string; previous: string };
    assert.deepEqual({ ok: outcome.ok, changed: outcome.changed, previous: outcome.previous }, { ok: true, changed: true, previous: before });
    const after = outcome.version;
    assert.equal(app.definitions.version, after);
    await app.services.writer.drain();

    assert.equal(results.length, clients * perClient);
    const byVersion = new Map([
      [before, 'A'],
      [after, 'B'],
    ]);
    const seen = new Map<string, number>();
    for (const r of results) {
      assert.equal(r.result, 'S0000', r.busNo);
      const s = await stored(r.busNo);
      assert.equal(s.status, 'done', `${r.busNo}: stored and finished`);
      assert.equal(s.remark, r.mark, `${r.busNo}: the bill (early step) and the answer (last step) come from one version`);
      assert.equal(byVersion.get(s.version ?? ''), r.mark, `${r.busNo}: the stored version is the one whose behaviour it got`);
      seen.set(String(r.mark), (seen.get(String(r.mark)) ?? 0) + 1);
    }
    assert.ok((seen.get('A') ?? 0) >= (clients * perClient) / 2 && (seen.get('B') ?? 0) > 0, `both versions served: ${JSON.stringify([...seen])}`);
    const bills = (await app.services.db('bills').where('bus_no', 'like', 'HOT-%').count({ n: '*' })) as { n: number | string }[];
    assert.equal(Number(bills[0].n), clients * perClient, 'one bill per request, none lost or doubled');
  });

  it('a reload with an error keeps the running set: 422 with the problem at file:line, the old version answers on', async () => {
    const running = app.definitions.version;
    const good = (await issue('BROKEN-0')).body?.reloadMark;
    writeFileSync(path.join(home, RESPONSE), shipped(RESPONSE).replace(/\n?$/, '\n  reloadMark: "$nosuchfunction("\n'));
    const res = await reload();
    assert.equal(res.status, 422);
    const body = (await res.json()) as { ok: boolean; version: string; problems: string[] };
    assert.equal(body.ok, false);
    assert.equal(body.version, running);
    assert.ok(body.problems.some((p) => p.includes('bill-to-issue-response.map.yaml:') && /\serror\s/.test(p)), body.problems.join('\n'));
    const r = await issue('BROKEN-1');
    assert.equal(r.result, 'S0000');
    assert.equal(r.body?.reloadMark, good, 'still the last good version');
    const ready = (await (await fetch(`${app.baseUrl}/readyz`)).json()) as { definitions: { version: string; lastReload: { ok: boolean; errors: number } } };
    assert.equal(ready.definitions.version, running);
    assert.equal(ready.definitions.lastReload.ok, false);
    assert.match(await (await fetch(`${app.baseUrl}/metrics`)).text(), /^medbill_definitions_reloads_total\{result="refused"\} [1-9]/m);
    writeVersion(home, String(good));
  });

  it('a catalogue entry reloaded from the overlay takes effect; the entries reused from the running set still validate', async () => {
    const entry = 'config/catalogue/invoiceEBillOutpatient.yaml';
    const text = shipped(entry).replace('  required: [busNo,', '  required: [remark, busNo,');
    mkdirSync(path.join(home, 'config/catalogue'), { recursive: true });
    writeFileSync(path.join(home, entry), text);
    try {
      assert.equal((await reload()).status, 200);
      const r = await issue('CAT-1');
      assert.equal(r.result, 'E1001');
      assert.match(r.text, /remark/);
      assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'CAT-2', remark: '复诊' })).result, 'S0000');
      assert.throws(() => app.services.catalogue.validate('getEBillByBusNo', {}), (e: { code?: string }) => e.code === 'E1001', 'a kept entry validates as before');
    } finally {
      rmSync(path.join(home, 'config'), { recursive: true, force: true });
      assert.equal((await reload()).status, 200);
    }
  });

  it('the reload endpoint refuses a request that came through a proxy (no admin.token: direct loopback only)', async () => {
    const res = await fetch(`${app.baseUrl}/medical-web/admin/reload`, { method: 'POST', headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { error: string }).error, /admin\.token/);
  });

  it('medbill flows disable: E2750 in Chinese naming the flow, the message stored; held for another node on the database; enable restores it', async () => {
    const env = cliEnv(app, app.port);
    const off = await runCli(['flows', 'disable', 'outpatient-issue', '--reason', '维护门诊映射'], env);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, new RegExp(`outpatient-issue disabled \\(维护门诊映射\\): stored in the database; in effect at http://127\\.0\\.0\\.1:${app.port} now`));
    const r = await issue('OFF-1');
    assert.equal(r.result, 'E2750');
    assert.match(r.text, /服务 invoiceEBillOutpatient 对应的业务流程 outpatient-issue 已被管理员停用/);
    await app.services.writer.drain();
    const [m] = await app.services.messages.find({ busNo: 'OFF-1' });
    assert.deepEqual([m.status, m.error_code, m.definitions_version], ['failed', 'E2750', app.definitions.version]);
    assert.equal(await app.services.db('bills').where({ bus_no: 'OFF-1' }).first(), undefined, 'nothing issued');

    // Another node on the same database (or this one after a restart) starts with the flow disabled.
    const other = await startTestApp({ dbUrl: app.config.db.url, config: { home }, definitions: app.live.current() });
    try {
      assert.equal((await callJson(other.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'OFF-2' })).result, 'E2750');
    } finally {
      await other.stop();
    }
    const listed = await runCli(['flows', '--server'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^# definitions ${app.definitions.version} from server http://127\\.0\\.0\\.1:${app.port}`));
    assert.match(listed.stdout, /\tinvoiceEBillOutpatient\toutpatient-issue@\w+\tflows\/outpatient\/issue\.flow\.yaml\tDISABLED: 维护门诊映射/);

    // `flows enable` is the same command path as disable (one CLI run proves it): the store directly here.
    await app.services.flowSwitches!.set('outpatient-issue', true, { by: 'test' });
    assert.equal((await issue('OFF-1')).result, 'S0000', 'the same busNo, sent again once enabled, is issued');
  });
});

describe('medbill start: a file watch and SIGHUP reload the running process', function () {
  this.timeout(60_000);
  let dir: string;
  let m: Medbill | undefined;
  after(async () => {
    await stopMedbill(m);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a change in MEDBILL_HOME reloads it (definitions.watch), kill -HUP reloads it again; /readyz names each', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-hup-'));
    const home = path.join(dir, 'home');
    mkdirSync(home);
    const env = medbillEnv(dir, `sqlite:${path.join(dir, 'medbill.sqlite')}`);
    appendFileSync(env.MEDBILL_CONFIG!, 'definitions: { watch: true, watchDebounce: 100ms }\n');
    m = await startMedbill({ ...env, MEDBILL_HOME: home });
    type Ready = { definitions: { version: string; overlayFiles: number; lastReload?: { ok: boolean; trigger: string; version: string } } };
    const ready = async () => ((await (await fetch(`${m!.baseUrl}/readyz`)).json()) as Ready).definitions;
    const until = async (ok: (d: Ready['definitions']) => boolean) => {
      for (const end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
        const d = await ready();
        if (ok(d)) return d;
      }
      assert.fail(`no reload seen: ${JSON.stringify(await ready())}\n${m!.output()}`);
    };
    const first = await ready();
    assert.equal(first.lastReload, undefined);
    writeVersion(home, 'W');
    const watched = await until((d) => d.lastReload?.trigger === 'watch' && d.version !== first.version);
    assert.deepEqual([watched.overlayFiles, watched.lastReload!.ok, watched.lastReload!.version], [2, true, watched.version]);
    m.proc.kill('SIGHUP');
    const hup = await until((d) => d.lastReload?.trigger === 'SIGHUP');
    assert.deepEqual([hup.lastReload!.ok, hup.version], [true, watched.version], 'same files: nothing to swap');
  });
});
