/**
 * The limiters themselves, on a clock the test turns: token buckets refill at their rate and never
 * past their burst, a lockout counts failures over its window and ends after its duration, and every
 * map stays bounded whatever number of distinct keys arrives (random addresses cannot grow memory).
 * Client keys: IPv4-mapped IPv6 is IPv4, IPv6 is keyed by its /64, X-Forwarded-For only from a
 * trusted proxy.
 */
import { strict as assert } from 'node:assert';
import type { IncomingMessage } from 'node:http';
import { addressKey, clientKey, trustedProxyList } from '../../src/web/client-address';
import { FailureLockout, TokenBuckets } from '../../src/web/rate-limit';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('token buckets and lockouts', () => {
  it('a bucket allows its burst at once, then its rate; the wait it names is when a token is back', () => {
    const c = clock();
    const b = new TokenBuckets({ rate: 2, burst: 5 }, 100, c.now);
    for (let i = 0; i < 5; i++) assert.equal(b.take('a'), undefined);
    assert.equal(b.take('a'), 1, 'one token every 500 ms: back within a second');
    c.advance(500);
    assert.equal(b.take('a'), undefined);
    assert.notEqual(b.take('a'), undefined);
    c.advance(60_000);
    for (let i = 0; i < 5; i++) assert.equal(b.take('a'), undefined, 'refilled to the burst, not beyond');
    assert.notEqual(b.take('a'), undefined);
    assert.equal(b.take('b'), undefined, 'keys are independent');
  });

  it('rate 0 is no limit', () => {
    const b = new TokenBuckets({ rate: 0, burst: 0 }, 10);
    for (let i = 0; i < 1000; i++) assert.equal(b.take('a'), undefined);
    assert.equal(b.size, 0);
  });

  it('a slow rate names a longer wait', () => {
    const c = clock();
    const b = new TokenBuckets({ rate: 0.1, burst: 1 }, 10, c.now);
    assert.equal(b.take('a'), undefined);
    assert.equal(b.take('a'), 10);
  });

  it('20,000 distinct keys leave at most maxKeys entries; a key being limited right now stays limited', () => {
    const c = clock();
    const b = new TokenBuckets({ rate: 1, burst: 2 }, 1000, c.now);
    b.take('attacker');
    b.take('attacker');
    for (let i = 0; i < 20_000; i++) {
      b.take(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 500 === 0) assert.notEqual(b.take('attacker'), undefined, 'recently seen keys are kept');
    }
    assert.ok(b.size <= 1000, `${b.size} entries`);
    const l = new FailureLockout({ limit: 3, windowMs: 60_000, lockoutMs: 60_000 }, 1000, c.now);
    for (let i = 0; i < 20_000; i++) l.fail(`k${i}`);
    assert.ok(l.size <= 1000, `${l.size} entries`);
  });

  it('a lockout: `limit` failures within the window lock the key for the lockout, then it starts afresh', () => {
    const c = clock();
    const l = new FailureLockout({ limit: 3, windowMs: 10 * 60_000, lockoutMs: 15 * 60_000 }, 100, c.now);
    assert.equal(l.fail('ip'), false);
    assert.equal(l.fail('ip'), false);
    assert.equal(l.lockedFor('ip'), undefined);
    assert.equal(l.fail('ip'), true, 'the third failure locks');
    assert.equal(l.lockedFor('ip'), 900);
    c.advance(14 * 60_000);
    assert.equal(l.lockedFor('ip'), 60);
    c.advance(60_000);
    assert.equal(l.lockedFor('ip'), undefined, 'unlocked after 15 minutes');
    assert.equal(l.fail('ip'), false, 'a fresh count');
  });

  it('failures spread wider than the window do not lock', () => {
    const c = clock();
    const l = new FailureLockout({ limit: 3, windowMs: 60_000, lockoutMs: 60_000 }, 100, c.now);
    for (let i = 0; i < 10; i++) {
      assert.equal(l.fail('ip'), false);
      c.advance(31_000);
    }
  });
});

describe('client keys', () => {
  const req = (remote: string, xff?: string) => ({ socket: { remoteAddress: remote }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage;

  it('IPv4-mapped IPv6 is the IPv4 address; IPv6 is keyed by its /64', () => {
    assert.equal(clientKey(req('::ffff:10.1.2.3')), '10.1.2.3');
    assert.equal(addressKey('2001:db8:1:2:a:b:c:d'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
    assert.equal(clientKey(req('2001:db8:1:2:ffff::9')), clientKey(req('2001:db8:1:2::77')), 'one subscriber, one key');
  });

  it('X-Forwarded-For counts only from a trusted proxy, read right to left past the trusted hops', () => {
    const proxies = trustedProxyList(['127.0.0.1', '10.0.0.0/8']);
    assert.equal(clientKey(req('203.0.113.9', '1.2.3.4')), '203.0.113.9', 'no proxies configured: the header is ignored');
    assert.equal(clientKey(req('203.0.113.9', '1.2.3.4'), proxies), '203.0.113.9', 'not from a trusted proxy: ignored');
    assert.equal(clientKey(req('127.0.0.1', '198.51.100.7'), proxies), '198.51.100.7');
    assert.equal(clientKey(req('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.2.3.4'), proxies), '198.51.100.7', 'a client cannot choose its key by prepending');
    assert.throws(() => trustedProxyList(['not-an-address']), /trustedProxies/);
  });
});
