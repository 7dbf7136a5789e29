/**
 * The peers medbill depends on, as /readyz reports them (src/web/routes.ts): a peer that is down makes
 * medbill "degraded", not "not ready" — bills still issue (finance jobs wait in the outbox) or the HIS
 * gets a clear error (CA), and restarting medbill would not bring the peer back. Each report says what
 * on-call staff need (state, since when, backlog, last error) and no internal address.
 */
import { isoBeijing } from '../domain/time';
import type { OutboxMonitor } from './outbox-monitor';
import type { OutboxWorker } from './outbox';
import type { Signer, SignerHealth } from './signer';

export interface PeerReport {
  status: 'ok' | 'down';
  [detail: string]: unknown;
}

export interface Peer {
  readonly name: string;
  report(): Promise<PeerReport>;
}

/** How long one reachability probe of the signature server answers /readyz (probes come every few seconds). */
const SIGNER_PROBE_CACHE_MS = 2000;

/** The CA signature server, probed through Signer.health(); undefined for a signer with nothing remote. */
export function signerPeer(signer: Signer, cacheMs = SIGNER_PROBE_CACHE_MS): Peer | undefined {
  const probe = signer.health?.bind(signer);
  if (!probe) return undefined;
  let last: { at: number; h: SignerHealth } | undefined;
  let inflight: Promise<SignerHealth> | undefined;
  let downSince: number | undefined;
  return {
    name: 'ca',
    async report() {
      if (!last || Date.now() - last.at > cacheMs) {
        inflight ??= probe().finally(() => (inflight = undefined));
        const h = await inflight;
        last = { at: Date.now(), h };
        if (h.ok) downSince = undefined;
        else downSince ??= last.at;
      }
      const h = last.h;
      if (h.ok) return { status: 'ok', signer: signer.name, latencyMs: h.latencyMs };
      return { status: 'down', signer: signer.name, error: h.reason, since: isoBeijing(downSince ?? last.at) };
    },
  };
}

/**
 * A peer reached through outbox jobs of one topic (finance: `finance-upload`). Down when the latest
 * attempt failed transiently and nothing was delivered since: read from the jobs still waiting (so a
 * restart during an outage still knows), compared with this process's last delivery.
 */
export function outboxPeer(name: string, topic: string, worker: Pick<OutboxWorker, 'lastDeliveredAt'>, monitor: OutboxMonitor): Peer {
  return {
    name,
    async report() {
      const [snap, failure] = await Promise.all([monitor.refresh(), monitor.latestFailure(topic)]);
      const b = snap.topics.get(topic);
      const delivered = worker.lastDeliveredAt(topic);
      const down = !!failure && (delivered === undefined || failure.at > delivered);
      return {
        status: down ? 'down' : 'ok',
        topic,
        pending: b?.pending ?? 0,
        dead: b?.dead ?? 0,
        oldestPendingSeconds: b?.oldestPendingAgeSeconds ?? 0,
        ...(failure ? { lastError: failure.error.slice(0, 300), lastErrorAt: isoBeijing(failure.at) } : {}),
        ...(delivered !== undefined ? { lastDeliveredAt: isoBeijing(delivered) } : {}),
      };
    },
  };
}
