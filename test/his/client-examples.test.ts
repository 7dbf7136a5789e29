/**
 * The HIS programmer's client examples (examples/clients/: Java with the JDK only, Python with the
 * standard library only) run against a live medbill on a real socket: each connects, issues an
 * outpatient bill and writes it off. writeOffEBill is asserted to succeed once the catalogue has it;
 * until then the example must get E0004 with a Chinese message (and exit 1). Skipped where java or
 * python3 is missing, except in CI.
 */
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/config';
import { loadCatalogue } from '../../src/engine/catalogue';
import { DEMO_APPID, DEMO_KEY, startTestApp, TestApp } from '../helpers/app';
import { allBills } from './his-helpers';

const run = promisify(execFile);
const DIR = path.join(PROJECT_ROOT, 'examples', 'clients');

function have(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('his: client examples (examples/clients) against a live server', function () {
  this.timeout(120_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  const clients: [string, string, string[], string][] = [
    ['Java (JDK only)', 'java', [path.join(DIR, 'Client.java')], 'JAVA'],
    ['Python (stdlib only)', 'python3', [path.join(DIR, 'client.py')], 'PY'],
  ];
  for (const [label, cmd, args, prefix] of clients) {
    it(`${label}: testServerConnect, invoiceEBillOutpatient, writeOffEBill`, async function () {
      if (!have(cmd, cmd === 'java' ? ['-version'] : ['--version'])) {
        if (process.env.CI) assert.fail(`${cmd} is not installed (.ci/run installs it)`);
        this.skip();
      }
      const writeOff = loadCatalogue(path.join(PROJECT_ROOT, 'config', 'catalogue')).services.has('writeOffEBill');
      let out = '';
      let code = 0;
      try {
        out = (await run(cmd, [...args, app.baseUrl, DEMO_APPID, DEMO_KEY], { env: { ...process.env, PYTHONIOENCODING: 'utf-8' } })).stdout;
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string; code?: number };
        out = err.stdout ?? '';
        code = err.code ?? -1;
        if (!out) assert.fail(`${cmd} failed without output: ${err.stderr}`);
      }
      const lines = Object.fromEntries(out.trim().split('\n').map((l) => [l.split(' ')[0], l.split(' ').slice(1)]));
      assert.deepEqual(lines.testServerConnect, ['S0000', '连接成功']);
      assert.equal(lines.invoiceEBillOutpatient?.[0], 'S0000', out);
      const issued = JSON.parse(lines.invoiceEBillOutpatient.slice(1).join(' ')) as { billNo: string };
      const bills = await allBills(app);
      const bill = bills.find((b) => b.bill_no === issued.billNo);
      assert.ok(bill?.bus_no?.startsWith(prefix), `the bill ${issued.billNo} was issued for the example's busNo`);
      if (writeOff) {
        assert.equal(lines.writeOffEBill?.[0], 'S0000', out);
        assert.equal(code, 0);
        assert.ok(bills.some((b) => b.kind === 'red'), 'a red bill exists');
      } else {
        assert.equal(lines.writeOffEBill?.[0], 'E0004', out);
        assert.match(lines.writeOffEBill.slice(1).join(' '), /服务 writeOffEBill 不存在/);
        assert.equal(code, 1, 'the example exits 1 when a call fails');
      }
    });
  }
});
