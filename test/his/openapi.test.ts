/**
 * The OpenAPI 3.1 description of the JSON channel: generated from the catalogue and the code table,
 * committed (and current), valid by @seriousme/openapi-schema-validator (an independent validator of
 * the OpenAPI 3.1 schema), served by the running server with its own URL, and true to what the server
 * accepts: the sample settlement validates against the published request schema, a broken one does not.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020';
import { generateOpenApi, openApiText } from '../../adapters/his/json/openapi';
import { PROJECT_ROOT } from '../../src/config';
import { loadCatalogue } from '../../src/engine/catalogue';
import { HIS_CODES } from '../../src/engine/codes';
import { startTestApp, TestApp } from '../helpers/app';
import { sample } from './his-helpers';

const catalogue = loadCatalogue(path.join(PROJECT_ROOT, 'config', 'catalogue'));
type Doc = { paths: Record<string, { post: { operationId: string } }>; components: { schemas: Record<string, Record<string, unknown>> }; servers: { url: string }[] };

describe('his: OpenAPI 3.1 of the JSON channel', function () {
  this.timeout(30_000);
  const doc = generateOpenApi(catalogue) as unknown as Doc;

  it('the committed docs/reference/openapi.json equals a fresh generation (run `medbill openapi`)', () => {
    assert.equal(readFileSync(path.join(PROJECT_ROOT, 'docs', 'reference', 'openapi.json'), 'utf8'), openApiText(catalogue), 'stale: run node bin/medbill.js openapi');
  });

  it('is a valid OpenAPI 3.1 document; a broken copy is refused (the validator is not vacuous)', async () => {
    const r = await new Validator().validate(JSON.parse(JSON.stringify(doc)));
    assert.equal(r.valid, true, JSON.stringify(r.errors, null, 1)?.slice(0, 2000));
    const broken = JSON.parse(JSON.stringify(doc)) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    broken.paths['/medical-web/api/medical/testServerConnect'].post.requestBody = { content: 'application/json' };
    assert.equal((await new Validator().validate(broken)).valid, false);
    const untitled = JSON.parse(JSON.stringify(doc)) as Record<string, Record<string, unknown>>;
    delete untitled.info.title;
    assert.equal((await new Validator().validate(untitled)).valid, false);
  });

  it('describes every service, its business request and response, and every result code with its retry advice', () => {
    const ops = Object.values(doc.paths).map((p) => p.post.operationId).sort();
    assert.deepEqual(ops, [...catalogue.services.keys()].sort());
    for (const id of catalogue.services.keys()) {
      assert.ok(doc.components.schemas[`${id}Request`], `${id}Request`);
      assert.ok(doc.components.schemas[`${id}Response`], `${id}Response`);
    }
    const codes = doc.components.schemas.ResultCode;
    assert.deepEqual(codes.enum, Object.keys(HIS_CODES));
    assert.equal((codes['x-codes'] as Record<string, { retry: string }>).E3001.retry, 'same');
  });

  it('the published request schema accepts the sample settlement and refuses what the server refuses', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ ...doc, $id: 'medbill-openapi' } as object);
    const check = ajv.compile({ $ref: 'medbill-openapi#/components/schemas/invoiceEBillOutpatientRequest' });
    assert.equal(check(sample()), true, JSON.stringify(check.errors));
    for (const [field, bad] of [['totalAmt', '236.505'], ['busDateTime', '2026-11-25'], ['payer', 'x'.repeat(101)]] as const) {
      assert.equal(check({ ...sample(), [field]: bad }), false, `${field}=${bad} should be refused`);
      assert.ok(check.errors?.some((e) => e.instancePath === `/${field}`), JSON.stringify(check.errors));
    }
    const copy = sample();
    delete copy.payer;
    assert.equal(check(copy), false);
  });

  describe('served', () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ config: { server: { publicBaseUrl: 'https://ebill.example-hospital.cn:8443/' } } });
    });
    after(async () => app?.stop());
    it('GET /medical-web/openapi.json returns the document with the public URL as its server', async () => {
      const res = await fetch(`${app.baseUrl}/medical-web/openapi.json`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const served = (await res.json()) as Doc;
      assert.deepEqual(served.servers, [{ url: 'https://ebill.example-hospital.cn:8443' }]);
      assert.deepEqual({ ...served, servers: doc.servers }, doc);
    });
  });
});
