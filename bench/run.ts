/**
 * `npm run bench`: every benchmark in turn. Each prints human lines and one JSON line per figure.
 * Benchmarks are measured here, never timed in tests. Pass --quick for shorter runs while developing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const quick = process.argv.includes('--quick');

interface BenchModule {
  run(opts?: Record<string, unknown>): Promise<unknown>;
}

async function section(name: string, file: string, opts: Record<string, unknown> = {}): Promise<void> {
  const p = path.join(__dirname, file);
  if (!existsSync(p)) return;
  process.stdout.write(`\n== ${name}\n`);
  const mod = require(p) as Partial<BenchModule>;
  if (typeof mod.run === 'function') await mod.run(opts);
}

async function main(): Promise<void> {
  await section('crypto core (in-process)', 'crypto.js');
  await section('CA: in-process and through the SOAP signature server', 'ca.js');
  await section('HIS SOAP channel', 'soap-channel.js');
  await section('bounded work per request: event-loop blocks of the largest legal and of hostile requests', 'validation.js', { n: quick ? 3 : 7 });
  await section('outbox backlog count (gauges, /readyz)', 'outbox.js', { done: quick ? 50_000 : 500_000 });
  // The embedded default signs through the SVS (signer.mode auto with the SVS started); in-process
  // signing is the other option, measured too.
  await section('issuance through the JSON channel, embedded defaults (SVS signer)', 'issuance.js', { seconds: quick ? 5 : 20, clients: 100, signer: 'svs' });
  await section('issuance through the JSON channel, in-process signer', 'issuance.js', { seconds: quick ? 5 : 20, clients: 100, signer: 'in-process' });
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack}\n`);
  process.exit(1);
});
