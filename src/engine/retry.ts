/**
 * Retry vocabulary (Temporal's words, BullMQ's jitter) with a horizon instead of an attempt count:
 * an outage of any length shorter than the horizon strands nothing (docs/architecture.md#invariants).
 *   delay(n) = min(initialInterval · backoffCoefficient^(n-1), maximumInterval) · (1 − jitter · U[0,1))
 * Jitter only shortens a delay, so maximumInterval is a true cap.
 */
import { ConfigError, durationMs, type RetryPolicyConfig } from '../config';

export interface RetryPolicy {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  jitter: number;
  horizonMs: number;
}

export function retryPolicy(p: RetryPolicyConfig): RetryPolicy {
  const policy: RetryPolicy = {
    initialIntervalMs: durationMs(p.initialInterval),
    backoffCoefficient: p.backoffCoefficient,
    maximumIntervalMs: durationMs(p.maximumInterval),
    jitter: p.jitter,
    horizonMs: durationMs(p.horizon),
  };
  const bad: string[] = [];
  if (!(policy.initialIntervalMs > 0)) bad.push('initialInterval must be above 0');
  if (!(policy.backoffCoefficient >= 1)) bad.push('backoffCoefficient must be at least 1');
  if (!(policy.maximumIntervalMs >= policy.initialIntervalMs)) bad.push('maximumInterval must be at least initialInterval');
  if (!(policy.jitter >= 0 && policy.jitter < 1)) bad.push('jitter must be in [0, 1)');
  if (!(policy.horizonMs > 0)) bad.push('horizon must be above 0');
  if (bad.length) throw new ConfigError(`outbox.retry: ${bad.join('; ')}`);
  return policy;
}

/** Delay before attempt `attempt + 1`, after `attempt` failures (attempt ≥ 1). */
export function backoffDelay(p: RetryPolicy, attempt: number, rnd = Math.random): number {
  const base = Math.min(p.initialIntervalMs * Math.pow(p.backoffCoefficient, attempt - 1), p.maximumIntervalMs);
  return Math.max(0, Math.round(base * (1 - p.jitter * rnd())));
}

export type RetryDecision = { retryAt: number } | { giveUp: true };

/**
 * After a transient failure: when to try again, or give up because the horizon (counted from
 * `horizonStart`, the enqueue or requeue time) has passed. The last retry is pulled in to the horizon
 * itself, so a job dies at its horizon rather than up to one maximumInterval after it.
 */
export function nextRetry(p: RetryPolicy, attempts: number, horizonStart: number, now: number, rnd = Math.random): RetryDecision {
  const end = horizonStart + p.horizonMs;
  if (now >= end) return { giveUp: true };
  return { retryAt: Math.min(now + backoffDelay(p, attempts, rnd), end) };
}
