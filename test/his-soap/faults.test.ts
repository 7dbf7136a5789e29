/**
 * Messages that are not a call get a SOAP Fault in the request's own version, with a Chinese reason,
 * never a stack trace; they are kept in the message store; and the server keeps serving.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { decodeReply, startTestApp, TestApp } from '../helpers/app';
import { envelopeCall, fault, post, SOAP11_NS, SOAP12_NS, TNS, WS_PATH, wrap } from './soap-helpers';

const CT11 = { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' };
const CT12 = { 'content-type': 'application/soap+xml; charset=utf-8' };
const STACK = /\n\s+at\s|Error:|node_modules|\.js:\d+/;

function hostname(): string {
  try {
    return readFileSync('/etc/hostname', 'utf8').trim();
  } catch {
    return '';
  }
}

const XXE = (version: '1.1' | '1.2') =>
  `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>` +
  `<s:Envelope xmlns:s="${version === '1.2' ? SOAP12_NS : SOAP11_NS}" xmlns:t="${TNS}"><s:Body><t:testServerConnect><t:appid>&xxe;</t:appid>` +
  `<t:data>x</t:data><t:noise>n</t:noise><t:version>1.0</t:version><t:sign>s</t:sign></t:testServerConnect></s:Body></s:Envelope>`;

describe('his-soap: faults', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app?.stop());

  async function stillServing(): Promise<void> {
    const a = await post(app.baseUrl, envelopeCall('testServerConnect', { testValue: 'alive' }));
    const get = (n: string) => a.body.children.find((c) => c.local === n)?.text;
    assert.equal(decodeReply(200, { data: get('data'), noise: get('noise'), sign: get('sign') }).text, '连接成功');
  }

  async function storedRow(msgId: string | undefined) {
    assert.match(msgId ?? '', /^[0-9A-Z]{26}$/, 'the fault names the stored message');
    await app.services.writer.drain();
    const row = await app.services.messages.get(msgId!);
    assert.ok(row, 'stored');
    assert.equal(row.channel, 'his-soap');
    assert.equal(row.status, 'rejected');
    return row;
  }

  it('XXE (SOAP 1.1): refused before parsing with a 1.1 Client fault; nothing expanded; stored; server up', async () => {
    const a = await post(app.baseUrl, XXE('1.1'), CT11);
    assert.equal(a.status, 500);
    assert.match(a.contentType, /^text\/xml; charset=utf-8/);
    assert.equal(a.ns, SOAP11_NS);
    const f = fault(a);
    assert.equal(f.code, 'soap:Client');
    assert.match(f.reason, /请求含有 DOCTYPE\/ENTITY 声明，出于安全原因拒绝处理/);
    assert.equal(f.result, 'E0003');
    if (hostname()) assert.ok(!a.text.includes(hostname()), 'the entity was not expanded');
    assert.doesNotMatch(a.text, STACK);
    const row = await storedRow(f.msgId);
    assert.match(row.raw, /<!DOCTYPE foo/);
    assert.equal(row.error_code, 'E0003');
    await stillServing();
  });

  it('XXE (SOAP 1.2): a 1.2 Sender fault with HTTP 400', async () => {
    const a = await post(app.baseUrl, XXE('1.2'), CT12);
    assert.equal(a.status, 400);
    assert.match(a.contentType, /^application\/soap\+xml; charset=utf-8/);
    assert.equal(a.ns, SOAP12_NS);
    const f = fault(a);
    assert.equal(f.code, 'soap:Sender');
    assert.match(f.reason, /DOCTYPE/);
    assert.doesNotMatch(a.text, STACK);
    await storedRow(f.msgId);
  });

  it('a DOCTYPE anywhere (not only in the prolog, any case) is refused', async () => {
    const a = await post(app.baseUrl, envelopeCall('testServerConnect', { testValue: 'x' }).replace('<t:appid>', '<t:appid><!doctype x>'), CT11);
    assert.match(fault(a).reason, /DOCTYPE/);
  });

  it('a 3 MB body: fault naming the size and the limit, stored truncated, server up', async () => {
    const big = wrap(`<t:testServerConnect><t:appid>${'A'.repeat(3 * 1024 * 1024)}</t:appid></t:testServerConnect>`);
    const a = await post(app.baseUrl, big, CT11);
    assert.equal(a.status, 500);
    const f = fault(a);
    assert.equal(f.code, 'soap:Client');
    assert.match(f.reason, new RegExp(`请求过大：${Buffer.byteLength(big)} 字节，超过上限 2097152 字节`));
    const row = await storedRow(f.msgId);
    // A head, the original length and its SHA-256 (src/engine/inbound.ts storedRaw), not megabytes.
    assert.ok(row.raw.length < 4_300, `kept ${row.raw.length} chars`);
    assert.match(row.raw, /^<\?xml/);
    assert.ok(row.raw.includes(`原请求 ${Buffer.byteLength(big)} 字节，sha256 ${createHash('sha256').update(big).digest('hex')}`), row.raw.slice(-200));
    await stillServing();
  });

  it('a Body nested 10,000 deep (and 100,000 deep, 1.1 MB): a stored message and a fault naming the limit, not a reset connection', async () => {
    for (const [depth, ct, code] of [
      [10_000, CT11, 'soap:Client'],
      [100_000, CT12, 'soap:Sender'],
    ] as const) {
      const deep = wrap(`<t:testServerConnect>${'<t:x>'.repeat(depth)}${'</t:x>'.repeat(depth)}</t:testServerConnect>`, ct === CT12 ? '1.2' : '1.1');
      const a = await post(app.baseUrl, deep, ct);
      assert.equal(a.status, ct === CT12 ? 400 : 500);
      const f = fault(a);
      assert.equal(f.code, code);
      assert.match(f.reason, /XML 嵌套层级过深（超过 64 层）/);
      assert.doesNotMatch(a.text, STACK);
      const row = await storedRow(f.msgId);
      assert.equal(row.error_code, 'E0003');
      assert.ok(row.raw.length < 4_300, 'unauthenticated: a head with length and hash');
      assert.ok(row.raw.includes(`原请求 ${Buffer.byteLength(deep)} 字节`));
    }
    // Attribute values holding '>' hide no nesting.
    const tricky = wrap(`<t:testServerConnect>${'<t:x a=">">'.repeat(200)}${'</t:x>'.repeat(200)}</t:testServerConnect>`);
    const f = fault(await post(app.baseUrl, tricky, CT11));
    assert.match(f.reason, /嵌套层级过深/);
    await storedRow(f.msgId);
    await stillServing();
  });

  it("an operation's own body limit (getEBillByBusNo: 16384 bytes) applies once the operation is known: Sender fault naming it, stored", async () => {
    const xml = envelopeCall('getEBillByBusNo', { busNo: 'B1', busDateTime: '20261125093015123', pad: 'y'.repeat(20_000) });
    const a = await post(app.baseUrl, xml, CT11);
    assert.equal(a.status, 500);
    const f = fault(a);
    assert.equal(f.code, 'soap:Client');
    assert.equal(f.result, 'E0003');
    assert.match(f.reason, /^请求过大：服务 getEBillByBusNo 的请求不能超过 16384 字节，收到 \d+ 字节$/);
    const row = await storedRow(f.msgId);
    assert.equal(row.service_id, 'getEBillByBusNo');
    await stillServing();
  });

  it('nesting past the depth limit (65, 100, 340, 3000 levels): a Sender fault naming the limit, stored; never a dropped connection', async () => {
    for (const n of [65, 100, 340, 3000]) {
      const xml = wrap(`<t:testServerConnect>${'<t:x>'.repeat(n)}${'</t:x>'.repeat(n)}</t:testServerConnect>`);
      const a = await post(app.baseUrl, xml, CT11);
      assert.equal(a.status, 500, `${n} levels`);
      const f = fault(a);
      assert.equal(f.code, 'soap:Client', `${n} levels: ${f.reason}`);
      assert.equal(f.result, 'E0003');
      assert.equal(f.reason, 'XML 嵌套层级过深（超过 64 层）');
      await storedRow(f.msgId);
    }
    await stillServing();
  });

  it('malformed XML, not an envelope, an unknown envelope namespace, an empty Body: each its own fault, stored', async () => {
    const cases: [string, RegExp, string][] = [
      [envelopeCall('testServerConnect', { testValue: 'x' }).replace('</t:appid>', '</t:appidX>'), /请求不是格式正确的 XML（第 1 行第 \d+ 列）/, 'soap:Client'],
      ['<hello/>', /根元素应为 soap:Envelope，收到 <hello>/, 'soap:Client'],
      [envelopeCall('testServerConnect', { testValue: 'x' }).replace(SOAP11_NS, 'urn:not-soap'), /不支持的 SOAP 信封命名空间 urn:not-soap/, 'soap:VersionMismatch'],
      [wrap(''), /SOAP Body 为空/, 'soap:Client'],
      [wrap('<t:a/><t:b/>'), /只能包含一个操作元素/, 'soap:Client'],
      ['<s:Envelope xmlns:s="' + SOAP11_NS + '"><s:Body><x:op/></s:Body></s:Envelope>', /命名空间前缀 x 未声明/, 'soap:Client'],
      [wrap('<t:testServerConnect><t:appid>&nope;</t:appid></t:testServerConnect>'), /未定义的实体引用 &nope;/, 'soap:Client'],
      ['', /请求不是格式正确的 XML|根元素/, 'soap:Client'],
    ];
    for (const [xml, reason, code] of cases) {
      const a = await post(app.baseUrl, xml, CT11);
      const f = fault(a);
      assert.equal(f.code, code, xml.slice(0, 80));
      assert.match(f.reason, reason);
      assert.doesNotMatch(a.text, STACK);
      const row = await storedRow(f.msgId);
      assert.equal(row.raw, xml);
    }
    await stillServing();
  });

  it('an unknown operation and a foreign operation namespace', async () => {
    const a = await post(app.baseUrl, envelopeCall('invEBillNoSuchThing', { x: 1 }), CT11);
    const f = fault(a);
    assert.match(f.reason, /未知操作 invEBillNoSuchThing：可用操作见 EBillService\?wsdl/);
    assert.equal(f.result, 'E0004');
    assert.equal((await storedRow(f.msgId)).service_id, 'invEBillNoSuchThing');

    const wrongNs = envelopeCall('testServerConnect', { testValue: 'x' }).replace(`xmlns:t="${TNS}"`, 'xmlns:t="urn:other"');
    assert.match(fault(await post(app.baseUrl, wrongNs, CT11)).reason, /命名空间应为 http:\/\/medbill\.local\/ws\/EBillService，收到 urn:other/);

    const twelve = await post(app.baseUrl, envelopeCall('invEBillNoSuchThing', { x: 1 }, { version: '1.2' }), CT12);
    assert.equal(twelve.status, 400);
    assert.equal(fault(twelve).code, 'soap:Sender');
  });

  it('a header marked mustUnderstand that we do not process → MustUnderstand fault', async () => {
    const xml = wrap('<t:testServerConnect/>', '1.2', `<h:Routing xmlns:h="urn:routing" s:mustUnderstand="true">x</h:Routing>`);
    const a = await post(app.baseUrl, xml, CT12);
    assert.equal(a.status, 500);
    const f = fault(a);
    assert.equal(f.code, 'soap:MustUnderstand');
    assert.match(f.reason, /无法处理标记为 mustUnderstand 的 SOAP 头 \{urn:routing\}Routing/);
  });

  it('compressed bodies and unknown charsets are refused with a fault', async () => {
    const gz = await post(app.baseUrl, gzipSync(envelopeCall('testServerConnect', { testValue: 'x' })), { ...CT11, 'content-encoding': 'gzip' });
    assert.match(fault(gz).reason, /不支持压缩的请求体（Content-Encoding: gzip）/);
    const cs = await post(app.baseUrl, envelopeCall('testServerConnect', { testValue: 'x' }).replace('encoding="UTF-8"', 'encoding="x-klingon"'), CT11);
    assert.match(fault(cs).reason, /不支持的字符编码 x-klingon/);
    const bad = await post(app.baseUrl, Buffer.concat([Buffer.from(wrap('<t:testServerConnect><t:appid>')), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('</t:appid></t:testServerConnect>')]), CT11);
    assert.match(fault(bad).reason, /不是有效的 utf-8 编码文本/);
    await stillServing();
  });

  it('GET without ?wsdl explains itself; other methods are not SOAP', async () => {
    const res = await fetch(app.baseUrl + WS_PATH);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /WSDL 见 \/medical-web\/ws\/EBillService\?wsdl/);
    const put = await fetch(app.baseUrl + WS_PATH, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 404);
  });
});
