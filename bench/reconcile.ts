/**
 * Two figures of issue 8, each from one medbill process on the embedded defaults (fresh data dir,
 * in-process signer, 100 keep-alive clients):
 *
 * `batch` — batch issuance beside single-bill issuance in the same run: first `seconds` of single
 * invoiceEBillOutpatient calls (bills/s), then 20 batches of 200 (batchInvoiceEBillOutpatient) posted
 * at once and getBatchInvoiceEBill polled until every item is issued or refused: bills/s from the
 * first accept to the last item issued. Where the batch services are not in this build (E0004) it
 * says so and prints the single-bill part only.
 *
 * `underLoad` — p50/p99 of getEBillByBusNo and checkTotalData (the busDate every bench bill has, so
 * the day grows through the run) from one probe client each, while the clients issue at full speed.
 *
 *   node dist/bench/reconcile.js [--seconds 10] [--clients 100] [--batches 20] [--size 200]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { post, signedBody } from './his-client';
import { percentile, round1 } from './issuance';
import { freePort, MedbillProcess, spawnMedbill, waitHealthy } from './server';
import { outpatientSettlement } from './settlement';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

interface Server {
  port: number;
  agent: http.Agent;
  stop(): Promise<void>;
}

/** medbill in its own process; the outbox runs (batches are issued through it), finance stays off. */
async function startServer(clients: number): Promise<Server> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medbill-bench-recon-'));
  const port = await freePort();
  const configFile = path.join(dir, 'bench.yaml');
  writeFileSync(
    configFile,
    'log: { dir: "", stdout: false }\nfinance: { start: false }\nsvs: { start: false }\nsigner: { mode: in-process }\n' +
      'limits: { his: { perIp: { rate: 0, burst: 0 }, perAppid: { rate: 0, burst: 0 } } }\noutbox: { pollMs: 50, batch: 200 }\n',
  );
  let server: MedbillProcess | undefined = spawnMedbill({ port, configFile, dataDir: dir, dbUrl: `sqlite:${dir}/medbill.sqlite`, nodeArgs: ['--max-semi-space-size=64'] });
  await waitHealthy(`http://127.0.0.1:${port}/readyz`, 30_000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients + 4 });
  return {
    port,
    agent,
    async stop() {
      agent.destroy();
      if (server) {
        server.child.kill('SIGTERM');
        await server.exited;
        server = undefined;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `clients` loops issuing distinct busNos until `until()`; returns the bills issued and the elapsed seconds. */
async function issueLoad(s: Server, tag: string, clients: number, until: () => boolean): Promise<{ ok: number; failed: number; elapsed: number; busNos: string[] }> {
  let seq = 0;
  let ok = 0;
  let failed = 0;
  const busNos: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!until()) {
        const i = seq++;
        const busNo = `${tag}-${i}`;
        const a = await post(s.agent, s.port, 'invoiceEBillOutpatient', signedBody(outpatientSettlement(busNo, i)));
        if (a.kind === 'answer' && a.result === 'S0000') {
          ok++;
          if (busNos.length < 1000) busNos.push(busNo);
        } else failed++;
      }
    }),
  );
  return { ok, failed, elapsed: (performance.now() - t0) / 1000, busNos };
}

const forSeconds = (seconds: number) => {
  const stopAt = performance.now() + seconds * 1000;
  return () => performance.now() >= stopAt;
};

export async function batch(opts: { seconds?: number; clients?: number; batches?: number; size?: number } = {}): Promise<Record<string, unknown>> {
  const seconds = opts.seconds ?? Number(arg('seconds', '10'));
  const clients = opts.clients ?? Number(arg('clients', '100'));
  const batches = opts.batches ?? Number(arg('batches', '20'));
  const size = opts.size ?? Number(arg('size', '200'));
  const s = await startServer(clients);
  try {
    const runId = Date.now().toString(36);
    await issueLoad(s, `W${runId}`, clients, forSeconds(1)); // warm-up
    const single = await issueLoad(s, `S${runId}`, clients, forSeconds(seconds));
    const singleRate = Math.round(single.ok / single.elapsed);
    const result: Record<string, unknown> = { bench: 'batch-issuance', clients, singleBills: single.ok, singleFailed: single.failed, singleBillsPerSec: singleRate };

    let seq = 1_000_000;
    const bodies = Array.from({ length: batches }, (_, b) => {
      const eBillList = Array.from({ length: size }, () => {
        const i = seq++;
        return outpatientSettlement(`P${runId}-${b}-${i}`, i);
      });
      return { batchNo: `BATCH-${runId}-${b}`, body: signedBody({ batchNo: `BATCH-${runId}-${b}`, eBillList }) };
    });
    const t0 = performance.now();
    const accepts = await Promise.all(bodies.map((b) => post(s.agent, s.port, 'batchInvoiceEBillOutpatient', b.body, 120_000)));
    const refused = accepts.find((a) => a.kind !== 'answer' || a.result !== 'S0000');
    if (refused) {
      const why = refused.kind === 'answer' ? `${refused.result} ${refused.text}` : refused.error;
      process.stdout.write(`single-bill issuance: ${singleRate} bills/s (${single.ok} bills, ${single.failed} failed)\n` + `batch issuance: not measured — batchInvoiceEBillOutpatient answered ${why.slice(0, 120)} (the batch services are not in this build)\n` + JSON.stringify({ ...result, batch: 'not in this build' }) + '\n');
      return result;
    }
    const acceptedMs = performance.now() - t0;
    let issued = 0;
    let failedItems = 0;
    const pending = new Set(bodies.map((b) => b.batchNo));
    while (pending.size) {
      await new Promise((r) => setTimeout(r, 100));
      for (const batchNo of [...pending]) {
        const a = await post(s.agent, s.port, 'getBatchInvoiceEBill', signedBody({ batchNo }));
        if (a.kind !== 'answer' || a.result !== 'S0000') continue;
        const items = (JSON.parse(a.text) as { eBillList: { status: number | string }[] }).eBillList;
        if (items.length === size && items.every((x) => String(x.status) !== '0')) {
          pending.delete(batchNo);
          issued += items.filter((x) => String(x.status) === '1').length;
          failedItems += items.filter((x) => String(x.status) === '2').length;
        }
      }
      if (performance.now() - t0 > 600_000) throw new Error(`batches still pending after 10 minutes: ${pending.size}`);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const batchRate = Math.round(issued / elapsed);
    Object.assign(result, { batches, size, batchBills: issued, batchFailed: failedItems, acceptMs: round1(acceptedMs), batchSeconds: round1(elapsed), batchBillsPerSec: batchRate, batchVsSingle: Math.round((batchRate / Math.max(1, singleRate)) * 100) / 100 });
    process.stdout.write(
      `single-bill issuance (${clients} clients, ${round1(single.elapsed)}s): ${singleRate} bills/s\n` +
        `batch issuance (${batches} × ${size}, accepted in ${round1(acceptedMs)} ms, last item issued after ${round1(elapsed)} s): ${batchRate} bills/s ` +
        `(${Math.round((batchRate / Math.max(1, singleRate)) * 100)}% of single), ${failedItems} refused\n` +
        JSON.stringify(result) +
        '\n',
    );
    return result;
  } finally {
    await s.stop();
  }
}

export async function underLoad(opts: { seconds?: number; clients?: number } = {}): Promise<Record<string, unknown>> {
  const seconds = opts.seconds ?? Number(arg('seconds', '10'));
  const clients = opts.clients ?? Number(arg('clients', '100'));
  const s = await startServer(clients);
  try {
    const runId = Date.now().toString(36);
    const warm = await issueLoad(s, `W${runId}`, clients, forSeconds(2));
    const done = forSeconds(seconds);
    const probe = async (service: string, data: () => unknown): Promise<number[]> => {
      const ms: number[] = [];
      while (!done()) {
        const a = await post(s.agent, s.port, service, signedBody(data()));
        if (a.kind === 'answer' && a.result === 'S0000') ms.push(a.ms);
        else throw new Error(`${service}: ${a.kind === 'answer' ? `${a.result} ${a.text}` : a.error}`);
      }
      return ms.sort((x, y) => x - y);
    };
    let k = 0;
    const [load, byBusNo, totals] = await Promise.all([
      issueLoad(s, `L${runId}`, clients, done),
      probe('getEBillByBusNo', () => ({ busNo: warm.busNos[k++ % warm.busNos.length], busDateTime: '20261125093015123' })),
      probe('checkTotalData', () => ({ busDate: '2026-11-25', pageSize: '200' })),
    ]);
    const rate = Math.round(load.ok / load.elapsed);
    const result = {
      bench: 'queries-under-issuance',
      clients,
      seconds: round1(load.elapsed),
      issuanceBillsPerSec: rate,
      billsOfTheDayAtEnd: warm.ok + load.ok,
      getEBillByBusNo: { calls: byBusNo.length, p50ms: round1(percentile(byBusNo, 50)), p99ms: round1(percentile(byBusNo, 99)) },
      checkTotalData: { calls: totals.length, p50ms: round1(percentile(totals, 50)), p99ms: round1(percentile(totals, 99)) },
    };
    process.stdout.write(
      `while ${clients} clients issue at full speed (${rate} bills/s, ${result.billsOfTheDayAtEnd} bills on the day at the end):\n` +
        `  getEBillByBusNo  p50 ${result.getEBillByBusNo.p50ms} ms, p99 ${result.getEBillByBusNo.p99ms} ms (${byBusNo.length} calls)\n` +
        `  checkTotalData   p50 ${result.checkTotalData.p50ms} ms, p99 ${result.checkTotalData.p99ms} ms (${totals.length} calls, the whole day each time)\n` +
        JSON.stringify(result) +
        '\n',
    );
    return result;
  } finally {
    await s.stop();
  }
}

if (require.main === module) void (process.argv.includes('--under-load') ? underLoad() : batch());
