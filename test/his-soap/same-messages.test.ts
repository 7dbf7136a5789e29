/**
 * A HIS sees the same Chinese message whichever channel it uses: each refusal below is sent over the
 * JSON channel, the SOAP envelope operation and (for business fields) the typed SOAP operation, and the
 * three answers carry the same code and the same text, in Chinese, without a stack frame, a path or
 * the text of the exception behind it. The signer (the CA, outside the hospital) is replaced by one that
 * throws an exception full of internals, and the SOAP endpoint is also driven with a handler that
 * crashes: the fault says the E9999 text the JSON channel says, and nothing else.
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import path from 'node:path';
import { createJsonChannel } from '../../adapters/his/json/channel';
import { md5Sign } from '../../adapters/his/json/envelope';
import { SoapEndpoint } from '../../adapters/his/soap/channel';
import { parseXml } from '../../adapters/his/soap/soap-xml';
import { PROJECT_ROOT } from '../../src/config';
import { loadCatalogue } from '../../src/engine/catalogue';
import { hisError } from '../../src/engine/errors';
import type { Signer } from '../../src/engine/signer';
import { callJson, DEMO_APPID, DEMO_KEY, decodeReply, envelope, startTestApp, TestApp } from '../helpers/app';
import { envelopeCall, fault, kid, post, sample, typedCall, uniqueBusNo, wrap } from './soap-helpers';

const CJK = /[\u4e00-\u9fff]/;
const SECRET = 'kaboom-7f3a';
const LEAK = new RegExp(`${SECRET}|\\bat \\S+ \\(|/work/|node:internal|\\.js:\\d+`);

/** A CA whose client library fails with everything a stack trace would show. */
const explodingSigner: Signer = {
  name: 'exploding (stand-in for a broken CA client)',
  async signDetached() {
    const e = new Error(`${SECRET} at Object.<anonymous> (/work/secret/ca-client.js:12:5)`);
    e.stack = `Error: ${SECRET}\n    at sign (/work/secret/ca-client.js:12:5)\n    at node:internal/process/task_queues:95:5`;
    throw e;
  },
  async close() {},
};

type Channel = 'JSON' | 'SOAP envelope' | 'SOAP typed';
interface Seen {
  result: string;
  message: string;
}

describe('his-soap: the same Chinese messages as the JSON channel, never a stack trace', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ signer: explodingSigner });
  });
  after(async () => app?.stop());

  async function viaJson(data: unknown, o: { appid?: string; key?: string; raw?: string } = {}): Promise<Seen> {
    const r = await callJson(app.baseUrl, 'invoiceEBillOutpatient', data, { appid: o.appid, key: o.key, body: o.raw });
    return { result: r.result, message: r.text };
  }
  async function viaEnvelope(data: unknown, o: { appid?: string; key?: string; raw?: string } = {}): Promise<Seen> {
    let xml = envelopeCall('invoiceEBillOutpatient', data, { appid: o.appid, key: o.key });
    if (o.raw) {
      const env = JSON.parse(o.raw) as Record<string, string>;
      xml = wrap(`<t:invoiceEBillOutpatient>${Object.entries(env).map(([k, v]) => `<t:${k}>${v}</t:${k}>`).join('')}</t:invoiceEBillOutpatient>`);
    }
    const a = await post(app.baseUrl, xml);
    const r = decodeReply(a.status, { data: kid(a.body, 'data').text, noise: kid(a.body, 'noise').text, sign: kid(a.body, 'sign').text }, o.appid ?? DEMO_APPID, o.key ?? DEMO_KEY);
    return { result: r.result, message: r.text };
  }
  async function viaTyped(data: Record<string, unknown>): Promise<Seen> {
    const a = await post(app.baseUrl, typedCall(data));
    const res = kid(a.body, 'response');
    return { result: kid(res, 'result').text, message: kid(res, 'message').text };
  }

  const undecodable = () => {
    const e = envelope('x');
    const data = '%%%not-base64%%%';
    return JSON.stringify({ ...e, data, sign: md5Sign(e.appid, data, e.noise, DEMO_KEY) });
  };
  const cases: { name: string; code: string; data: () => Record<string, unknown>; o?: () => { appid?: string; key?: string; raw?: string }; typed: boolean }[] = [
    { name: 'required field missing', code: 'E1001', typed: true, data: () => ({ ...sample(uniqueBusNo('SM')), payer: undefined }) },
    { name: 'three decimals in an amount', code: 'E1001', typed: true, data: () => ({ ...sample(uniqueBusNo('SM')), totalAmt: '236.505' }) },
    { name: 'amounts that do not add up', code: 'E1002', typed: true, data: () => ({ ...sample(uniqueBusNo('SM')), totalAmt: '236.60' }) },
    { name: 'no stock at the place', code: 'E2003', typed: true, data: () => ({ ...sample(uniqueBusNo('SM')), placeCode: 'NOSUCHPLACE' }) },
    { name: 'the CA client throws (E3001/E9999 class fault)', code: '', typed: true, data: () => sample(uniqueBusNo('SM')) },
    { name: 'wrong key (sign)', code: 'E0001', typed: false, data: () => sample(uniqueBusNo('SM')), o: () => ({ key: 'wrong-key' }) },
    { name: 'unknown appid', code: 'E0002', typed: false, data: () => sample(uniqueBusNo('SM')), o: () => ({ appid: 'NOBODY' }) },
    { name: 'data not Base64', code: 'E0005', typed: false, data: () => ({}), o: () => ({ raw: undecodable() }) },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.code || 'a fault code'} with one Chinese text over JSON, SOAP envelope${c.typed ? ' and SOAP typed' : ''}`, async () => {
      const seen: [Channel, Seen][] = [
        ['JSON', await viaJson(c.data(), c.o?.())],
        ['SOAP envelope', await viaEnvelope(c.data(), c.o?.())],
      ];
      if (c.typed) seen.push(['SOAP typed', await viaTyped(JSON.parse(JSON.stringify(c.data())) as Record<string, unknown>)]);
      const [first] = seen;
      if (c.code) assert.equal(first[1].result, c.code, first[1].message);
      else assert.notEqual(first[1].result, 'S0000');
      assert.match(first[1].message, CJK);
      // Messages may name the busNo, which differs per call: compare with it blanked out.
      const norm = (s: Seen) => ({ result: s.result, message: s.message.replace(/SM[0-9a-z]+/g, '<busNo>') });
      for (const [channel, s] of seen) {
        assert.deepEqual(norm(s), norm(first[1]), `${channel} differs from JSON`);
        assert.doesNotMatch(s.message, LEAK, `${channel} leaks internals: ${s.message}`);
      }
    });
  }

  it('a crash inside the handler: SOAP 1.1 and 1.2 faults and the JSON channel all say the E9999 text, nothing of the exception', async () => {
    const catalogue = loadCatalogue(path.join(PROJECT_ROOT, 'config', 'catalogue'));
    const callers = new Map(app.config.callers.map((k) => [k.appid, k]));
    const crash = async (): Promise<never> => {
      throw new Error(`${SECRET} at run (/work/secret/flow.js:1:1)`);
    };
    const ep = new SoapEndpoint({ config: app.config, catalogue, callers, handle: crash });
    const internal = hisError('E9999', 'internal', {}).message;
    for (const version of ['1.1', '1.2'] as const) {
      const r = await ep.process(Buffer.from(envelopeCall('testServerConnect', { testValue: 'x' }, { version })), {
        contentType: version === '1.2' ? 'application/soap+xml' : 'text/xml',
      });
      assert.equal(r.status, 500);
      assert.doesNotMatch(r.body, LEAK);
      const f = fault({ status: r.status, contentType: r.contentType, text: r.body, ...parse(r.body) });
      assert.equal(f.reason, internal);
      assert.equal(f.result, 'E9999');
    }
    const json = createJsonChannel({ servicePath: 'medical-web', bodyLimitBytes: 1 << 20, callers, handle: crash });
    const server = http.createServer(json.handler);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await callJson(`http://127.0.0.1:${port}`, 'testServerConnect', { testValue: 'x' });
      assert.equal(r.result, 'E9999');
      assert.equal(r.text, internal);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});

function parse(text: string) {
  const root = parseXml(text);
  return { root, ns: root.ns, body: root.children.find((c) => c.local === 'Body')!.children[0] };
}
