/**
 * The retry policy of the outbox (src/engine/retry.ts): doubling delays under a true cap, jitter that
 * only shortens, and a horizon in time — the last retry lands on it, after it the job gives up.
 */
import { strict as assert } from 'node:assert';
import { ConfigError, durationMs, formatDuration } from '../../src/config';
import { isoBeijing, parseBeijingTime } from '../../src/domain/time';
import { backoffDelay, nextRetry, retryPolicy } from '../../src/engine/retry';

const policy = retryPolicy({ initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '10m', jitter: 0.2, horizon: '7d' });

describe('outbox retry policy', () => {
  it('reads durations with a day unit, and writes them back in the largest unit', () => {
    assert.equal(durationMs('7d'), 7 * 86_400_000);
    assert.equal(durationMs('1.5d'), 36 * 3_600_000);
    assert.equal(durationMs('250ms'), 250);
    assert.throws(() => durationMs('7 days'), ConfigError);
    assert.throws(() => durationMs('1w'), /use 250ms, 5s, 2m, 1h, 7d/);
    assert.deepEqual([formatDuration(7 * 86_400_000), formatDuration(36 * 3_600_000), formatDuration(90_000), formatDuration(400)], ['7d', '36h', '90s', '400ms']);
  });

  it('doubles from initialInterval and never exceeds maximumInterval, whatever the jitter draws', () => {
    assert.equal(backoffDelay(policy, 1, () => 0), 2000);
    assert.equal(backoffDelay(policy, 2, () => 0), 4000);
    assert.equal(backoffDelay(policy, 9, () => 0), 512_000);
    for (const attempt of [10, 11, 50, 1000]) {
      assert.equal(backoffDelay(policy, attempt, () => 0), 600_000);
      assert.equal(backoffDelay(policy, attempt, () => 0.999999), 480_000);
    }
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(policy, 3);
      assert.ok(d >= 6400 && d <= 8000, `jitter keeps 8 s within [6.4 s, 8 s]: ${d}`);
    }
  });

  it('retries until the horizon, pulls the last retry in to it, and gives up after it', () => {
    const start = Date.UTC(2025, 0, 1);
    const day = 86_400_000;
    assert.deepEqual(nextRetry(policy, 1, start, start + 10, () => 0), { retryAt: start + 10 + 2000 });
    assert.deepEqual(nextRetry(policy, 500, start, start + 6 * day, () => 0), { retryAt: start + 6 * day + 600_000 }, 'day 6: still retrying every 10 min');
    assert.deepEqual(nextRetry(policy, 900, start, start + 7 * day - 1000, () => 0), { retryAt: start + 7 * day }, 'the last retry lands on the horizon');
    assert.deepEqual(nextRetry(policy, 901, start, start + 7 * day, () => 0), { giveUp: true });
  });

  it('refuses a policy that cannot work', () => {
    const ok = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', jitter: 0.2, horizon: '1d' };
    for (const bad of [{ initialInterval: '0s' }, { backoffCoefficient: 0.5 }, { maximumInterval: '500ms' }, { jitter: 1 }, { horizon: '0d' }]) {
      assert.throws(() => retryPolicy({ ...ok, ...bad }), ConfigError, JSON.stringify(bad));
    }
    assert.throws(() => retryPolicy({ ...ok, horizon: undefined as unknown as string }), ConfigError, 'a config without a horizon is refused, not read as no limit');
  });

  it('shows and reads times in Beijing time whatever the server zone', () => {
    const t = Date.UTC(2025, 11, 1, 16, 30, 5);
    assert.equal(isoBeijing(t), '2025-12-02T00:30:05+08:00');
    assert.equal(parseBeijingTime('2025-12-02T00:30:05'), t);
    assert.equal(parseBeijingTime('2025-12-02 00:30:05'), t);
    assert.equal(parseBeijingTime('2025-12-01T16:30:05Z'), t);
    assert.equal(parseBeijingTime('20251202003005000'), t);
    assert.equal(parseBeijingTime('2025-12-02'), Date.UTC(2025, 11, 1, 16));
    assert.equal(parseBeijingTime('yesterday'), null);
  });
});
