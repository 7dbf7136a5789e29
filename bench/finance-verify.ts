/**
 * The finance-upload job's supervisory-signature check (src/engine/cpu-worker.ts `verifyP7Detached`):
 * verifications per second through the worker pool, and what the event loop feels meanwhile (its
 * longest delay), beside the same work done on the event loop. Real demo PKI, real finance signature.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadOrCreateDemoPki } from '../adapters/ca/key-material';
import { FinanceTrust } from '../adapters/finance/simulator/trust';
import { CpuPool } from '../src/engine/cpu-pool';

export async function run(opts: { n?: number; threads?: number } = {}): Promise<void> {
  const n = opts.n ?? 400;
  const threads = opts.threads ?? 2;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-fv-'));
  try {
    const pki = loadOrCreateDemoPki(dir);
    const trust = new FinanceTrust(pki);
    const content = `<Header><EInvoiceTag>ZZS</EInvoiceTag></Header><EInvoiceData>${'<Item>药品费 12.50</Item>'.repeat(40)}</EInvoiceData>`;
    const sup = trust.signSupervisor(content);
    const task = { op: 'verifyP7Detached' as const, content, signature: sup.signature, trustRootsPem: pki.financeCa.certificatePem, at: Date.now() };

    const pool = new CpuPool(threads);
    try {
      const warm = await pool.run(task);
      if (!warm.verdict?.verified) throw new Error(`bench: the supervisory signature does not verify: ${warm.verdict?.detail}`);
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: n }, () => pool.run(task)));
      const ms = performance.now() - t0;
      h.disable();
      const rate = Math.round((n / ms) * 1000);
      const maxLag = Math.round(h.max / 1e6);
      console.log(`pool (${threads} threads)   ${rate.toLocaleString('en-US').padStart(7)} verifications/s   event loop max delay ${maxLag} ms over ${n}`);
      console.log(JSON.stringify({ bench: 'finance-verify', mode: 'pool', threads, opsPerSec: rate, maxEventLoopDelayMs: maxLag, n }));
    } finally {
      await pool.close();
    }

    const t1 = performance.now();
    for (let i = 0; i < n; i++) await trust.verifySupervisor(content, sup.signature, new Date());
    const each = (performance.now() - t1) / n;
    console.log(`event loop          ${Math.round(1000 / each).toLocaleString('en-US').padStart(7)} verifications/s   each blocks the loop ~${each.toFixed(2)} ms`);
    console.log(JSON.stringify({ bench: 'finance-verify', mode: 'event-loop', opsPerSec: Math.round(1000 / each), blockMsEach: Number(each.toFixed(2)), n }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
