/**
 * The HIS SOAP channel over real HTTP on 127.0.0.1: a real SOAP client (node-soap, built from the
 * WSDL we serve) issues and looks up bills; the typed variant issues a bill; SOAP 1.2 is answered in
 * 1.2; JSON and SOAP share one bill per busNo; business errors come back as non-S0000 results.
 */
import { strict as assert } from 'node:assert';
import * as soap from 'soap';
import { md5Sign } from '../../adapters/his/json/envelope';
import { callJson, DEMO_APPID, DEMO_KEY, decodeReply, envelope, Reply, startTestApp, TestApp } from '../helpers/app';
import { envelopeCall, kid, post, sample, SOAP11_NS, SOAP12_NS, soapClient, typedCall, uniqueBusNo, usernameToken, wrap } from './soap-helpers';

type EnvelopeOut = { data: string; noise: string; sign: string };
type TypedOut = { response: Record<string, string> };
// node-soap's generated methods are untyped (it builds them from the WSDL at run time).
type Call<T> = (args: unknown) => Promise<[T, string, unknown, string]>;
const op = <T>(client: soap.Client, name: string): Call<T> => (client as unknown as Record<string, Call<T>>)[`${name}Async`].bind(client);

const CHINESE = /[\u4e00-\u9fff]/;

/** An envelope answer read straight from XML (not through node-soap), signature checked. */
function envelopeAnswer(a: { body: { children: { local: string; text: string }[] } }): Reply {
  const get = (n: string) => a.body.children.find((c) => c.local === n)?.text;
  return decodeReply(200, { data: get('data'), noise: get('noise'), sign: get('sign') });
}

function typedAnswer(a: Awaited<ReturnType<typeof post>>): Record<string, string> {
  return Object.fromEntries(kid(a.body, 'response').children.map((c) => [c.local, c.text]));
}

describe('his-soap: channel over HTTP', function () {
  this.timeout(30_000);
  let app: TestApp;
  let client: soap.Client;

  before(async () => {
    app = await startTestApp();
    client = await soapClient(app.baseUrl);
  });
  after(() => app?.stop());

  const bills = (busNo: string) => app.services.db('bills').where({ appid: DEMO_APPID, bus_no: busNo });
  async function stored(msgIdOrBusNo: { msgId?: string; busNo?: string }) {
    await app.services.writer.drain();
    if (msgIdOrBusNo.msgId) return [await app.services.messages.get(msgIdOrBusNo.msgId)];
    return app.services.messages.find({ busNo: msgIdOrBusNo.busNo });
  }

  describe('node-soap client built from the served WSDL', () => {
    it('testServerConnect: S0000, 连接成功, response signed with the caller key, SOAP 1.1 answer', async () => {
      const [out] = await op<EnvelopeOut>(client, 'testServerConnect')(envelope({ testValue: 'ping' }));
      const r = decodeReply(200, out);
      assert.equal(r.result, 'S0000');
      assert.equal(r.text, '连接成功');
      assert.equal(r.signOk, true);
      assert.match(String(client.lastResponseHeaders?.['content-type']), /^text\/xml/);
      assert.ok(client.lastResponse?.includes(SOAP11_NS));
    });

    it('invoiceEBillOutpatient with the sample issues a bill; getEBillByBusNo finds the same bill; raw XML is stored', async () => {
      const busNo = uniqueBusNo('env');
      const [out] = await op<EnvelopeOut>(client, 'invoiceEBillOutpatient')(envelope(sample(busNo)));
      const r = decodeReply(200, out);
      assert.equal(r.result, 'S0000', r.text);
      assert.equal(r.signOk, true);
      const bill = r.body!;
      assert.equal(bill.billBatchCode, '44060126');
      assert.match(String(bill.billNo), /^\d{10}$/);
      assert.match(String(bill.random), /^[0-9a-f]{6}$/);
      assert.equal(bill.busNo, busNo);
      assert.match(String(bill.pictureUrl), new RegExp(`/h5/ebill/44060126/${String(bill.billNo)}\\?random=${String(bill.random)}$`));

      const [q] = await op<EnvelopeOut>(client, 'getEBillByBusNo')(envelope({ busNo, busDateTime: '20261125093015123' }));
      const found = decodeReply(200, q);
      assert.equal(found.result, 'S0000', found.text);
      assert.equal(found.body!.billNo, bill.billNo);
      assert.equal(found.body!.random, bill.random);
      assert.equal(found.body!.isScarlet, '0');

      const row = (await bills(busNo).first()) as { state: string; payer: string; total_amt: string };
      assert.equal(row.state, 'issued');
      assert.equal(row.payer, '张三');
      const msgs = await stored({ busNo });
      const issue = msgs.find((m) => m!.service_id === 'invoiceEBillOutpatient')!;
      assert.equal(issue.channel, 'his-soap');
      assert.equal(issue.status, 'done');
      assert.match(issue.raw, /^<\?xml[^>]*>\s*<soap:Envelope/);
      assert.match(issue.raw, /invoiceEBillOutpatient/);
    });

    it('the typed variant (WS-Security UsernameToken, PasswordDigest) issues a bill, and a retry returns the same bill', async () => {
      const busNo = uniqueBusNo('typed');
      const typedClient = await soapClient(app.baseUrl);
      typedClient.setSecurity(new soap.WSSecurity(DEMO_APPID, DEMO_KEY, { passwordType: 'PasswordDigest' }));
      const [out] = await op<TypedOut>(typedClient, 'invoiceEBillOutpatientTyped')({ request: sample(busNo) });
      const res = out.response;
      assert.equal(res.result, 'S0000', res.message);
      assert.equal(res.message, '成功');
      assert.equal(res.billBatchCode, '44060126');
      assert.match(res.billNo, /^\d{10}$/);
      assert.equal(res.busNo, busNo);
      assert.match(typedClient.lastRequest ?? '', /<wsse:UsernameToken/);

      const row = (await bills(busNo).first()) as { state: string; payer: string; bill_no: string };
      assert.equal(row.state, 'issued');
      assert.equal(row.bill_no, res.billNo);
      assert.equal(row.payer, '张三');

      const [again] = await op<TypedOut>(typedClient, 'invoiceEBillOutpatientTyped')({ request: sample(busNo) });
      assert.equal(again.response.result, 'S0000');
      assert.equal(again.response.billNo, res.billNo);
      assert.equal(again.response.random, res.random);

      const [q] = await op<EnvelopeOut>(client, 'getEBillByBusNo')(envelope({ busNo, busDateTime: '20261125093015123' }));
      assert.equal(decodeReply(200, q).body!.billNo, res.billNo);
      assert.equal((await bills(busNo)).length, 1);
    });

    it('SOAP 1.2 (forceSoap12Headers): application/soap+xml in, a 1.2 envelope and content type out', async () => {
      const c12 = await soapClient(app.baseUrl, { forceSoap12Headers: true });
      const [out] = await op<EnvelopeOut>(c12, 'testServerConnect')(envelope({ testValue: '1.2' }));
      assert.ok(c12.lastRequest?.includes(SOAP12_NS), 'the client really sent 1.2');
      assert.match(String(c12.lastResponseHeaders?.['content-type']), /^application\/soap\+xml/);
      assert.ok(c12.lastResponse?.includes(SOAP12_NS));
      assert.ok(!c12.lastResponse?.includes(SOAP11_NS));
      assert.equal(decodeReply(200, out).text, '连接成功');
    });
  });

  describe('versions at one URL', () => {
    it('answers 1.1 in 1.1 and 1.2 in 1.2 (the envelope namespace decides, also when the Content-Type disagrees)', async () => {
      const a11 = await post(app.baseUrl, envelopeCall('testServerConnect', { testValue: 'a' }));
      assert.equal(a11.status, 200);
      assert.equal(a11.ns, SOAP11_NS);
      assert.match(a11.contentType, /^text\/xml; charset=utf-8/);
      assert.equal(envelopeAnswer(a11).text, '连接成功');

      const a12 = await post(app.baseUrl, envelopeCall('testServerConnect', { testValue: 'b' }, { version: '1.2' }), { 'content-type': 'application/soap+xml; charset=utf-8; action="x"' });
      assert.equal(a12.status, 200);
      assert.equal(a12.ns, SOAP12_NS);
      assert.match(a12.contentType, /^application\/soap\+xml; charset=utf-8/);
      assert.equal(a12.body.local, 'testServerConnectResponse');
      assert.equal(envelopeAnswer(a12).result, 'S0000');

      const mislabelled = await post(app.baseUrl, envelopeCall('testServerConnect', { testValue: 'c' }, { version: '1.2' }), { 'content-type': 'text/xml' });
      assert.equal(mislabelled.ns, SOAP12_NS);
      assert.equal(envelopeAnswer(mislabelled).result, 'S0000');
    });

    it('a typed SOAP 1.2 call issues a bill in 1.2', async () => {
      const busNo = uniqueBusNo('t12');
      const a = await post(app.baseUrl, typedCall(sample(busNo), { version: '1.2' }), { 'content-type': 'application/soap+xml; charset=utf-8' });
      assert.equal(a.ns, SOAP12_NS);
      const res = typedAnswer(a);
      assert.equal(res.result, 'S0000', res.message);
      assert.equal((await bills(busNo).first())?.bill_no, res.billNo);
    });
  });

  it('the same busNo via JSON, then SOAP envelope, then SOAP typed: one bill, the same answer each time', async () => {
    const busNo = uniqueBusNo('mix');
    const viaJson = await callJson(app.baseUrl, 'invoiceEBillOutpatient', sample(busNo));
    assert.equal(viaJson.result, 'S0000', viaJson.text);
    const viaSoap = envelopeAnswer(await post(app.baseUrl, envelopeCall('invoiceEBillOutpatient', sample(busNo))));
    assert.equal(viaSoap.result, 'S0000', viaSoap.text);
    const viaTyped = typedAnswer(await post(app.baseUrl, typedCall(sample(busNo))));
    assert.equal(viaTyped.result, 'S0000', viaTyped.message);
    for (const b of [viaSoap.body!, viaTyped]) {
      assert.equal(b.billBatchCode, viaJson.body!.billBatchCode);
      assert.equal(b.billNo, viaJson.body!.billNo);
      assert.equal(b.random, viaJson.body!.random);
    }
    assert.equal((await bills(busNo)).length, 1);
    const channels = (await stored({ busNo })).map((m) => m!.channel).sort();
    assert.deepEqual(channels, ['his-json', 'his-soap', 'his-soap']);
  });

  describe('business errors: HTTP 200, non-S0000, a Chinese message naming the field, stored', () => {
    async function envelopeError(xml: string): Promise<Reply> {
      const a = await post(app.baseUrl, xml);
      assert.equal(a.status, 200);
      assert.equal(a.body.local.endsWith('Response'), true, a.text);
      return envelopeAnswer(a);
    }

    it('envelope operations: bad sign, unknown appid, missing envelope field, missing and invalid business fields', async () => {
      const badSign = await envelopeError(envelopeCall('invoiceEBillOutpatient', sample(uniqueBusNo('e')), { sign: '0'.repeat(32) }));
      assert.equal(badSign.result, 'E0001');
      assert.match(badSign.text, /签名验证失败：sign/);
      assert.equal(badSign.signOk, true, 'the refusal itself is signed for a known caller');

      const unknown = await envelopeError(envelopeCall('testServerConnect', { testValue: 'x' }, { appid: 'NO-SUCH-APP', key: 'k' }));
      assert.equal(unknown.result, 'E0002');
      assert.match(unknown.text, /appid NO-SUCH-APP 不存在或未授权/);

      const noSign = await envelopeError(envelopeCall('testServerConnect', { testValue: 'x' }, { drop: 'sign' }));
      assert.equal(noSign.result, 'E0003');
      assert.equal(noSign.text, '请求参数 sign 缺失');

      const s = sample(uniqueBusNo('e'));
      delete s.payer;
      const missing = await envelopeError(envelopeCall('invoiceEBillOutpatient', s));
      assert.equal(missing.result, 'E1001');
      assert.match(missing.text, /^字段 payer（患者姓名） 为必填项，不能缺失/);

      const badTime = await envelopeError(envelopeCall('getEBillByBusNo', { busNo: 'X', busDateTime: '2026-11-25 09:30' }));
      assert.equal(badTime.result, 'E1001');
      assert.match(badTime.text, /字段 busDateTime（业务发生时间） 格式错误，应为 yyyyMMddHHmmssSSS/);

      const notFound = await envelopeError(envelopeCall('getEBillByBusNo', { busNo: uniqueBusNo('none'), busDateTime: '20261125093015123' }));
      assert.notEqual(notFound.result, 'S0000');
      assert.match(notFound.text, CHINESE);
    });

    it('typed operation: wrong key, PasswordText, unknown appid, no Security header, stale Created, replayed Nonce', async () => {
      const call = async (header: string, data = sample(uniqueBusNo('t'))) => typedAnswer(await post(app.baseUrl, typedCall(data, { header })));

      const wrongKey = await call(usernameToken({ key: 'not-the-key' }));
      assert.equal(wrongKey.result, 'E0001');
      assert.match(wrongKey.message, /签名验证失败：wsse:Password/);
      assert.equal(wrongKey.billNo, undefined, 'no business fields on failure');

      const text = await call(usernameToken({ text: true }));
      assert.equal(text.result, 'E0001');
      assert.match(text.message, /不接受明文密码（PasswordText）/);

      const unknown = await call(usernameToken({ appid: 'NO-SUCH-APP' }));
      assert.equal(unknown.result, 'E0002');
      assert.match(unknown.message, /appid NO-SUCH-APP/);

      const none = await call('');
      assert.equal(none.result, 'E0003');
      assert.match(none.message, /缺少 WS-Security 认证头/);

      const stale = await call(usernameToken({ created: new Date(Date.now() - 3_600_000).toISOString() }));
      assert.equal(stale.result, 'E0003');
      assert.match(stale.message, /wsu:Created .* 相差超过 5 分钟/);

      const xml = typedCall(sample(uniqueBusNo('replay')), { header: usernameToken({ nonce: Buffer.from(`once-${Date.now()}`).toString('base64') }) });
      assert.equal(typedAnswer(await post(app.baseUrl, xml)).result, 'S0000');
      const replay = typedAnswer(await post(app.baseUrl, xml));
      assert.equal(replay.result, 'E0006');
      assert.match(replay.message, /wsse:Nonce .* 在 10 分钟内已使用过/);
    });

    it('typed operation: missing, invalid and mistyped business fields name the field like JSON does', async () => {
      const call = async (data: Record<string, unknown>) => typedAnswer(await post(app.baseUrl, typedCall(data)));
      const noPayer = sample(uniqueBusNo('t'));
      delete noPayer.payer;
      const a = await call(noPayer);
      assert.equal(a.result, 'E1001');
      assert.match(a.message, /^字段 payer（患者姓名） 为必填项，不能缺失/);

      const badAmt = { ...sample(uniqueBusNo('t')), totalAmt: '12.345' };
      const b = await call(badAmt);
      assert.equal(b.result, 'E1001');
      assert.match(b.message, /字段 totalAmt（开票总金额） 必须是数字，最多 12 位整数、2 位小数/);

      const badLine = sample(uniqueBusNo('t'));
      (badLine.chargeDetail as Record<string, unknown>[])[1].amt = 'abc';
      const c = await call(badLine);
      assert.equal(c.result, 'E1001');
      assert.match(c.message, /字段 chargeDetail\[1\]\.amt（金额） 必须是数字/);

      const noLines = sample(uniqueBusNo('t'));
      delete noLines.chargeDetail;
      const d = await call(noLines);
      assert.equal(d.result, 'E1001');
      assert.match(d.message, /字段 chargeDetail（收费项目明细） 至少需要 1 条/);

      const noRequest = typedAnswer(await post(app.baseUrl, wrap('<t:invoiceEBillOutpatientTyped/>', '1.1', usernameToken())));
      assert.equal(noRequest.result, 'E0003');
      assert.match(noRequest.message, /缺少 request 元素/);
    });

    it('refusals are stored with channel his-soap and the raw XML', async () => {
      const busNo = uniqueBusNo('st');
      await post(app.baseUrl, envelopeCall('invoiceEBillOutpatient', sample(busNo), { sign: 'F'.repeat(32) }));
      const rows = await stored({ busNo });
      assert.equal(rows.length, 0, 'a refused sign is stored, but its busNo is not trusted');
      await app.services.writer.drain();
      const all = await app.services.messages.find({ serviceId: 'invoiceEBillOutpatient', status: ['rejected'] });
      const mine = all.find((m) => m.raw.includes('F'.repeat(32)));
      assert.ok(mine, 'stored');
      assert.equal(mine.channel, 'his-soap');
      assert.equal(mine.error_code, 'E0001');
    });
  });

  describe('XML as legacy HIS write it', () => {
    it('character references, CDATA, unqualified children and a GBK-encoded body', async () => {
      const busNo = uniqueBusNo('gbk');
      const s = sample(busNo);
      const withRefs = typedCall({ ...s, payer: '__PAYER__' }).replace('__PAYER__', '&#x5F20;&#19977;').replace(`<t:busNo>${busNo}</t:busNo>`, `<busNo xmlns=""><![CDATA[${busNo}]]></busNo>`);
      const gbk = withRefs.replace('encoding="UTF-8"', 'encoding="GBK"');
      const body = Buffer.from(gbkEncode(gbk));
      const res = typedAnswer(await post(app.baseUrl, body, { 'content-type': 'text/xml' }));
      assert.equal(res.result, 'S0000', res.message);
      const row = (await bills(busNo).first()) as { payer: string; bill_no: string };
      assert.equal(row.payer, '张三');
      assert.equal(row.bill_no, res.billNo);
      // the chargeDetail names went through GBK too
      const doc = JSON.parse(((await bills(busNo).first()) as { canonical: string }).canonical) as Record<string, unknown>;
      assert.match(JSON.stringify(doc), /诊察费/);
    });

    it('an envelope call whose data has CRLF line breaks (old Java Base64) verifies, escaped or raw', async () => {
      const b64 = Buffer.from(JSON.stringify({ testValue: 'x'.repeat(45) }), 'utf8').toString('base64');
      const wrapped = b64.replace(/(.{76})/g, '$1\r\n');
      assert.ok(wrapped.includes('\r\n'));
      for (const [how, signed, text] of [
        ['escaped', wrapped, wrapped.replace(/\r/g, '&#13;')],
        ['raw', wrapped, wrapped],
        ['raw with a trailing CRLF', wrapped + '\r\n', wrapped + '\r\n'],
      ]) {
        const noise = `n-linebreaks-${how.length}`;
        const xml = wrap(
          `<t:testServerConnect><t:appid>${DEMO_APPID}</t:appid><t:data>${text}</t:data><t:noise>${noise}</t:noise><t:version>1.0</t:version><t:sign>${md5Sign(DEMO_APPID, signed, noise, DEMO_KEY)}</t:sign></t:testServerConnect>`,
        );
        const r = envelopeAnswer(await post(app.baseUrl, xml));
        assert.equal(r.result, 'S0000', `${how}: ${r.text}`);
      }
    });
  });
});

/** GBK bytes for the test body: Node has a GBK decoder but no encoder, so map through the ideographs we use. */
function gbkEncode(s: string): Uint8Array {
  const decoder = new TextDecoder('gbk');
  const table = new Map<string, number[]>();
  // Walk the GBK two-byte space once and keep the characters this test needs.
  const wanted = new Set([...s].filter((ch) => ch.charCodeAt(0) > 0x7f));
  for (let hi = 0x81; hi <= 0xfe && table.size < wanted.size; hi++)
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      if (lo === 0x7f) continue;
      const ch = decoder.decode(new Uint8Array([hi, lo]));
      if (wanted.has(ch) && !table.has(ch)) table.set(ch, [hi, lo]);
    }
  const out: number[] = [];
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    if (code <= 0x7f) out.push(code);
    else {
      const bytes = table.get(ch);
      if (!bytes) throw new Error(`no GBK code for ${ch}`);
      out.push(...bytes);
    }
  }
  return new Uint8Array(out);
}
