/**
 * The conformance suite: every test/conformance/<serviceId>.yaml (format: test/conformance/README.md) run
 * against a live medbill on a real socket, over the JSON channel AND the SOAP envelope operation, so
 * both channels answer each input alike. Beside the files' own cases, each service gets generated
 * "required field missing" cases (a sample of its required top-level fields; MEDBILL_CONFORMANCE_ALL=1
 * runs them all). Services without a file, and files whose fixtures need services not on this
 * branch, are listed as pending so the gaps stay visible (MEDBILL_CONFORMANCE_STRICT=1 makes a missing
 * file a failure).
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { Catalogue, JsonSchema, loadCatalogue } from '../../src/engine/catalogue';
import { callJson, decodeReply, Reply, startTestApp, TestApp } from '../helpers/app';
import { envelopeCall, kid, post } from '../his-soap/soap-helpers';
import { uniqueBusNo } from '../his/his-helpers';
import { sample } from '../his-soap/soap-helpers';
import { Answer, caseValues, ConformanceFile, FixtureName, judge, readConformanceFile, requestOf, resolve, stamp17, Values } from './conformance';

const DIR = path.join(PROJECT_ROOT, 'test', 'conformance');
const catalogue: Catalogue = loadCatalogue(path.join(PROJECT_ROOT, 'config', 'catalogue'));

/** Services each fixture calls to come about (beyond invoiceEBillOutpatient, which every one uses). */
const FIXTURE_NEEDS: Record<FixtureName, string[]> = {
  bill: ['invoiceEBillOutpatient'],
  paperBill: ['invoiceEBillOutpatient', 'getPaperBillNo', 'turnPaper'],
  batch: ['batchInvoiceEBillOutpatient'],
  redBill: ['invoiceEBillOutpatient', 'writeOffEBill'],
};

type Channel = 'JSON' | 'SOAP';

function answerOf(r: Reply): Answer {
  return { result: r.result, message: r.body ?? r.text };
}

async function call(app: TestApp, channel: Channel, serviceId: string, data: Values): Promise<Answer> {
  if (channel === 'JSON') return answerOf(await callJson(app.baseUrl, serviceId, data));
  const a = await post(app.baseUrl, envelopeCall(serviceId, data));
  assert.equal(a.body.local, `${serviceId}Response`, `SOAP answer is not ${serviceId}Response: ${a.text.slice(0, 400)}`);
  assert.equal(a.status, 200);
  return answerOf(decodeReply(a.status, { data: kid(a.body, 'data').text, noise: kid(a.body, 'noise').text, sign: kid(a.body, 'sign').text }));
}

async function ok(app: TestApp, serviceId: string, data: Values, what: string): Promise<Values> {
  const a = await call(app, 'JSON', serviceId, data);
  assert.equal(a.result, 'S0000', `fixture ${what}: ${serviceId} answered ${a.result} ${JSON.stringify(a.message).slice(0, 300)}`);
  return typeof a.message === 'object' && a.message ? (a.message as Values) : { text: a.message };
}

/** An outpatient bill issued just now, by the sample settlement with a fresh busNo. */
async function billFixture(app: TestApp): Promise<Values> {
  const s = sample(uniqueBusNo('CF')) as Values;
  const r = await ok(app, 'invoiceEBillOutpatient', s, 'bill');
  return { billBatchCode: r.billBatchCode, billNo: r.billNo, random: r.random, createTime: r.createTime, busNo: s.busNo, busDateTime: s.busDateTime, placeCode: s.placeCode };
}

const FIXTURE_MAKERS: Record<FixtureName, (app: TestApp) => Promise<Values>> = {
  bill: billFixture,
  async paperBill(app) {
    const bill = await billFixture(app);
    const next = await ok(app, 'getPaperBillNo', { placeCode: bill.placeCode }, 'paperBill');
    const paper = { pBillBatchCode: next.pBillBatchCode, pBillNo: next.pBillNo };
    await ok(app, 'turnPaper', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, ...paper, busDateTime: stamp17(), placeCode: bill.placeCode, operator: '一致性测试' }, 'paperBill');
    return { ...bill, ...paper };
  },
  async batch(app) {
    const busNos = [uniqueBusNo('CFB'), uniqueBusNo('CFB')];
    const batchNo = uniqueBusNo('CFBATCH');
    await ok(app, 'batchInvoiceEBillOutpatient', { batchNo, eBillList: busNos.map((b) => sample(b)) }, 'batch');
    return { batchNo, busNos };
  },
  async redBill(app) {
    const bill = await billFixture(app);
    const red = await ok(app, 'writeOffEBill', { billBatchCode: bill.billBatchCode, billNo: bill.billNo, reason: '一致性测试冲红', operator: '一致性测试', busDateTime: stamp17(), placeCode: bill.placeCode }, 'redBill');
    return { ...bill, ...red };
  },
};

async function fixtures(app: TestApp, needs: FixtureName[]): Promise<Partial<Record<FixtureName, Values>>> {
  const out: Partial<Record<FixtureName, Values>> = {};
  for (const n of needs) out[n] = await FIXTURE_MAKERS[n](app);
  return out;
}

/** Field key → catalogue title, at every depth of the request (a message may name either). */
function titlesOf(schema: JsonSchema, out = new Map<string, string>()): Map<string, string> {
  const s = catalogue.resolve(schema);
  for (const [k, raw] of Object.entries((s.properties as Record<string, JsonSchema>) ?? {})) {
    const p = catalogue.resolve(raw);
    if (typeof p.title === 'string' && !out.has(k)) out.set(k, p.title);
    if (p.type === 'array' && p.items) titlesOf(p.items as JsonSchema, out);
    if (p.properties) titlesOf(p, out);
  }
  return out;
}

/** A few required top-level fields, the same on every run (all of them with MEDBILL_CONFORMANCE_ALL=1). */
export function sampleRequired(serviceId: string, required: string[], n = 3): string[] {
  if (process.env.MEDBILL_CONFORMANCE_ALL === '1' || required.length <= n) return required;
  const rank = (f: string) => createHash('sha256').update(`${serviceId}/${f}`).digest('hex');
  return [...required].sort((a, b) => (rank(a) < rank(b) ? -1 : 1)).slice(0, n);
}

const files = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort() : [];
const covered = new Set(files.map((f) => f.replace(/\.yaml$/, '')));

describe('conformance: every catalogue service over JSON and SOAP (test/conformance/*.yaml)', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => app?.stop());

  for (const name of files) {
    const service = name.replace(/\.yaml$/, '');
    const read = readConformanceFile(path.join(DIR, name), service);
    describe(service, () => {
      if (!read.ok) {
        it(`${name} follows the conformance format`, () => assert.fail(read.problems.join('\n')));
        return;
      }
      const cf: ConformanceFile = read.value;
      const entry = catalogue.services.get(service);
      if (!entry) return void it(`pending: ${service} is not in config/catalogue on this branch`);
      const missing = cf.needs.flatMap((f) => FIXTURE_NEEDS[f].filter((s) => !catalogue.services.has(s)).map((s) => `${f} needs ${s}`));
      if (missing.length) return void it(`pending: fixtures not available on this branch (${[...new Set(missing)].join('; ')})`);
      const titles = titlesOf(entry.request);

      for (const channel of ['JSON', 'SOAP'] as const) {
        for (const c of [cf.happy, ...cf.bad]) {
          it(`${channel}: ${c === cf.happy ? 'happy path' : c.name} → ${c.expect.code}${c.expect.field ? ` naming ${c.expect.field}` : ''}`, async () => {
            const values = caseValues(await fixtures(app, cf.needs));
            const a = await call(app, channel, service, requestOf(c, cf.happy, values));
            const wrong = judge(a, { ...c.expect, message: resolve(c.expect.message, values) }, titles);
            assert.deepEqual(wrong, [], `${name} ${c.name} over ${channel}:\n  ${wrong.join('\n  ')}`);
          });
        }
      }

      const required = (catalogue.resolve(entry.request).required as string[] | undefined) ?? [];
      const picked = sampleRequired(service, required);
      if (picked.length)
        it(`generated: required field missing (${picked.join(', ')} of ${required.length}) → E1001 naming it, JSON and SOAP`, async () => {
          const values = caseValues(await fixtures(app, cf.needs));
          const happy = requestOf(cf.happy, cf.happy, values);
          const wrong: string[] = [];
          for (const f of picked) {
            const data = { ...happy };
            delete data[f];
            for (const channel of ['JSON', 'SOAP'] as const) {
              const w = judge(await call(app, channel, service, data), { code: 'E1001', field: f }, titles);
              wrong.push(...w.map((x) => `${channel} without ${f}: ${x}`));
            }
          }
          assert.deepEqual(wrong, []);
        });
    });
  }

  describe('coverage: every catalogue service has a conformance file', () => {
    const services = [...catalogue.services.keys()].sort();
    const without = services.filter((s) => !covered.has(s));
    it(`${services.length - without.length} of ${services.length} services have test/conformance/<serviceId>.yaml`, () => {
      assert.ok(services.length - without.length > 0);
      if (process.env.MEDBILL_CONFORMANCE_STRICT === '1') assert.deepEqual(without, [], 'services without a conformance file');
    });
    for (const s of without) it(`pending: ${s} has no test/conformance/${s}.yaml yet`);
  });
});
