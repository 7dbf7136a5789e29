/** docs/guides/his-soap.md must not lie: its example request works and its worked digest is right. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { passwordDigest } from '../../adapters/his/soap/wssec';
import { PROJECT_ROOT } from '../../src/config';
import { decodeReply, DEMO_KEY, startTestApp, TestApp } from '../helpers/app';
import { post } from './soap-helpers';

const GUIDE = readFileSync(path.join(PROJECT_ROOT, 'docs', 'guides', 'his-soap.md'), 'utf8');
const xmlBlocks = [...GUIDE.matchAll(/```xml\n([\s\S]*?)```/g)].map((m) => m[1]);

describe('his-soap: the HIS programmer guide', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app?.stop());

  it('the envelope example request is accepted as written (S0000, signed answer)', async () => {
    const example = xmlBlocks.find((b) => b.includes('<eb:testServerConnect>'));
    assert.ok(example, 'the guide has a testServerConnect example');
    const a = await post(app.baseUrl, example);
    const get = (n: string) => a.body.children.find((c) => c.local === n)?.text;
    const r = decodeReply(a.status, { data: get('data'), noise: get('noise'), sign: get('sign') });
    assert.equal(r.result, 'S0000', r.text);
    assert.equal(r.text, '连接成功');
    assert.ok(r.signOk);
  });

  it('the worked PasswordDigest and the typed example header agree with the formula', () => {
    const m = /Nonce\s+`([^`]+)`,\s*Created\s+`([^`]+)`,\s*key\s+`([^`]+)`\s*→\s*`([^`]+)`/.exec(GUIDE);
    assert.ok(m, 'worked digest present');
    assert.equal(m[3], DEMO_KEY);
    assert.equal(passwordDigest(m[1], m[2], m[3]), m[4]);
    const typed = xmlBlocks.find((b) => b.includes('<eb:invoiceEBillOutpatientTyped>'))!;
    assert.ok(typed.includes(`>${m[4]}</wsse:Password>`) && typed.includes(`<wsse:Nonce>${m[1]}</wsse:Nonce>`) && typed.includes(`<wsu:Created>${m[2]}</wsu:Created>`));
  });
});
