/**
 * The HL7 v2 and hospital-XML channels on a real medbill (HTTP on port 0, MLLP on port 0, real
 * signatures, SQLite and MariaDB): DFT^P03 in ER7, v2.xml and Mirth XML over POST /hl7, SOAP acceptHL7
 * and MLLP; AA with the bill identity, AE/AR with the reason in Chinese; a repeated control id answered
 * with the same ACK and nothing issued again; hostile messages answered, stored, never a crash.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { decodeHl7 } from '../../adapters/his/hl7/decode';
import { frame, MllpReader } from '../../adapters/his/hl7/mllp';
import { MESSAGE_TNS } from '../../adapters/his/soap/message-service';
import { PROJECT_ROOT } from '../../src/config';
import { valueAt } from '../../src/engine/hl7-tree';
import { dbKinds, startTestApp, type TestApp } from '../helpers/app';
import { cliEnv, runCli } from '../helpers/cli';
import { allBills } from '../his/his-helpers';
import { usernameToken, wrap } from '../his-soap/soap-helpers';

const example = (f: string) => readFileSync(path.join(PROJECT_ROOT, 'examples', f), 'utf8');
const OUTPATIENT = example('hl7/dft-p03-outpatient.er7');
/** The example with another control id (MSH-10) and, optionally, other text replaced. */
const variant = (text: string, controlId: string, edits: [string | RegExp, string][] = []) =>
  edits.reduce((t, [a, b]) => t.replace(a, b), text.replace(/HIS2026120200\d{4}/, controlId));

interface Ack {
  text: string;
  type: string;
  code: string;
  text3: string;
  controlId?: string;
  zeb?: { billBatchCode?: string; billNo?: string; random?: string };
  errCode?: string;
}

function readAck(text: string, type = ''): Ack {
  const d = decodeHl7(text);
  assert.ok(d.ok, `the ACK is not a readable HL7 message: ${text.slice(0, 300)}`);
  const t = d.msg.tree;
  assert.equal(d.msg.header.messageType?.split('^')[0], 'ACK');
  return {
    text,
    type,
    code: valueAt(t.MSA, '1')!,
    text3: valueAt(t.MSA, '3') ?? '',
    controlId: valueAt(t.MSA, '2'),
    zeb: t.ZEB && { billBatchCode: valueAt(t.ZEB, '1'), billNo: valueAt(t.ZEB, '2'), random: valueAt(t.ZEB, '3') },
    errCode: valueAt(t.ERR, '5.1'),
  };
}

async function postHl7(app: TestApp, body: string, type = 'application/hl7-v2; charset=utf-8'): Promise<Ack> {
  const res = await fetch(`${app.baseUrl}/medical-web/hl7`, { method: 'POST', headers: { 'content-type': type }, body });
  assert.equal(res.status, 200);
  return readAck(await res.text(), res.headers.get('content-type') ?? '');
}

async function soap(app: TestApp, body: string, header = ''): Promise<string> {
  const res = await fetch(`${app.baseUrl}/medical-web/ws/HisMessageService`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8' }, body: wrap(body, '1.1', header) });
  return res.text();
}

const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const between = (s: string, tag: string) => {
  const m = new RegExp(`<(?:\\w+:)?${tag}>([\\s\\S]*?)</(?:\\w+:)?${tag}>`).exec(s);
  return m && m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
};

for (const db of dbKinds())
  describe(`HL7 channels (${db})`, function () {
    this.timeout(60_000);
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ db, mllp: true, config: { hl7: { mllp: { port: 0 } } } });
    });
    after(async () => app?.stop());

    let blue: Ack;
    it('ER7 over POST /hl7: AA with the bill identity in ZEB; the message stored with its flow', async () => {
      blue = await postHl7(app, OUTPATIENT);
      assert.equal(blue.code, 'AA', blue.text3);
      assert.equal(blue.controlId, 'HIS20261202000123');
      assert.match(blue.type, /application\/hl7-v2/);
      assert.match(blue.zeb?.billNo ?? '', /^\d{10}$/);
      assert.match(blue.zeb?.random ?? '', /^[0-9a-f]{6}$/);
      const bills = (await allBills(app)).filter((b) => b.bus_no === 'MZ20261202000123');
      assert.deepEqual(bills.map((b) => [b.bill_no, b.state, b.kind]), [[blue.zeb!.billNo, 'issued', 'blue']]);
      const m = (await app.services.messages.find({ limit: 10 })).find((r) => r.channel === 'hl7-http')!;
      assert.equal(m.flow, 'hl7-outpatient');
      assert.equal(m.raw, OUTPATIENT, 'stored as received');
      assert.equal(m.bus_no, 'MZ20261202000123', 'the busNo its mapping found: medbill trace --bus-no finds it');
    });

    it('a repeat of the control id gets the same ACK byte for byte, issues nothing, and is stored', async () => {
      const before = (await allBills(app)).length;
      const again = await postHl7(app, OUTPATIENT);
      assert.equal(again.text, blue.text);
      // Another message under the same control id (its sender reused it): still the first ACK.
      const other = await postHl7(app, OUTPATIENT.replace(/MZ20261202000123/g, 'MZ-OTHER-1'));
      assert.equal(other.text, blue.text);
      assert.equal((await allBills(app)).length, before);
      await app.services.writer.drain();
      const stored = (await app.services.messages.find({ limit: 100 })).filter((r) => r.channel === 'hl7-http' && r.raw.includes('HIS20261202000123'));
      assert.equal(stored.length, 3);
      // The same control id from another sending facility (MSH-4) is another message.
      const elsewhere = await postHl7(app, OUTPATIENT.replace('|HIS|MZSF01|', '|HIS|ZYSF02|').replace(/MZ20261202000123/g, 'MZ-ELSEWHERE-1'));
      assert.equal(elsewhere.code, 'AA');
      assert.notEqual(elsewhere.zeb?.billNo, blue.zeb?.billNo);
    });

    if (db === 'sqlite')
      it('medbill replay runs a stored HL7 message again in process (no control-id short cut): linked to the original, the same bill', async () => {
        const original = (await app.services.messages.find({ limit: 10 })).find((r) => r.channel === 'hl7-http' && r.bus_no === 'MZ20261202000123')!;
        const before = (await allBills(app)).length;
        const run = await runCli(['replay', '--id', original.id], cliEnv(app, undefined));
        assert.equal(run.code, 0, run.stdout + run.stderr);
        const replay = (await app.services.messages.find({ limit: 50 })).find((r) => r.replay_of === original.id);
        assert.ok(replay, `a replay of ${original.id} is stored: ${run.stdout}`);
        assert.deepEqual([replay.channel, replay.flow, replay.status, replay.error_code, replay.bus_no], ['hl7-http', 'hl7-outpatient', 'done', null, 'MZ20261202000123']);
        assert.equal((await allBills(app)).length, before, 'the busNo already holds its bill: nothing new is issued');
      });

    it('v2.xml over POST /hl7: an inpatient bill, answered in v2.xml', async () => {
      const res = await fetch(`${app.baseUrl}/medical-web/hl7`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: example('hl7/dft-p03-inpatient.v2.xml') });
      const text = await res.text();
      assert.match(text, /^<\?xml[^>]*\?><ACK xmlns="urn:hl7-org:v2xml"><MSH><MSH\.1>\|<\/MSH\.1>/);
      assert.match(text, /<MSH\.9><MSG\.1>ACK<\/MSG\.1><MSG\.2>P03<\/MSG\.2>/);
      const ack = readAck(text);
      assert.equal(ack.code, 'AA', ack.text3);
      const bill = (await allBills(app)).find((b) => b.bus_no === 'ZY20261125000456');
      assert.equal(bill?.bill_no, ack.zeb?.billNo);
    });

    it('Mirth XML over SOAP acceptHL7: the refund red-flushes the bill of its settlement', async () => {
      const body = `<tns:acceptHL7 xmlns:tns="${MESSAGE_TNS}"><tns:message>${xmlEsc(example('hl7/dft-p03-refund.mirth.xml'))}</tns:message></tns:acceptHL7>`;
      const ackText = between(await soap(app, body), 'ack');
      assert.ok(ackText?.includes('<HL7Message>'), 'answered in Mirth XML');
      const ack = readAck(ackText!);
      assert.equal(ack.code, 'AA', ack.text3);
      const bills = await allBills(app);
      const red = bills.find((b) => b.bill_no === ack.zeb?.billNo);
      assert.equal(red?.kind, 'red');
      const m = (await app.services.messages.find({ limit: 100 })).find((r) => r.channel === 'hl7-soap');
      assert.equal(m?.flow, 'hl7-refund');
    });

    it('a message of another HL7 version than its flow pins gets AR naming both versions', async () => {
      const ack = await postHl7(app, variant(OUTPATIENT, 'V23-1', [['|P|2.5|', '|P|2.3|']]));
      assert.equal(ack.code, 'AR');
      assert.equal(ack.errCode, 'E2703');
      assert.match(ack.text3, /MSH-12 版本 2\.3 与流程 hl7-outpatient 固定的 HL7 版本 2\.5 不同/);
    });
  });

describe('HL7 channels: hostile messages, MLLP framing, hospital XML (sqlite)', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ mllp: true, config: { hl7: { mllp: { port: 0, maxMessageBytes: 64 * 1024 } } } });
  });
  after(async () => app?.stop());

  const hostile: [string, string, 'AR' | 'AE', string, RegExp][] = [
    ['a truncated segment', OUTPATIENT.slice(0, OUTPATIENT.indexOf('FT1|3') + 2), 'AR', 'E2701', /第 7 段的段名 “FT” 无效/],
    ['wrong delimiters', OUTPATIENT.replace('MSH|^~\\&|', 'MSH|^~|'), 'AR', 'E2701', /MSH-2 应为 4 个字符/],
    ['a missing MSH-10', OUTPATIENT.replace('|HIS20261202000123|', '||'), 'AR', 'E2701', /缺少 MSH-10（消息控制号）/],
    ['a wrong version', variant(OUTPATIENT, 'H-V', [['|P|2.5|', '|P|2.6|']]), 'AR', 'E2703', /MSH-12 版本 2\.6/],
    ['an unknown sender', variant(OUTPATIENT, 'H-S', [['|HIS|MZSF01|', '|LIS|MZSF01|']]), 'AR', 'E2702', /MSH-3 发送应用 “LIS” 未在配置 hl7.senders 中登记/],
    ['a message no flow takes', variant(OUTPATIENT, 'H-E', [['PV1|1|O|', 'PV1|1|E|']]), 'AR', 'E2704', /没有处理 DFT\^P03 消息的流程（.*PV1-2=E/],
    ['another message type', variant(OUTPATIENT, 'H-T', [['DFT^P03^DFT_P03', 'ADT^A01^ADT_A01']]), 'AR', 'E2704', /没有处理 ADT\^A01 消息的流程/],
    ['payments that do not add up to the charges', variant(OUTPATIENT, 'H-P', [['|PY|05^微信^MEDBILL|||1|58.00', '|PY|05^微信^MEDBILL|||1|50.00']]), 'AE', 'E1002', /payChannelDetail|交费/],
    ['no charge lines', variant(OUTPATIENT, 'H-C', [[/FT1\|[123]\|[^\r]*\r/g, '']]), 'AR', 'E2704', /FT1-6=PY/],
  ];
  for (const [name, text, code, result, reason] of hostile)
    it(`${name}: ${code} ${result} with the reason in Chinese, stored`, async () => {
      const ack = await postHl7(app, text);
      assert.equal(ack.code, code, ack.text3);
      assert.equal(ack.errCode, result);
      assert.match(ack.text3, reason);
      assert.match(ack.text3, /[\u4e00-\u9fff]/);
      await app.services.writer.drain();
      const stored = (await app.services.messages.find({ limit: 1000 })).filter((m) => m.raw === text);
      assert.equal(stored.length, 1);
      assert.equal(stored[0].error_code, result);
    });

  it('two copies of one message at once: one bill, and both get the same ACK', async () => {
    const text = variant(OUTPATIENT, 'RACE-1', [[/MZ20261202000123/g, 'MZ-RACE-1']]);
    const [a, b] = await Promise.all([postHl7(app, text), postHl7(app, text)]);
    assert.equal(a.code, 'AA', a.text3);
    assert.equal(a.text, b.text);
    assert.equal((await allBills(app)).filter((x) => x.bus_no === 'MZ-RACE-1').length, 1);
  });

  it('after every hostile message the server still issues', async () => {
    const ack = await postHl7(app, variant(OUTPATIENT, 'H-OK', [[/MZ20261202000123/g, 'MZ-AFTER-HOSTILE']]));
    assert.equal(ack.code, 'AA', ack.text3);
  });

  /** Sends chunks over one MLLP connection and collects the ACK frames until `count` came. */
  async function mllp(chunks: Buffer[], count: number, between?: () => Promise<void>): Promise<Ack[]> {
    const socket = net.connect(app.mllpPort!, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const reader = new MllpReader(1 << 20);
    const acks: Ack[] = [];
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (c: Buffer) => {
        for (const f of reader.push(c).frames) acks.push(readAck(f.toString('utf8')));
        if (acks.length >= count) resolve();
      });
      socket.on('error', reject);
    });
    for (const c of chunks) {
      socket.write(c);
      await between?.();
    }
    await done;
    socket.destroy();
    return acks;
  }

  it('MLLP over TCP: a frame split across packets is one message', async () => {
    const bytes = frame(variant(OUTPATIENT, 'MLLP-SPLIT', [[/MZ20261202000123/g, 'MZ-MLLP-SPLIT']]));
    // Cut inside the start block, inside a multi-byte character and between FS and CR.
    const cuts = [1, 40, bytes.indexOf(Buffer.from('赵')) + 1, bytes.length - 1];
    const parts = [0, ...cuts].map((c, i, a) => bytes.subarray(c, a[i + 1] ?? bytes.length));
    // Each part is flushed on its own before the next is written (a round trip through the event loop).
    const acks = await mllp(parts, 1, () => new Promise((r) => setImmediate(r)));
    assert.equal(acks.length, 1);
    assert.equal(acks[0].code, 'AA', acks[0].text3);
    assert.equal(acks[0].controlId, 'MLLP-SPLIT');
  });

  it('MLLP over TCP: two messages in one packet get two ACKs, in order', async () => {
    const one = frame(variant(OUTPATIENT, 'MLLP-A', [[/MZ20261202000123/g, 'MZ-MLLP-A']]));
    const two = frame(variant(OUTPATIENT, 'MLLP-B', [['|P|2.5|', '|P|2.4|']]));
    const acks = await mllp([Buffer.concat([Buffer.from('\r\n'), one, two])], 2);
    assert.deepEqual(acks.map((a) => [a.controlId, a.code]), [['MLLP-A', 'AA'], ['MLLP-B', 'AR']]);
  });

  it('MLLP: a frame over hl7.mllp.maxMessageBytes gets AR and the connection is closed', async () => {
    const socket = net.connect(app.mllpPort!, '127.0.0.1');
    const reader = new MllpReader(1 << 20);
    const got: Ack[] = [];
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (c: Buffer) => reader.push(c).frames.forEach((f) => got.push(readAck(f.toString('utf8')))));
    socket.on('error', () => undefined);
    socket.write(Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(70 * 1024, 'A')]));
    await closed;
    assert.equal(got.length, 1);
    assert.equal(got[0].code, 'AR');
    assert.match(got[0].text3, /HL7 消息过大/);
  });

  const settlement = example('hospital-xml/outpatient-settlement.xml');
  const hospitalCall = (action: string, message: string) =>
    `<tns:acceptHospitalXml xmlns:tns="${MESSAGE_TNS}"><tns:action>${action}</tns:action><tns:message><![CDATA[${message}]]></tns:message></tns:acceptHospitalXml>`;

  it('hospital XML over SOAP: the action selects the flow, the mapping reads the vendor XML', async () => {
    const reply = await soap(app, hospitalCall('outpatientSettlement', settlement), usernameToken());
    assert.equal(between(reply, 'result'), 'S0000', reply);
    const data = JSON.parse(between(reply, 'data')!) as { billNo: string; busNo: string };
    assert.equal(data.busNo, 'MZ20261202000777');
    const bill = (await allBills(app)).find((b) => b.bus_no === 'MZ20261202000777');
    assert.equal(bill?.bill_no, data.billNo);
  });

  it('hospital XML: an unknown action, XML that is not well-formed and a missing UsernameToken are refused and stored', async () => {
    const unknown = await soap(app, hospitalCall('dischargeSettlement', settlement), usernameToken());
    assert.equal(between(unknown, 'result'), 'E2704');
    assert.match(between(unknown, 'message')!, /没有处理 action “dischargeSettlement” 的医院 XML 流程/);
    const broken = await soap(app, hospitalCall('outpatientSettlement', '<Request><Body></Request>'), usernameToken());
    assert.equal(between(broken, 'result'), 'E2705');
    const anonymous = await soap(app, hospitalCall('outpatientSettlement', settlement));
    assert.equal(between(anonymous, 'result'), 'E0003');
    await app.services.writer.drain();
    const stored = (await app.services.messages.find({ limit: 1000 })).filter((m) => m.channel === 'hospital-xml');
    assert.deepEqual(stored.map((m) => m.error_code ?? 'S0000').sort(), ['E0003', 'E2704', 'E2705', 'S0000']);
  });

  it('the HisMessageService WSDL is served with the public address', async () => {
    const res = await fetch(`${app.baseUrl}/medical-web/ws/HisMessageService?wsdl`);
    const text = await res.text();
    assert.match(text, /<wsdl:operation name="acceptHL7">/);
    assert.match(text, /<wsdl:operation name="acceptHospitalXml">/);
    assert.match(text, /location="http:\/\/127\.0\.0\.1:17001\/medical-web\/ws\/HisMessageService"/);
  });
});
