/**
 * Crypto core throughput, single thread, in-process: each operation runs for ~1.5 s in total (in
 * interleaved 250 ms turns) after a short warm-up, on a 2 KB message (the size of a fiscal e-bill's signed text). Prints a human line and one
 * JSON line per operation, e.g. {"bench":"crypto","op":"p7.sign","opsPerSec":1234,"mode":"in-process"}.
 *
 *   node dist/bench/crypto.js [--seconds 1.5]
 */
import { randomBytes } from 'node:crypto';
import {
  buildCertificate,
  createDetachedSigner,
  generateRsaKeyPair,
  generateSm2KeyPair,
  makeEnvelope,
  openEnvelope,
  prepareRecipient,
  publicKeyTable,
  rsaSign,
  rsaVerify,
  signP7,
  sm2PrivateKey,
  sm2Sign,
  sm2Verify,
  sm3,
  sm4CbcEncrypt,
  verifyP7,
} from '../src/crypto';

interface BenchResult {
  op: string;
  opsPerSec: number;
  note: string;
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

/**
 * Calls per second for every op. The ops take turns in 250 ms slices until each has had `seconds`,
 * so a noisy neighbour on a shared VM slows them all alike and the ratios between rows stay meaningful.
 */
function measureAll(fns: Array<() => unknown>, seconds: number): number[] {
  const slice = 250_000_000n;
  const calls = fns.map(() => 0);
  const nanos = fns.map(() => 0n);
  for (const fn of fns) {
    const warmEnd = Date.now() + 200;
    while (Date.now() < warmEnd) fn();
  }
  const rounds = Math.max(1, Math.round((seconds * 1e9) / Number(slice)));
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const start = process.hrtime.bigint();
      let elapsed = 0n;
      // check the clock every 8 calls: cheap ops (SM3 of 2 KB ≈ 10 µs) should not be dominated by hrtime
      while (elapsed < slice) {
        for (let k = 0; k < 8; k++) fn();
        calls[i] += 8;
        elapsed = process.hrtime.bigint() - start;
      }
      nanos[i] += elapsed;
    });
  }
  return calls.map((n, i) => n / (Number(nanos[i]) / 1e9));
}

function report(r: BenchResult): void {
  const rate = Math.round(r.opsPerSec);
  console.log(`${r.op.padEnd(18)} ${rate.toLocaleString('en-US').padStart(9)} ops/s   ${r.note}`);
  console.log(JSON.stringify({ bench: 'crypto', op: r.op, opsPerSec: rate, mode: 'in-process' }));
}

export async function run(): Promise<void> {
  const seconds = arg('seconds', 1.5);
  const msg = randomBytes(2048);

  const kp = generateSm2KeyPair();
  const key = sm2PrivateKey(kp.privateKey, kp.publicKey);
  const now = new Date();
  const certDer = buildCertificate({
    subject: 'C=CN, O=medbill bench hospital, CN=开票单位签名',
    signingKey: key,
    notBefore: now,
    notAfter: new Date(now.getTime() + 365 * 86_400_000),
    keyUsage: ['digitalSignature', 'nonRepudiation', 'keyEncipherment'],
  });

  const ops: Array<{ op: string; note: string; fn: () => unknown }> = [];

  ops.push({ op: 'sm2.sign', note: 'raw SM2 (Z, SM3, DER r,s), 2 KB', fn: () => sm2Sign(msg, kp.privateKey, kp.publicKey) });

  const rawSig = sm2Sign(msg, kp.privateKey, kp.publicKey);
  const table = publicKeyTable(kp.publicKey);
  ops.push({ op: 'sm2.verify', note: 'raw SM2, cached public-key table', fn: () => sm2Verify(msg, rawSig, table) });

  const fast = createDetachedSigner({ privateKey: key, certDer });
  ops.push({ op: 'p7.sign', note: `GM/T 0010 detached, fast path, cert embedded (${fast(msg).length} B out)`, fn: () => fast(msg) });
  ops.push({
    op: 'p7.sign.general',
    note: 'same output through the general builder (re-prepares the signer each call)',
    fn: () => signP7(msg, { privateKey: key, certDer, detached: true }),
  });

  const p7 = fast(msg);
  if (!verifyP7(p7, { content: msg }).valid) throw new Error('bench: p7 does not verify');
  ops.push({ op: 'p7.verify', note: 'parse + cert + SM2 verify (table cached after first sight)', fn: () => verifyP7(p7, { content: msg }) });

  const recipient = prepareRecipient(certDer);
  ops.push({ op: 'envelope.make', note: 'GM: SM4-CBC + SM2 key transport, prepared recipient, 2 KB', fn: () => makeEnvelope(msg, recipient) });

  const env = makeEnvelope(msg, recipient);
  const opened = openEnvelope(env, { privateKey: key, certDer });
  if (!opened.ok || !opened.content.equals(msg)) throw new Error('bench: envelope does not open');
  ops.push({ op: 'envelope.open', note: 'GM: SM2 decrypt of the key + SM4-CBC', fn: () => openEnvelope(env, { privateKey: key, certDer }) });

  ops.push({ op: 'sm3.2k', note: 'SM3 of 2 KB (Node/OpenSSL)', fn: () => sm3(msg) });
  const sm4Key = randomBytes(16);
  const iv = randomBytes(16);
  ops.push({ op: 'sm4cbc.2k', note: 'SM4-CBC encrypt 2 KB with PKCS#7 padding', fn: () => sm4CbcEncrypt(msg, sm4Key, iv) });

  const rsa = generateRsaKeyPair(2048);
  const rsaSig = rsaSign(msg, rsa.privateKey, 'sha256');
  ops.push({ op: 'rsa2048.sign', note: 'PKCS#1 v1.5 SHA-256', fn: () => rsaSign(msg, rsa.privateKey, 'sha256') });
  ops.push({ op: 'rsa2048.verify', note: 'PKCS#1 v1.5 SHA-256', fn: () => rsaVerify(msg, rsaSig, rsa.publicKey, 'sha256') });

  console.log(`crypto bench: Node ${process.version}, OpenSSL ${process.versions.openssl}, ${seconds}s per op in 250 ms turns, 1 thread`);
  const rates = measureAll(
    ops.map((o) => o.fn),
    seconds,
  );
  ops.forEach((o, i) => report({ op: o.op, note: o.note, opsPerSec: rates[i] }));
  const rateOf = (op: string): number => rates[ops.findIndex((o) => o.op === op)];
  console.log(`p7.sign runs at ${Math.round((100 * rateOf('p7.sign')) / rateOf('sm2.sign'))}% of raw sm2.sign (same slices, so load-independent)`);
}

if (require.main === module) {
  run().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
