/**
 * The SVS contract: the committed wsdl/svs.wsdl is what the server serves (only soap:address differs,
 * naming the host the client used) and what it reads its operation table from; every WSDL operation
 * has a handler and the reverse; and a third-party SOAP stack (node-soap's client) can consume the
 * WSDL and call the server — the hand-rolled parser behind it is a faithful document/literal service.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as soap from 'soap';
import { loadContract, SVS_WSDL_FILE } from '../../adapters/ca/svs/contract';
import { OPERATIONS } from '../../adapters/ca/svs/operations';
import { DEMO_CA_PASSWORD } from '../../src/config';
import { verifyP7 } from '../../src/crypto';
import { DEMO_APP, startTestSvs, TestSvs } from './helpers';

describe('svs WSDL', function () {
  this.timeout(60_000);
  let svs: TestSvs;
  before(async () => {
    svs = await startTestSvs();
  });
  after(async () => svs.stop());

  it('serves the committed wsdl/svs.wsdl byte for byte, except soap:address which names this server', async () => {
    const committed = readFileSync(SVS_WSDL_FILE, 'utf8');
    const res = await fetch(`${svs.endpoint}?wsdl`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    const served = await res.text();
    const addresses = [...served.matchAll(/<soap(?:12)?:address location="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(addresses, [svs.endpoint, svs.endpoint]);
    const back = served.replace(/(<soap(?:12)?:address location=")[^"]*(")/g, '$1http://127.0.0.1:17002/svs$2');
    assert.equal(back, committed);
    assert.equal(await (await fetch(`${svs.endpoint}?WSDL`)).text(), served, '?WSDL as well');
  });

  it('names the host the client used in soap:address', async () => {
    const res = await fetch(`http://localhost:${svs.port}/svs?wsdl`);
    assert.match(await res.text(), new RegExp(`location="http://localhost:${svs.port}/svs"`));
  });

  it('declares exactly the operations the server implements, GM/T 0029 names plus the envelope calls', () => {
    const c = loadContract();
    assert.deepEqual([...c.operations.keys()].sort(), Object.keys(OPERATIONS).sort());
    for (const name of [
      'SVS_ExportCert',
      'SVS_ParseCert',
      'SVS_ValidateCert',
      'SVS_SignData',
      'SVS_VerifySignedData',
      'SVS_SignMessage',
      'SVS_VerifySignedMessage',
      'SVS_MakeEnvelope',
      'SVS_OpenEnvelope',
      'SVS_Hash',
      'SVS_GenRandom',
    ])
      assert.ok(c.operations.has(name), name);
    for (const op of c.operations.values()) {
      assert.deepEqual(op.response.slice(0, 2).map((f) => f.name), ['result', 'message'], `${op.name} replies start with result, message`);
      assert.deepEqual(op.request.slice(0, 2).map((f) => f.name), ['appName', 'password'], `${op.name} authenticates an application`);
      assert.equal(op.request.some((f) => f.name === 'keyIndex'), OPERATIONS[op.name].keyUse !== undefined, `${op.name}: keyIndex exactly where a key is used`);
      assert.equal(op.soapAction, `${c.namespace}/${op.name}`);
    }
  });

  it('a node-soap client built from /svs?wsdl calls the server (SOAP 1.1 port)', async () => {
    const client = await soap.createClientAsync(`${svs.endpoint}?wsdl`);
    const data = Buffer.from('<Header>h</Header><EInvoiceData>d</EInvoiceData>', 'utf8');
    // node-soap's generated methods are untyped: the WSDL is the type.
    const [signed] = (await client.SVS_SignMessageAsync({ appName: DEMO_APP, password: DEMO_CA_PASSWORD, keyIndex: 1, data: data.toString('base64') })) as [
      { result: number | string; message: string; signedMessage: string },
    ];
    assert.equal(String(signed.result), '0', signed.message);
    assert.equal(verifyP7(Buffer.from(signed.signedMessage, 'base64'), { content: data }).valid, true);
    const [rnd] = (await client.SVS_GenRandomAsync({ appName: DEMO_APP, password: DEMO_CA_PASSWORD, length: 12 })) as [{ result: number | string; random: string }];
    assert.equal(Buffer.from(rnd.random, 'base64').length, 12);
    const [denied] = (await client.SVS_GenRandomAsync({ appName: DEMO_APP, password: 'wrong', length: 12 })) as [{ result: number | string; message: string }];
    assert.equal(String(denied.result), String(0x04000102));
  });

  it('the same node-soap client works against the node-soap engine (same WSDL, same answers)', async () => {
    const other = await startTestSvs({ svs: { engine: 'node-soap' } });
    try {
      const client = await soap.createClientAsync(`${other.endpoint}?wsdl`);
      const data = Buffer.from('abc');
      const [signed] = (await client.SVS_SignMessageAsync({ appName: DEMO_APP, password: DEMO_CA_PASSWORD, keyIndex: 1, data: data.toString('base64'), isOriginalText: true })) as [
        { result: number | string; signedMessage: string },
      ];
      assert.equal(String(signed.result), '0');
      const v = verifyP7(Buffer.from(signed.signedMessage, 'base64'));
      assert.equal(v.valid, true);
      assert.ok(v.content?.equals(data));
    } finally {
      await other.stop();
    }
  });
});
