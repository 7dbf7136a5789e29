/**
 * Unknown serviceIds never become Prometheus label values (docs/architecture.md#invariants, 9: a request without a valid
 * signature costs almost nothing). Before the fix, 20,000 random ids made /metrics 25 MB and the
 * process 330 MB larger. Every path is tried over real HTTP: the JSON channel with a signed envelope,
 * without one, and the SOAP channel with unknown operations; the step histogram is checked too.
 */
import { strict as assert } from 'node:assert';
import { HIS_CODES } from '../../src/engine/codes';
import http from 'node:http';
import { callJson, envelope, startTestApp, TestApp } from '../helpers/app';
import { wrap } from '../his-soap/soap-helpers';
import { pooled, request } from './helpers';

/** Label values of `metric` for `label`, from the Prometheus text. */
function labelValues(text: string, metric: string, label: string): Set<string> {
  const out = new Set<string>();
  const re = new RegExp(`^${metric}(?:_bucket|_sum|_count)?\\{([^}]*)\\}`, 'gm');
  for (const m of text.matchAll(re)) {
    const v = new RegExp(`(?:^|,)${label}="((?:[^"\\\\]|\\\\.)*)"`).exec(m[1]);
    if (v) out.add(v[1]);
  }
  return out;
}

describe('metrics labels stay bounded under random serviceIds', function () {
  this.timeout(180_000);
  let app: TestApp;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    agent.destroy();
    await app.stop();
  });

  it('20,000 random serviceIds (JSON signed, JSON garbage, SOAP unknown operations) leave /metrics small and its labels those of the flows', async () => {
    // One real call, so the step histogram has series to check.
    assert.equal((await callJson(app.baseUrl, 'testServerConnect', { testValue: 'x' })).result, 'S0000');
    const before = (await request(`${app.baseUrl}/metrics`)).text;
    const random = (i: number) => `svc${i}x${Math.random().toString(36).slice(2, 10)}`;
    const signed = JSON.stringify(envelope({ busNo: 'X' }));
    await pooled(20_000, 32, async (i) => {
      const id = random(i);
      if (i % 10 === 9) {
        // SOAP: an unknown operation element is a fault, stored, counted under '(unknown)'.
        const r = await request(`${app.baseUrl}/medical-web/ws/EBillService`, { body: wrap(`<t:${id}/>`), headers: { 'content-type': 'text/xml; charset=utf-8' }, agent });
        assert.equal(r.status, 500);
        return;
      }
      const r = await request(`${app.baseUrl}/medical-web/api/medical/${id}`, { body: i % 2 ? signed : `{"appid":"${id}"}`, agent });
      assert.equal(r.status, 200);
    });
    const text = (await request(`${app.baseUrl}/metrics`)).text;
    assert.doesNotMatch(text, /svc\d+x/, 'no random id in /metrics');

    const services = new Set(app.flows.map((f) => f.trigger.service).filter((s): s is string => Boolean(s)));
    services.add('(unknown)');
    // an older serviceId routed to another's flow (catalogue aliasOf, e.g. printPaper) counts under its own name
    for (const e of app.services.catalogue.services.values()) if (e.aliasOf) services.add(e.service);
    for (const metric of ['medbill_messages_total', 'medbill_flow_duration_seconds']) {
      const seen = labelValues(text, metric, 'service');
      assert.ok(seen.has('(unknown)'), `${metric} counts the unknown ones under (unknown)`);
      for (const s of seen) assert.ok(services.has(s), `${metric} has service="${s}", not a flow's serviceId`);
    }
    const steps = new Set(app.flows.flatMap((f) => f.steps.map((s) => `${f.name}/${s.id}`)));
    const stepLabels = [...text.matchAll(/^medbill_step_duration_seconds_count\{([^}]*)\}/gm)].map((m) => {
      const flow = /flow="([^"]*)"/.exec(m[1])?.[1];
      const step = /step="([^"]*)"/.exec(m[1])?.[1];
      return `${flow}/${step}`;
    });
    assert.ok(stepLabels.length > 0, 'the step histogram has series');
    for (const s of stepLabels) assert.ok(steps.has(s), `step histogram label ${s} is a flow's step`);
    const results = labelValues(text, 'medbill_messages_total', 'result');
    const unknown = [...results].filter((c) => !(c in HIS_CODES));
    assert.deepEqual(unknown, [], `result labels come from the code table: ${[...results].join(',')}`);
    assert.ok(text.length < before.length + 16 * 1024, `/metrics grew from ${before.length} to ${text.length} bytes`);
    // The growth above is the bound that matters; this one only catches a runaway. The registry is
    // the process's, so in a whole `npm test` it also holds the series every earlier suite made
    // (65 services × result codes × step histograms: ~450 KB).
    assert.ok(text.length < 1024 * 1024, `/metrics is ${text.length} bytes`);
  });
});
