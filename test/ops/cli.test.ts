/**
 * The on-call commands run as a person runs them at 3 a.m.: the real `medbill` binary against the data
 * dir and database a running medbill (this test's app) writes to. The CA signature server is outside
 * medbill: its outage is a stand-in signer that throws, then signs for real once "the CA is back".
 */
import assert from 'node:assert/strict';
import { beijingDisplay, isoBeijing } from '../../src/domain/time';
import { callJson, SAMPLE_FILE, startTestApp, TestApp } from '../helpers/app';
import { CaOutageStandIn, cliEnv, runCli } from '../helpers/cli';
import { readFileSync } from 'node:fs';

const BEIJING = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} \+08:00/;

describe('medbill trace and replay (the real CLI against a running server)', function () {
  this.timeout(120_000);
  let app: TestApp;
  let env: NodeJS.ProcessEnv;
  const ca = new CaOutageStandIn();
  const sample = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as Record<string, unknown>;
  const cli = (...args: string[]) => runCli(args, env);
  const msgs = async (q: Parameters<TestApp['services']['messages']['find']>[0] = {}) => {
    await app.services.writer.drain();
    return app.services.messages.find(q);
  };
  const one = async (busNo: string) => (await msgs({ busNo }))[0];

  before(async () => {
    app = await startTestApp({ signer: ca });
    ca.attach(app);
    env = cliEnv(app, app.port);
    ca.down = false;
    assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'CLI-OK' })).result, 'S0000');
    assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'CLI-BAD', totalAmt: '1.00' })).result, 'E1002');
    assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'CLI-SIGN' }, { key: 'wrong-key' })).result, 'E0001');
    ca.down = true;
    assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'CLI-CA' })).result, 'E3001');
    await app.services.writer.drain();
  });
  after(async () => app?.stop());

  describe('trace', () => {
    let busTrace = '';
    it('--bus-no shows the message in Beijing time, the steps it took and the issued bill; exit 0', async () => {
      const m = await one('CLI-OK');
      const r = await cli('trace', '--bus-no', 'CLI-OK');
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.startsWith(`${beijingDisplay(m.received_at)}  ${m.id}  his-json/invoiceEBillOutpatient  done  flow outpatient-issue@`), r.stdout);
      for (const step of ['dialect', 'check', 'to-bill', 'amounts', 'once-per-busno', 'number', 'fiscal-xml', 'sign', 'save', 'reply']) assert.match(r.stdout, new RegExp(`✓ ${step} `));
      assert.match(r.stdout, new RegExp(`bill 44060126-\\d{10} \\(blue\\) issued  created ${BEIJING.source}  busNo CLI-OK  message ${m.id}`));
      assert.doesNotMatch(r.stdout, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/, 'no UTC times');
      assert.match(r.stdout, new RegExp(`\njob #\\d+ finance-upload pending after 0 attempt\\(s\\)  next attempt ${BEIJING.source}\n`), 'the outbox job, not its payload');
      assert.ok(!r.stdout.includes(String(sample.payer)) && !r.stdout.includes('"data"'), 'no payer name, no raw request without --raw');
      busTrace = r.stdout;
    });

    it('--json: where a failed message stopped and why, every time ISO 8601 in +08:00; --raw adds the request as received', async () => {
      const m = await one('CLI-BAD');
      const r = await cli('trace', '--bus-no', 'CLI-BAD', '--json', '--raw');
      assert.equal(r.code, 0);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const msg = lines.find((l) => l.type === 'message')!;
      assert.equal(msg.at, isoBeijing(m.received_at, 'ms'));
      assert.match(String(msg.at), /\+08:00$/);
      assert.equal(Date.parse(String(msg.at)), m.received_at, 'the ISO form reads back to the same instant');
      assert.equal(msg.status, 'failed');
      assert.equal(msg.errorCode, 'E1002');
      assert.match(String(msg.error), /金额不平/);
      assert.deepEqual((msg.steps as { step: string }[]).map((s) => s.step), ['dialect', 'check', 'to-bill', 'amounts']);
      assert.equal(msg.raw, m.raw);
      assert.ok(!lines.some((l) => l.type === 'bill'), 'no bill and no number for a refused settlement');
    });

    it('--msg-id and --bill (both spellings) tell the same story as --bus-no', async () => {
      const m = await one('CLI-OK');
      const bill = (await app.services.db('bills').where({ bus_no: 'CLI-OK' }))[0] as { bill_batch_code: string; bill_no: string };
      // Read-only commands, run side by side (each CLI process is start-up bound, one core each).
      const [byMsg, byBill, byParts] = await Promise.all([
        cli('trace', '--msg-id', m.id.toLowerCase()),
        cli('trace', '--bill', `${bill.bill_batch_code}-${bill.bill_no}`),
        cli('trace', '--bill-batch-code', bill.bill_batch_code, '--bill-no', bill.bill_no),
      ]);
      for (const r of [byMsg, byBill, byParts]) {
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, busTrace);
      }
    });

    it('nothing found: exit 1 and a line saying what was looked for', async () => {
      const cases: [string[], RegExp][] = [
        [['--msg-id', '01ARZ3NDEKTSV4RRFFQ69G5FAV'], /^no message 01ARZ3NDEKTSV4RRFFQ69G5FAV\n$/],
        [['--bill', '44060126-9999999999'], /^no bill 44060126-9999999999\n$/],
      ];
      const runs = await Promise.all(cases.map(([args]) => cli('trace', ...args)));
      for (const [i, [args, err]] of cases.entries()) {
        const r = runs[i];
        assert.equal(r.code, 1, args.join(' '));
        assert.equal(r.stdout, '');
        assert.match(r.stderr, err);
      }
    });

    it('invalid arguments: exit 2 with what is accepted (each value rule: on-call-args.test.ts)', async () => {
      const cases: [string[], RegExp][] = [
        [['--bill', '44060126/0000000001'], /not a bill number: <billBatchCode>-<billNo>/],
        [['--bogus'], /unknown option '--bogus'/],
      ];
      const runs = await Promise.all(cases.map(([args]) => cli('trace', ...args)));
      for (const [i, [args, err]] of cases.entries()) {
        const r = runs[i];
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, err);
      }
    });
  });

  describe('replay', () => {
    it('invalid filter values exit 2 and replay nothing (each value rule: on-call-args.test.ts)', async () => {
      const before = (await msgs()).length;
      const cases: [string[], RegExp][] = [
        [[], /say which messages/],
        [['--status', 'failed', '--code', 'E3009'], /unknown result code E3009 \(codes: E0001, .*E9999\)/],
        [['--from', '2026-11-25 10:00', '--to', '2026-11-25 09:00'], /--from 2026-11-25 10:00:00.000 \+08:00 is after --to 2026-11-25 09:00:00.000 \+08:00/],
      ];
      const runs = await Promise.all(cases.map(([args]) => cli('replay', ...args)));
      for (const [i, [args, err]] of cases.entries()) {
        const r = runs[i];
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, err, args.join(' '));
      }
      assert.equal((await msgs()).length, before);
    });

    it('--dry-run: --status failed takes faults only and says which refusals it left out; --status rejected takes refusals; nothing matched is exit 1 (each filter: on-call-args.test.ts)', async () => {
      const ca = await one('CLI-CA');
      const before = await msgs();
      const ok = await one('CLI-OK');
      // Dry runs change nothing (asserted below), so the three run side by side.
      const [dflt, rejected, none] = await Promise.all([
        cli('replay', '--status', 'failed', '--dry-run'),
        cli('replay', '--status', 'failed,rejected', '--dry-run'),
        cli('replay', '--code', 'e2003', '--id', ok.id, '01ARZ3NDEKTSV4RRFFQ69G5FAV', '--dry-run'),
      ]);
      assert.equal(dflt.code, 0, dflt.stderr);
      assert.match(dflt.stdout, /^1 message\(s\) selected; dry run: nothing is replayed \(a replay would run through the server at http:\/\/127\.0\.0\.1:\d+ \(its definitions are the files'\)\)\n/);
      assert.match(dflt.stdout, /left out 1 data refusal\(s\) \(E1002 ×1\): they replay to the same answer; add --refusals or --code to replay them/);
      assert.match(dflt.stdout, new RegExp(`\\[1/1\\] ${ca.id} ${BEIJING.source} his-json/invoiceEBillOutpatient busNo=CLI-CA failed E3001 → would replay`));
      assert.match(dflt.stdout, /summary: 1 selected, 1 would be replayed\n$/);
      assert.match(rejected.stdout, /^3 message\(s\) selected/);
      assert.match(rejected.stdout, /busNo=- rejected E0001 → would replay/);
      assert.equal(none.code, 1);
      assert.equal(none.stdout.split('\n').slice(1).join('\n'), `  not found: 01ARZ3NDEKTSV4RRFFQ69G5FAV\n  left out by the other options: ${ok.id} (done)\nnothing to replay\n`);
      assert.match(none.stdout, /^0 message\(s\) selected/);
      assert.deepEqual(await msgs(), before, 'a dry run changes nothing');
    });

    it('a fault replayed while the CA is still down: [1/1] progress, still failing in the summary, exit 1; the original leaves the failed pool', async () => {
      const a = await one('CLI-CA');
      const r = await cli('replay', '--status', 'failed');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const bId = new RegExp(`\\[1/1\\] ${a.id} → E3001 签名服务暂不可用[^\\n]* \\(replayed as ([0-9A-Z]{26})\\)\\n`).exec(r.stdout)?.[1];
      assert.ok(bId, r.stdout);
      assert.match(r.stdout, /summary: 1 selected, 1 replayed: 0 succeeded, 1 still failing \(E3001 ×1\)\n$/);
      const [aNow, b] = [await app.services.messages.get(a.id), await app.services.messages.get(bId)];
      assert.equal(aNow!.status, 'replayed');
      assert.equal(aNow!.replayed_by, bId);
      assert.equal(aNow!.error_code, 'E3001', 'what the original came to stays readable');
      assert.equal(b!.replay_of, a.id);
      assert.equal(b!.status, 'failed');
      const pool = (await msgs({ status: ['failed'] })).filter((m) => m.bus_no === 'CLI-CA');
      assert.deepEqual(pool.map((m) => m.id), [bId], 'one request, one entry in the failed pool');
    });

    it('the CA is back: the replay of the replay succeeds (exit 0), trace shows the chain and one bill', async () => {
      ca.down = false;
      const [a, b] = await msgs({ busNo: 'CLI-CA' });
      const r = await cli('replay', '--status', 'failed');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const cId = new RegExp(`\\[1/1\\] ${b.id} → S0000 \\(replayed as ([0-9A-Z]{26})\\)`).exec(r.stdout)?.[1];
      assert.ok(cId, r.stdout);
      assert.match(r.stdout, /summary: 1 selected, 1 replayed: 1 succeeded, 0 still failing\n$/);
      const t = await cli('trace', '--msg-id', a.id);
      assert.equal(t.code, 0);
      assert.match(t.stdout, new RegExp(`replay chain: ${a.id} \\(E3001\\) → ${b.id} \\(E3001\\) → ${cId} \\(S0000\\)`));
      assert.match(t.stdout, new RegExp(`${b.id}  his-json/invoiceEBillOutpatient  replayed E3001  flow [^\\n]*replay of ${a.id}  replayed by ${cId}`));
      const bills = (await app.services.db('bills').where({ bus_no: 'CLI-CA' })) as { state: string }[];
      assert.deepEqual(bills.map((x) => x.state), ['issued'], 'the number reserved for the first attempt, issued once');
      assert.equal((t.stdout.match(/^bill /gm) ?? []).length, 1);
      const busNo = await cli('replay', '--bus-no', 'CLI-CA', '--dry-run');
      assert.match(busNo.stdout, /left out 2 message\(s\) already replayed \(trace shows their replays\): add --again to replay them anyway/);
      assert.match(busNo.stdout, new RegExp(`\\[1/1\\] ${cId} .* done → would replay`));
    });

    it('an id that was replayed already is skipped with where its chain ends (exit 1); --again replays it', async () => {
      const [a, , c] = await msgs({ busNo: 'CLI-CA' });
      const skipped = await cli('replay', '--id', a.id);
      assert.equal(skipped.code, 1);
      assert.match(skipped.stdout, new RegExp(`\\[1/1\\] ${a.id} → skipped: already replayed as [0-9A-Z]{26}, latest ${c.id} \\(S0000\\); replay that one, or pass --again`));
      assert.match(skipped.stdout, /summary: 1 selected, 0 replayed: 0 succeeded, 0 still failing; 1 skipped \(already replayed ×1\)/);
      const again = await cli('replay', '--id', a.id, '--again');
      assert.equal(again.code, 0, again.stdout);
      assert.match(again.stdout, new RegExp(`\\[1/1\\] ${a.id} → S0000 \\(replayed as`));
      assert.equal((await app.services.db('bills').where({ bus_no: 'CLI-CA' })).length, 1);
    });

    it('--bus-no replays a done message through the server: S0000, linked, the same bill', async () => {
      const original = await one('CLI-OK');
      const r = await cli('replay', '--bus-no', 'CLI-OK', '--url', app.baseUrl);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`\\[1/1\\] ${original.id} → S0000`));
      const all = await msgs({ busNo: 'CLI-OK' });
      assert.equal(all.length, 2);
      assert.equal(all[1].replay_of, original.id);
      assert.equal(all[0].status, 'replayed');
      assert.equal((await app.services.db('bills').where({ bus_no: 'CLI-OK' })).length, 1, 'a replay of an issued settlement returns the same bill');
    });

    it('a refusal replays to the same refusal: exit 1; by time range (Beijing time) it is found again', async () => {
      const sign = (await msgs({ status: ['rejected'] }))[0];
      const byId = await cli('replay', '--id', sign.id);
      assert.equal(byId.code, 1);
      assert.match(byId.stdout, new RegExp(`\\[1/1\\] ${sign.id} → E0001 签名验证失败`));
      assert.match(byId.stdout, /1 still failing \(E0001 ×1\)/);
      const from = beijingDisplay(sign.received_at - 1).replace(' +08:00', '');
      const to = beijingDisplay(sign.received_at + 1).replace(' +08:00', '');
      const range = await cli('replay', '--from', from, '--to', to, '--again', '--refusals', '--dry-run');
      assert.equal(range.code, 0, range.stdout + range.stderr);
      assert.match(range.stdout, new RegExp(`^1 message\\(s\\) selected[^\\n]*\\n\\[1/1\\] ${sign.id} `));
    });

    it('trace --bill of a number voided by recovery finds the busNo it was reserved for (kept in the void reason)', async () => {
      ca.down = true;
      assert.equal((await callJson(app.baseUrl, 'invoiceEBillOutpatient', { ...sample, busNo: 'CLI-VOID' })).result, 'E3001');
      await app.services.writer.drain();
      const reserved = (await app.services.bills.byBusNo('MEDBILL-DEMO', 'CLI-VOID'))!;
      await app.services.bills.voidReservation(reserved.id, '签名失败且未重试，号码作废');
      const m = await one('CLI-VOID');
      const r = await cli('trace', '--bill', `${reserved.bill_batch_code}-${reserved.bill_no}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^${BEIJING.source}  ${m.id}  his-json/invoiceEBillOutpatient  failed E3001`));
      assert.match(r.stdout, new RegExp(`\nbill ${reserved.bill_batch_code}-${reserved.bill_no} \\(blue\\) voided  reserved ${BEIJING.source}  message ${m.id}  answered E3001 at ${BEIJING.source} — 签名失败且未重试，号码作废（原业务流水号 CLI-VOID）\n`));
    });

    it('a server that is not there: --url says so and replays nothing (exit 1)', async () => {
      const r = await cli('replay', '--bus-no', 'CLI-BAD', '--refusals', '--url', 'http://127.0.0.1:9');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^no medbill answers at http:\/\/127\.0\.0\.1:9: start it, or replay with --local/);
      assert.equal(r.stdout, '');
    });
  });
});
