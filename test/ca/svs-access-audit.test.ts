/**
 * Per-application accounts of the signature server and its audit trail: each kind of refusal has its
 * own return code, and every private-key use — allowed or refused — leaves one audit row with the SM3
 * of the data, never the data or the password.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SVS_CODES } from '../../adapters/ca/svs/codes';
import { DEMO_CA_PASSWORD } from '../../src/config';
import { certificateDer, makeEnvelope } from '../../src/crypto';
import { callSvs, DEMO_APP, startTestSvs, testApplications, TestSvs } from './helpers';

const C = SVS_CODES;
const OTHER = 'other-app-password';

describe('svs accounts, access rules and audit', function () {
  this.timeout(60_000);
  let svs: TestSvs;
  before(async () => {
    svs = await startTestSvs({ svs: { applications: testApplications() } });
  });
  after(async () => svs.stop());

  const sm3 = (b: Buffer | string) => createHash('sm3').update(b).digest('hex');

  it('gives each refusal its own code: unknown app, wrong password, operation not allowed, key index not allowed, client IP not allowed', async () => {
    const data = Buffer.from('x');
    const unknown = await callSvs(svs.endpoint, 'SVS_SignData', { appName: 'nobody', password: OTHER, keyIndex: 1, data });
    const wrongPw = await callSvs(svs.endpoint, 'SVS_SignData', { password: 'not-the-password', keyIndex: 1, data });
    const opDenied = await callSvs(svs.endpoint, 'SVS_SignData', { appName: 'verifier', password: OTHER, keyIndex: 1, data });
    const keyDenied = await callSvs(svs.endpoint, 'SVS_SignData', { appName: 'signer1', password: OTHER, keyIndex: 2, data });
    const ipDenied = await callSvs(svs.endpoint, 'SVS_GenRandom', { appName: 'fenced', password: OTHER, length: 8 });
    const codes = [unknown, wrongPw, opDenied, keyDenied, ipDenied].map((r) => Number(r.fields.result));
    assert.deepEqual(codes, [C.APP_UNKNOWN.code, C.APP_PASSWORD.code, C.OP_DENIED.code, C.KEY_DENIED.code, C.IP_DENIED.code]);
    assert.equal(new Set(codes).size, 5);
    assert.match(unknown.fields.message, /应用 'nobody' 未在签名服务器配置/);
    assert.match(opDenied.fields.message, /verifier 不能调用 SVS_SignData/);
    assert.match(keyDenied.fields.message, /signer1 不能使用密钥索引 2/);
    assert.match(ipDenied.fields.message, /127\.0\.0\.1/);
    for (const r of [unknown, wrongPw, opDenied, keyDenied, ipDenied]) {
      assert.equal(r.status, 200, 'refusals are answers with a code, not faults');
      assert.equal(r.fields.signature, undefined);
      assert.doesNotMatch(r.body, /not-the-password|other-app-password/, 'a password is never echoed');
    }
  });

  it('lets each application do exactly what its rule says', async () => {
    const verify = await callSvs(svs.endpoint, 'SVS_GenRandom', { appName: 'verifier', password: OTHER, length: 8 });
    assert.equal(verify.fields.result, '0');
    const sign = await callSvs(svs.endpoint, 'SVS_SignMessage', { appName: 'signer1', password: OTHER, keyIndex: 1, data: Buffer.from('y') });
    assert.equal(sign.fields.result, '0', sign.fields.message);
    const hash = await callSvs(svs.endpoint, 'SVS_Hash', { appName: 'signer1', password: OTHER, data: Buffer.from('y') });
    assert.equal(Number(hash.fields.result), C.OP_DENIED.code);
  });

  it('a wrong password repeated is still refused, and the right one still works afterwards', async () => {
    for (let i = 0; i < 3; i++) assert.equal(Number((await callSvs(svs.endpoint, 'SVS_GenRandom', { password: 'guess', length: 4 })).fields.result), C.APP_PASSWORD.code);
    assert.equal((await callSvs(svs.endpoint, 'SVS_GenRandom', { length: 4 })).fields.result, '0');
  });

  it('writes one audit row per private-key use, with the SM3 of the data and the return code, refusals included', async () => {
    const before = (await svs.server.audit.rows()).length;
    const secret = Buffer.from('患者 张三 身份证 440106199001011234 — must never be stored', 'utf8');
    const encCert = certificateDer(svs.pki.unitEncryption.certificatePem);
    const env = makeEnvelope(secret, encCert);
    const calls = [
      await callSvs(svs.endpoint, 'SVS_SignData', { keyIndex: 1, data: secret }),
      await callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data: secret }),
      await callSvs(svs.endpoint, 'SVS_OpenEnvelope', { keyIndex: 2, envelope: env }),
      await callSvs(svs.endpoint, 'SVS_SignMessage', { appName: 'signer1', password: OTHER, keyIndex: 2, data: secret }),
      await callSvs(svs.endpoint, 'SVS_SignData', { password: 'wrong', keyIndex: 1, data: secret }),
      // not private-key uses: no audit rows
      await callSvs(svs.endpoint, 'SVS_Hash', { data: secret }),
      await callSvs(svs.endpoint, 'SVS_ExportCert', { keyIndex: 1 }),
      await callSvs(svs.endpoint, 'SVS_MakeEnvelope', { cert: encCert, data: secret }),
    ];
    const rows = (await svs.server.audit.rows()).slice(before);
    assert.deepEqual(
      rows.map((r) => [r.app_name, r.op, r.key_index, r.result]),
      [
        [DEMO_APP, 'SVS_SignData', 1, 0],
        [DEMO_APP, 'SVS_SignMessage', 1, 0],
        [DEMO_APP, 'SVS_OpenEnvelope', 2, 0],
        ['signer1', 'SVS_SignMessage', 2, C.KEY_DENIED.code],
        [DEMO_APP, 'SVS_SignData', 1, C.APP_PASSWORD.code],
      ],
    );
    assert.deepEqual(
      rows.map((r) => r.data_sm3),
      [sm3(secret), sm3(secret), sm3(env), sm3(secret), sm3(secret)],
    );
    for (const r of rows) {
      assert.equal(r.client_ip, '127.0.0.1');
      assert.ok(Math.abs(Number(r.at) - Date.now()) < 60_000);
    }
    assert.equal(calls[0].fields.result, '0');

    // Neither the data nor any password is in the audit database file.
    await svs.server.audit.db.raw('PRAGMA wal_checkpoint(FULL)');
    const file = readFileSync(path.join(svs.dir, 'svs-audit.sqlite'));
    for (const needle of [secret.toString('utf8'), secret.toString('base64'), '440106199001011234', DEMO_CA_PASSWORD, OTHER]) {
      assert.equal(file.includes(Buffer.from(needle, 'utf8')), false, `audit DB holds '${needle.slice(0, 20)}…'`);
    }
  });

  it('replies to a private-key use only after its audit row is committed', async () => {
    const n0 = svs.server.audit.written;
    const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => callSvs(svs.endpoint, 'SVS_SignMessage', { keyIndex: 1, data: Buffer.from(`bill ${i}`) })));
    assert.ok(replies.every((r) => r.fields.result === '0'));
    assert.equal(svs.server.audit.written - n0, 40, 'all 40 rows committed by the time the 40 replies arrived');
  });
});
