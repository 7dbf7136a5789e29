/**
 * The README's production walk-through, run literally: the fenced block under "Production: loading
 * bill stock" is read from README.md and each line executed as written (the config path and
 * settlement.json replaced by this test's files). A real `medbill start` in production mode (a test
 * unit key, real secrets, no demo anything) has no stock, so an issue is E2003 naming the place and
 * the kind; the administrator's `medbill stock` commands load a range; the same issue is then S0000
 * with the first number, and the ledger shows receipt, distribution and the blue bill.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { certificateToPem, sm2PrivateKey, sm2PrivateKeyToPem } from '../../src/crypto';
import { freePort, tempDir } from '../ca/helpers';
import { callJson } from '../helpers/app';
import { runCli } from '../helpers/cli';
import { makeCert, makeRoot } from '../helpers/pki-fixtures';
import { Medbill, sample, startMedbill, stopMedbill } from '../his/his-helpers';

const README = path.resolve(__dirname, '..', '..', '..', 'README.md');

function walkthroughLines(): string[] {
  const text = readFileSync(README, 'utf8');
  const at = text.indexOf('## Production: loading bill stock');
  assert.ok(at >= 0, 'README has the production walk-through');
  const block = /```\n([\s\S]*?)```/.exec(text.slice(at));
  assert.ok(block, 'the walk-through has a command block');
  return block[1].split('\n').map((l) => l.trim()).filter(Boolean);
}

describe('README production walk-through: start with no stock, receive and distribute, issue', function () {
  this.timeout(120_000);
  const dir = tempDir('medbill-walk-');
  let server: Medbill | undefined;
  after(async () => {
    await stopMedbill(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs line by line: E2003 before the stock, S0000 0000000001 after it', async () => {
    const root = makeRoot('Hospital CA');
    const leaf = makeCert(root, 'medbill unit signing');
    if (leaf.key.kind !== 'sm2') throw new Error('fixture');
    const keyFile = path.join(dir, 'unit.pem');
    writeFileSync(keyFile, certificateToPem(leaf.cert.der) + sm2PrivateKeyToPem(sm2PrivateKey(leaf.key.privateKey, leaf.key.publicKey)));
    const port = await freePort();
    const cfgFile = path.join(dir, 'medbill.yaml');
    const appid = 'HIS-WALK';
    const key = 'a-real-key-0123456789abcdef0123';
    writeFileSync(
      cfgFile,
      JSON.stringify({
        mode: 'production',
        server: { port, host: '127.0.0.1' },
        db: { url: `sqlite:${path.join(dir, 'medbill.sqlite')}` },
        dataDir: path.join(dir, 'data'),
        callers: [{ appid, key }],
        unit: { checkCodeSecret: 'a-real-check-code-secret' },
        signer: { mode: 'in-process', keyFile },
        svs: { start: false },
        finance: { start: false, url: 'http://127.0.0.1:9' },
        ca: { password: 'from-the-vault' },
        log: { dir: '', level: 'error' },
      }),
    );
    const settlementFile = path.join(dir, 'settlement.json');
    const settlement = sample('WALK-1');
    settlement.placeCode = 'MZSF02';
    writeFileSync(settlementFile, JSON.stringify(settlement));

    const env: NodeJS.ProcessEnv = { ...process.env, MEDBILL_QUIET: '1', MEDBILL_LOG_DIR: '' };
    const outputs: string[] = [];
    for (const line of walkthroughLines()) {
      const words = line.split(/\s+/);
      if (words[0] === 'export') {
        for (const kv of words.slice(1)) {
          const [k, v] = kv.split('=');
          env[k] = k === 'MEDBILL_CONFIG' ? cfgFile : v;
        }
        continue;
      }
      assert.equal(words[0], 'medbill', line);
      if (words[1] === 'start') {
        assert.equal(env.NODE_ENV, 'production');
        server = await startMedbill(env);
        const before = await callJson(server.baseUrl, 'invoiceEBillOutpatient', settlement, { appid, key });
        assert.equal(before.result, 'E2003', before.text);
        assert.equal(before.text, '开票点编码 MZSF02 没有可用的门诊（outpatient）电子票据号码（未分发号段或已用完），请票据管理员向该开票点分发号段后重试');
        continue;
      }
      const r = await runCli(words.slice(1).map((w) => (w === 'settlement.json' ? settlementFile : w)), env);
      assert.equal(r.code, 0, `${line}\n${r.stderr}${r.stdout}`);
      outputs.push(`$ ${line}\n${r.stdout}`);
    }
    const all = outputs.join('\n');
    assert.match(all, /MZSF02\s+ebill\s+门诊（outpatient）\s+44060126\s+0000000001-0000001000\s+1000/, 'the list shows the distributed range');
    assert.match(all, /result: S0000/);
    assert.match(all, /"billNo": "0000000001"/, 'the first number of the range');
    assert.match(all, /领入（财政）[\s\S]*分发至开票点[\s\S]*开具蓝票  44060126 0000000001  开票点 MZSF02  busNo WALK-1/, all);
  });
});
