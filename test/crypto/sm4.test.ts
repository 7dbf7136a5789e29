/** SM4 against the GB/T 32907 known answers and the CBC example of draft-ribose-cfrg-sm4 (also what `openssl enc -sm4-cbc` gives); padding and misuse. */
import { strict as assert } from 'node:assert';
import { createCipheriv, randomBytes } from 'node:crypto';
import { generateSm4Key, sm4CbcDecrypt, sm4CbcEncrypt, sm4Decrypt, sm4EcbDecrypt, sm4EcbEncrypt, sm4Encrypt } from '../../src/crypto';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const KEY = hex('0123456789abcdeffedcba9876543210');

describe('sm4', () => {
  it('GB/T 32907 example 1: one block', () => {
    assert.equal(sm4Encrypt(KEY, KEY, { mode: 'ecb', padding: false }).toString('hex'), '681edf34d206965e86b3e94f536e4246');
    assert.ok(sm4Decrypt(hex('681edf34d206965e86b3e94f536e4246'), KEY, { mode: 'ecb', padding: false }).equals(KEY));
  });

  it('GB/T 32907 example 2: 1,000,000 encryptions', function () {
    this.timeout(30_000);
    const c = createCipheriv('sm4-ecb', KEY, null).setAutoPadding(false);
    let block = KEY;
    for (let i = 0; i < 1_000_000; i++) block = c.update(block);
    assert.equal(block.toString('hex'), '595298c7c6fd271f0402f804c33d3f66');
    // and our wrapper agrees with the raw cipher on the first step
    assert.ok(sm4EcbEncrypt(KEY, KEY).subarray(0, 16).equals(hex('681edf34d206965e86b3e94f536e4246')));
  });

  it('CBC example from draft-ribose-cfrg-sm4, no padding', () => {
    const pt = hex('aaaaaaaabbbbbbbbccccccccddddddddeeeeeeeeffffffffaaaaaaaabbbbbbbb');
    const iv = hex('000102030405060708090a0b0c0d0e0f');
    const ct = sm4Encrypt(pt, KEY, { mode: 'cbc', iv, padding: false });
    assert.equal(ct.toString('hex'), '78ebb11cc40b0a48312aaeb2040244cb4cb7016951909226979b0d15dc6a8f6d');
    assert.ok(sm4Decrypt(ct, KEY, { iv, padding: false }).equals(pt));
  });

  it('PKCS#7 padding: always 1–16 bytes, a full block for aligned input', () => {
    const iv = randomBytes(16);
    for (const n of [0, 1, 15, 16, 17, 2048]) {
      const pt = randomBytes(n);
      const ct = sm4CbcEncrypt(pt, KEY, iv);
      assert.equal(ct.length, (Math.floor(n / 16) + 1) * 16);
      assert.ok(sm4CbcDecrypt(ct, KEY, iv).equals(pt));
      const e = sm4EcbEncrypt(pt, KEY);
      assert.ok(sm4EcbDecrypt(e, KEY).equals(pt));
      // the padding of a one-block-or-less message decrypts to n pad bytes of value 16 - n % 16
      const raw = sm4Decrypt(ct, KEY, { iv, padding: false });
      assert.equal(raw[raw.length - 1], 16 - (n % 16));
    }
  });

  it('ECB leaks equal blocks, CBC does not (so envelopes use CBC)', () => {
    const pt = Buffer.alloc(32, 7);
    const ecb = sm4EcbEncrypt(pt, KEY);
    assert.ok(ecb.subarray(0, 16).equals(ecb.subarray(16, 32)));
    const cbc = sm4CbcEncrypt(pt, KEY, randomBytes(16));
    assert.ok(!cbc.subarray(0, 16).equals(cbc.subarray(16, 32)));
  });

  it('decrypting with the wrong key is refused by the padding check', () => {
    const iv = randomBytes(16);
    const ct = sm4CbcEncrypt(Buffer.from('医疗电子票据'), KEY, iv);
    let refused = 0;
    for (let i = 0; i < 20; i++) {
      try {
        const out = sm4CbcDecrypt(ct, generateSm4Key(), iv);
        assert.ok(!out.equals(Buffer.from('医疗电子票据')));
      } catch {
        refused++;
      }
    }
    assert.ok(refused >= 17, `only ${refused}/20 wrong keys refused`);
  });

  it('rejects bad key and IV sizes, and unaligned input without padding', () => {
    assert.throws(() => sm4CbcEncrypt(Buffer.from('x'), Buffer.alloc(15), Buffer.alloc(16)), /16 bytes/);
    assert.throws(() => sm4CbcEncrypt(Buffer.from('x'), KEY, Buffer.alloc(8)), /IV/);
    assert.throws(() => sm4Encrypt(Buffer.from('x'), KEY, { mode: 'cbc' }), /IV/);
    assert.throws(() => sm4Encrypt(Buffer.alloc(5), KEY, { mode: 'ecb', padding: false }));
    assert.equal(generateSm4Key().length, 16);
  });
});
