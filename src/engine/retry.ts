/**
 * Retry vocabulary (Temporal's words, BullMQ's jitter): maxAttempts counts the first try.
 * delay(n) = min(initialInterval · backoffCoefficient^(n-1), maximumInterval) · (1 ± jitter).
 */
import { durationMs } from '../config';

export interface RetryPolicy {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  jitter: number;
}

export function retryPolicy(p: { maxAttempts: number; initialInterval: string | number; backoffCoefficient: number; maximumInterval: string | number; jitter: number }): RetryPolicy {
  return {
    maxAttempts: p.maxAttempts,
    initialIntervalMs: durationMs(p.initialInterval),
    backoffCoefficient: p.backoffCoefficient,
    maximumIntervalMs: durationMs(p.maximumInterval),
    jitter: p.jitter,
  };
}

/** Delay before attempt `attempt + 1`, after `attempt` failures (attempt ≥ 1). */
export function backoffDelay(p: RetryPolicy, attempt: number, rnd = Math.random): number {
  const base = Math.min(p.initialIntervalMs * Math.pow(p.backoffCoefficient, attempt - 1), p.maximumIntervalMs);
  return Math.max(0, Math.round(base * (1 + p.jitter * (2 * rnd() - 1))));
}
