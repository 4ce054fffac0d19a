import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from './rate-limit.ts';

/** A clock the test moves by hand, in milliseconds. */
function manualClock(start = 0) {
  let time = start;
  return {
    now: () => time,
    set: (milliseconds: number) => {
      time = milliseconds;
    },
    advance: (milliseconds: number) => {
      time += milliseconds;
    },
  };
}

async function consumeTimes(
  limiter: RateLimiter,
  key: string,
  times: number,
  limit: number,
  window?: number,
) {
  const results = [];
  for (let index = 0; index < times; index += 1) results.push(await limiter.consume(key, limit, window));
  return results;
}

describe('memory rate limiter', () => {
  it('allows exactly the limit, then refuses with the time until the next request fits', async () => {
    const clock = manualClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    expect(limiter.kind).toBe('memory');

    const results = await consumeTimes(limiter, 'user:1', 7, 5, 60);
    expect(results.map((result) => result.isAllowed)).toEqual([true, true, true, true, true, false, false]);
    expect(results.map((result) => result.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0]);
    expect(results[0]).toEqual({
      isAllowed: true,
      limit: 5,
      remaining: 4,
      retryAfterSeconds: 0,
      resetSeconds: 12,
    });
    // 5 per 60 s refills one every 12 s; the whole budget is back 60 s after the burst.
    expect(results[5]).toEqual({
      isAllowed: false,
      limit: 5,
      remaining: 0,
      retryAfterSeconds: 12,
      resetSeconds: 60,
    });

    clock.advance(5_000);
    expect(await limiter.consume('user:1', 5, 60)).toMatchObject({ isAllowed: false, retryAfterSeconds: 7 });
  });

  it('admits requests again as time passes, exactly when Retry-After says', async () => {
    const clock = manualClock(1_000_000);
    const limiter = createMemoryRateLimiter({ now: clock.now });
    await consumeTimes(limiter, 'key', 3, 3, 30);
    const refused = await limiter.consume('key', 3, 30);
    expect(refused).toMatchObject({ isAllowed: false, retryAfterSeconds: 10 });

    clock.advance(9_999);
    expect((await limiter.consume('key', 3, 30)).isAllowed).toBe(false);
    clock.advance(1);
    expect(await limiter.consume('key', 3, 30)).toMatchObject({ isAllowed: true, remaining: 0 });
    expect((await limiter.consume('key', 3, 30)).isAllowed).toBe(false);

    // After a full window of silence the whole budget is back.
    clock.advance(30_000);
    const again = await consumeTimes(limiter, 'key', 4, 3, 30);
    expect(again.map((result) => result.isAllowed)).toEqual([true, true, true, false]);
  });

  it('uses a 60 s window by default', async () => {
    const clock = manualClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    await consumeTimes(limiter, 'key', 2, 2);
    expect(await limiter.consume('key', 2)).toMatchObject({ isAllowed: false, retryAfterSeconds: 30 });
  });

  it('keeps keys independent', async () => {
    const clock = manualClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    await consumeTimes(limiter, 'api-key:a', 2, 2, 60);
    expect((await limiter.consume('api-key:a', 2, 60)).isAllowed).toBe(false);
    expect(await limiter.consume('api-key:b', 2, 60)).toMatchObject({ isAllowed: true, remaining: 1 });
    expect(await limiter.consume('user:a', 2, 60)).toMatchObject({ isAllowed: true, remaining: 1 });
  });

  it('allows no second burst across a window boundary', async () => {
    const clock = manualClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    // A fixed 60 s window would admit 10 just before 60 s and 10 more just after it.
    clock.set(59_900);
    const before = await consumeTimes(limiter, 'key', 10, 10, 60);
    expect(before.every((result) => result.isAllowed)).toBe(true);
    clock.set(60_100);
    const after = await consumeTimes(limiter, 'key', 10, 10, 60);
    expect(after.filter((result) => result.isAllowed)).toHaveLength(0);
    // Only what refilled meanwhile (one per 6 s) is admitted later on.
    clock.set(59_900 + 6_000);
    const later = await consumeTimes(limiter, 'key', 3, 10, 60);
    expect(later.map((result) => result.isAllowed)).toEqual([true, false, false]);
  });

  it('bounds its memory: drops least recently used keys beyond maxKeys', async () => {
    const clock = manualClock();
    const limiter = createMemoryRateLimiter({ now: clock.now, maxKeys: 3 });
    expect((await limiter.consume('idle', 1, 60)).isAllowed).toBe(true);
    expect((await limiter.consume('active', 1, 60)).isAllowed).toBe(true);
    for (let index = 0; index < 100; index += 1) {
      clock.advance(10);
      await limiter.consume(`other:${index}`, 1, 60);
      // `active` keeps being used, so it is never the least recently used key.
      expect((await limiter.consume('active', 1, 60)).isAllowed).toBe(false);
      expect(limiter.size).toBeLessThanOrEqual(3);
    }
    // `idle` was evicted, so it starts again with a full budget; `active` was kept.
    expect((await limiter.consume('idle', 1, 60)).isAllowed).toBe(true);
    expect((await limiter.consume('active', 1, 60)).isAllowed).toBe(false);
  });

  it('drops keys whose budget has refilled, even below maxKeys', async () => {
    const clock = manualClock();
    const limiter = createMemoryRateLimiter({ now: clock.now });
    for (let index = 0; index < 50; index += 1) await limiter.consume(`burst:${index}`, 5, 1);
    expect(limiter.size).toBe(50);
    clock.advance(2_000);
    for (let index = 0; index < 30; index += 1) await limiter.consume('steady', 1_000_000, 60);
    expect(limiter.size).toBe(1);
  });

  it('rejects a limit or window that is not positive', async () => {
    const limiter = createMemoryRateLimiter();
    await expect(limiter.consume('key', 0, 60)).rejects.toThrow(RangeError);
    await expect(limiter.consume('key', 1.5, 60)).rejects.toThrow(RangeError);
    await expect(limiter.consume('key', 5, 0)).rejects.toThrow(RangeError);
  });
});

/** Options for a client that fails fast instead of queueing commands while disconnected. */
const FAIL_FAST = {
  lazyConnect: true,
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  retryStrategy: () => null,
} as const;

describe('redis rate limiter when Redis fails', () => {
  const clients: Redis[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });

  it('answers from the fallback and reports the error when Redis refuses connections', async () => {
    const broken = new Redis('redis://127.0.0.1:1', FAIL_FAST);
    broken.on('error', () => {});
    clients.push(broken);
    const errors: unknown[] = [];
    const limiter = createRedisRateLimiter(broken, { onError: (error) => errors.push(error) });
    expect(limiter.kind).toBe('redis');

    const results = await consumeTimes(limiter, 'key', 3, 2, 60);
    // Still limited (by the in-memory fallback), not failing and not letting everything through.
    expect(results.map((result) => result.isAllowed)).toEqual([true, true, false]);
    expect(results[2]?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toBeInstanceOf(Error);
  });

  it('uses the fallback it is given', async () => {
    const broken = new Redis('redis://127.0.0.1:1', FAIL_FAST);
    broken.on('error', () => {});
    clients.push(broken);
    const clock = manualClock();
    const fallback = createMemoryRateLimiter({ now: clock.now });
    const limiter = createRedisRateLimiter(broken, { fallback, onError: () => {} });
    await limiter.consume('key', 1, 60);
    expect(fallback.size).toBe(1);
    expect((await fallback.consume('key', 1, 60)).isAllowed).toBe(false);
  });

  describe('when Redis accepts connections but never answers', () => {
    let server: Server;
    const sockets: Socket[] = [];
    beforeAll(async () => {
      server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('gives up after timeoutMs and answers from the fallback', async () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('server has no port');
      const silent = new Redis({ host: '127.0.0.1', port: address.port, lazyConnect: true });
      silent.on('error', () => {});
      clients.push(silent);
      const errors: unknown[] = [];
      const limiter = createRedisRateLimiter(silent, {
        timeoutMs: 100,
        onError: (error) => errors.push(error),
      });
      const started = performance.now();
      const result = await limiter.consume('key', 5, 60);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(result).toMatchObject({ isAllowed: true, remaining: 4 });
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toContain('did not answer within 100 ms');
    }, 5_000);
  });
});

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) console.warn('[skipped] Redis rate limiter suites: REDIS_URL is not set');

describe.skipIf(!redisUrl)('redis rate limiter', () => {
  const prefix = `nexus-test:rate-limit:${randomUUID()}:`;
  let first: Redis;
  let second: Redis;
  const errors: unknown[] = [];
  /** Two limiters on two connections: two processes sharing one Redis. */
  let limiters: [RateLimiter, RateLimiter];

  beforeAll(async () => {
    first = new Redis(redisUrl!, { lazyConnect: true });
    second = new Redis(redisUrl!, { lazyConnect: true });
    await Promise.all([first.connect(), second.connect()]);
    // No fallback should ever be used here: make one that fails the test if it is.
    const unusedFallback: RateLimiter = {
      kind: 'memory',
      consume: () => Promise.reject(new Error('fallback used although Redis is up')),
    };
    const options = { prefix, fallback: unusedFallback, onError: (error: unknown) => errors.push(error) };
    limiters = [createRedisRateLimiter(first, options), createRedisRateLimiter(second, options)];
  });

  afterEach(() => {
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    if (!first) return;
    const keys: string[] = [];
    for await (const batch of first.scanStream({ match: `${prefix}*`, count: 100 })) keys.push(...batch);
    if (keys.length > 0) await first.del(...keys);
    await Promise.all([first.quit(), second.quit()]);
  });

  it('shares one budget between processes', async () => {
    const [a, b] = limiters;
    expect(a.kind).toBe('redis');
    const results = [];
    for (let index = 0; index < 8; index += 1)
      results.push(await (index % 2 === 0 ? a : b).consume('shared', 5, 60));
    expect(results.map((result) => result.isAllowed)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(results.slice(0, 5).map((result) => result.remaining)).toEqual([4, 3, 2, 1, 0]);
    for (const refused of results.slice(5)) {
      expect(refused).toMatchObject({ isAllowed: false, limit: 5, remaining: 0 });
      // One request refills every 12 s.
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(11);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(12);
      expect(refused.resetSeconds).toBeGreaterThanOrEqual(59);
      expect(refused.resetSeconds).toBeLessThanOrEqual(60);
    }
    // The key carries a TTL: it disappears once the budget is full again.
    const ttl = await first.pttl(`${prefix}shared`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('is atomic under concurrent requests from both processes', async () => {
    const [a, b] = limiters;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? a : b).consume('concurrent', 10, 60)),
    );
    expect(results.filter((result) => result.isAllowed)).toHaveLength(10);
    expect(
      results
        .filter((result) => result.isAllowed)
        .map((result) => result.remaining)
        .sort((x, y) => x - y),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps keys independent', async () => {
    const [a, b] = limiters;
    await consumeTimes(a, 'independent:one', 1, 1, 60);
    expect((await b.consume('independent:one', 1, 60)).isAllowed).toBe(false);
    expect((await b.consume('independent:two', 1, 60)).isAllowed).toBe(true);
  });

  it('admits requests again once a short window has passed', async () => {
    const [a, b] = limiters;
    const burst = [
      await a.consume('short', 2, 2),
      await b.consume('short', 2, 2),
      await a.consume('short', 2, 2),
    ];
    expect(burst.map((result) => result.isAllowed)).toEqual([true, true, false]);
    expect(burst[2]?.retryAfterSeconds).toBe(1);
    await sleep(1_050);
    expect((await b.consume('short', 2, 2)).isAllowed).toBe(true);
    expect((await a.consume('short', 2, 2)).isAllowed).toBe(false);
    await sleep(1_950);
    // A full window after the last admitted request: the whole budget is back.
    const again = [
      await a.consume('short', 2, 2),
      await b.consume('short', 2, 2),
      await a.consume('short', 2, 2),
    ];
    expect(again.map((result) => result.isAllowed)).toEqual([true, true, false]);
  });
});
