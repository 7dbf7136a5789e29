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
import { startTestApp, TestApp } from '../helpers/app';
import { Case, caseValues, ConformanceFile, FixtureName, INHERIT, judge, needsOf, readConformanceFile, requestOf, resolve } from './conformance';
import { call, FIXTURE_NEEDS, fixtures } from './fixtures';

const DIR = path.join(PROJECT_ROOT, 'test', 'conformance');
const catalogue: Catalogue = loadCatalogue(path.join(PROJECT_ROOT, 'config', 'catalogue'));

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
      // A bad case built on the happy data (`...`) or after the happy request (`first`) needs the happy's fixtures too.
      const caseNeeds = (c: Case): FixtureName[] =>
        c !== cf.happy && (c.first || INHERIT in c.data) ? needsOf({ needs: needsOf(cf, cf.happy) }, c) : needsOf(cf, c);
      const all = [...new Set([cf.happy, ...cf.bad].flatMap(caseNeeds))];
      const missing = all.flatMap((f) => FIXTURE_NEEDS[f].filter((s) => !catalogue.services.has(s)).map((s) => `${f} needs ${s}`));
      if (missing.length) return void it(`pending: fixtures not available on this branch (${[...new Set(missing)].join('; ')})`);
      const titles = titlesOf(entry.request);

      for (const channel of ['JSON', 'SOAP'] as const) {
        for (const c of [cf.happy, ...cf.bad]) {
          it(`${channel}: ${c === cf.happy ? 'happy path' : c.name} → ${c.expect.code}${c.expect.field ? ` naming ${c.expect.field}` : ''}`, async () => {
            const values = caseValues(await fixtures(app, caseNeeds(c)));
            if (c.first) {
              const h = await call(app, channel, service, requestOf(cf.happy, cf.happy, values));
              assert.equal(h.result, 'S0000', `${name} ${c.name}: the happy request sent first answered ${h.result} ${JSON.stringify(h.message).slice(0, 300)}`);
            }
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
          const values = caseValues(await fixtures(app, caseNeeds(cf.happy)));
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
