import type { Redis } from 'ioredis';

/**
 * Rate limiting per API key and per user, in memory (one process) or in Redis (shared).
 *
 * Algorithm: GCRA, the generic cell rate algorithm (a token bucket kept as a single
 * timestamp). `limit` requests per `windowSeconds` gives an emission interval
 * T = window / limit. Each key stores its theoretical arrival time (TAT): the time at
 * which its budget would be full again. A request at `now` is admitted when
 * `max(TAT, now) + T - now <= window`, and then moves TAT on by T; a refused request
 * changes nothing.
 *
 * What that guarantees:
 * - an idle key may spend its whole budget, `limit` requests, at once;
 * - after that, requests are admitted at the steady rate of one every T, so any interval of
 *   length L admits at most `limit + L / T` requests. There is no window edge: a fixed
 *   window lets a client spend `limit` just before the edge and `limit` again just after
 *   it; here the second burst gets only what has refilled since the first (≈ nothing);
 * - Retry-After is exact: the time until the next request would be admitted;
 * - the state is one number per key, so memory and Redis work per request are O(1).
 *
 * Time is kept in whole microseconds, and T is rounded down to whole microseconds (the
 * burst tolerance is `limit × T`), so every step is exact integer arithmetic in a double —
 * in TypeScript and in Redis's Lua alike — and `limit` requests at once are always
 * admitted and the next one always refused.
 *
 * A key names one budget: use different keys for different limits on the same subject
 * (e.g. `api-key:<id>:minute` and `api-key:<id>:day`).
 */

export interface RateLimitResult {
  isAllowed: boolean;
  /** Requests per window. */
  limit: number;
  /** Requests still admissible right now after this one (0 when refused). */
  remaining: number;
  /** 0 when allowed; whole seconds ≥ 1 when refused (for the Retry-After header). */
  retryAfterSeconds: number;
  /** Seconds until the window fully resets (the whole budget is available again). */
  resetSeconds: number;
}

export interface RateLimiter {
  /** Counts one request for `key` against `limit` requests per `windowSeconds` (default 60). */
  consume(key: string, limit: number, windowSeconds?: number): Promise<RateLimitResult>;
  readonly kind: 'memory' | 'redis';
}

export interface MemoryRateLimiter extends RateLimiter {
  readonly kind: 'memory';
  /** Keys currently tracked (never more than `maxKeys`). */
  readonly size: number;
}

export const DEFAULT_WINDOW_SECONDS = 60;
export const DEFAULT_MAX_KEYS = 100_000;
export const DEFAULT_REDIS_PREFIX = 'nexus:rate-limit:';
export const DEFAULT_REDIS_TIMEOUT_MS = 500;

const MICROSECONDS_PER_SECOND = 1_000_000;

/** One GCRA step. All times in whole microseconds. */
interface GcraDecision {
  isAllowed: boolean;
  /** The key's new TAT when allowed; unchanged when refused. */
  arrivalTime: number;
  remaining: number;
  retryAfterMicroseconds: number;
  resetMicroseconds: number;
}

function decideGcra(
  storedArrivalTime: number | undefined,
  now: number,
  limit: number,
  windowMicroseconds: number,
): GcraDecision {
  const interval = Math.max(1, Math.floor(windowMicroseconds / limit));
  const tolerance = interval * limit;
  const arrivalTime = Math.max(storedArrivalTime ?? now, now);
  const nextArrivalTime = arrivalTime + interval;
  const wait = nextArrivalTime - now;
  if (wait > tolerance) {
    return {
      isAllowed: false,
      arrivalTime,
      remaining: 0,
      retryAfterMicroseconds: wait - tolerance,
      resetMicroseconds: arrivalTime - now,
    };
  }
  return {
    isAllowed: true,
    arrivalTime: nextArrivalTime,
    remaining: Math.floor((tolerance - wait) / interval),
    retryAfterMicroseconds: 0,
    resetMicroseconds: wait,
  };
}

function toResult(
  limit: number,
  decision: Pick<GcraDecision, 'isAllowed' | 'remaining' | 'retryAfterMicroseconds' | 'resetMicroseconds'>,
): RateLimitResult {
  return {
    isAllowed: decision.isAllowed,
    limit,
    remaining: decision.isAllowed ? decision.remaining : 0,
    retryAfterSeconds: decision.isAllowed
      ? 0
      : Math.max(1, Math.ceil(decision.retryAfterMicroseconds / MICROSECONDS_PER_SECOND)),
    resetSeconds: Math.max(0, Math.ceil(decision.resetMicroseconds / MICROSECONDS_PER_SECOND)),
  };
}

/** Checks the arguments of `consume`; returns the window in microseconds. */
function windowInMicroseconds(limit: number, windowSeconds: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new RangeError(`rate limit must be a positive integer, got ${limit}`);
  }
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`rate limit window must be a positive number of seconds, got ${windowSeconds}`);
  }
  return Math.round(windowSeconds * MICROSECONDS_PER_SECOND);
}

/** A monotonic clock in milliseconds since the epoch: unaffected by wall-clock steps. */
function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A limiter for one process. Holds one TAT per key, in least-recently-used order. A key
 * whose TAT has passed is indistinguishable from a new one, so idle keys are dropped
 * as they are met at the old end; beyond `maxKeys`, the least recently used key is
 * dropped even if not yet idle (that key then starts again with a full budget).
 *
 * `now` returns milliseconds (default: a monotonic clock); tests pass their own.
 */
export function createMemoryRateLimiter(
  options: { now?: () => number; maxKeys?: number } = {},
): MemoryRateLimiter {
  const now = options.now ?? monotonicNow;
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
  }
  /** key → TAT in microseconds; Map order is least recently used first. */
  const arrivalTimes = new Map<string, number>();

  function evictIdleAndExcess(nowMicroseconds: number): void {
    // A couple of idle keys per call keeps the map from holding long-idle keys, in O(1).
    for (let checked = 0; checked < 2; checked += 1) {
      const oldest = arrivalTimes.entries().next();
      if (oldest.done || oldest.value[1] > nowMicroseconds) break;
      arrivalTimes.delete(oldest.value[0]);
    }
    while (arrivalTimes.size > maxKeys) {
      const oldest = arrivalTimes.keys().next();
      if (oldest.done) break;
      arrivalTimes.delete(oldest.value);
    }
  }

  return {
    kind: 'memory',
    get size() {
      return arrivalTimes.size;
    },
    async consume(key, limit, windowSeconds = DEFAULT_WINDOW_SECONDS) {
      const windowMicroseconds = windowInMicroseconds(limit, windowSeconds);
      const nowMicroseconds = Math.round(now() * 1000);
      const stored = arrivalTimes.get(key);
      const decision = decideGcra(stored, nowMicroseconds, limit, windowMicroseconds);
      // Re-insert so the key moves to the recently used end.
      arrivalTimes.delete(key);
      if (decision.arrivalTime > nowMicroseconds) arrivalTimes.set(key, decision.arrivalTime);
      evictIdleAndExcess(nowMicroseconds);
      return toResult(limit, decision);
    },
  };
}

/**
 * The GCRA step in Redis, atomically. Uses the Redis server's clock (`TIME`), so every
 * process sharing the Redis agrees on "now" whatever their own clocks say. Mirrors
 * `decideGcra`; the key expires when its TAT passes (it is then the same as absent).
 * Integers throughout (microseconds): Lua numbers are doubles, exact below 2^53.
 *
 * KEYS[1] the key; ARGV[1] limit; ARGV[2] window in microseconds.
 * Returns { allowed (0|1), remaining, retry-after µs, reset µs }.
 */
const CONSUME_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local interval = math.max(1, math.floor(window / limit))
local tolerance = interval * limit
local arrival = now
local stored = redis.call('GET', KEYS[1])
if stored then
  arrival = math.max(tonumber(stored), now)
end
local wait = arrival + interval - now
if wait > tolerance then
  return { 0, 0, wait - tolerance, arrival - now }
end
redis.call('SET', KEYS[1], string.format('%.0f', arrival + interval), 'PX', math.ceil(wait / 1000))
return { 1, math.floor((tolerance - wait) / interval), 0, wait }
`;

const CONSUME_COMMAND = 'nexusRateLimitConsume';

type ConsumeCommand = (key: string, limit: string, windowMicroseconds: string) => Promise<unknown>;

function parseReply(reply: unknown): Omit<GcraDecision, 'arrivalTime'> {
  if (
    !Array.isArray(reply) ||
    reply.length !== 4 ||
    !reply.every((value) => typeof value === 'number' && Number.isFinite(value))
  ) {
    throw new Error(`rate limit: unexpected reply from Redis: ${JSON.stringify(reply)}`);
  }
  const [allowed, remaining, retryAfterMicroseconds, resetMicroseconds] = reply as [
    number,
    number,
    number,
    number,
  ];
  return { isAllowed: allowed === 1, remaining, retryAfterMicroseconds, resetMicroseconds };
}

function rejectAfter<T>(promise: Promise<T>, milliseconds: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`rate limit: Redis did not answer within ${milliseconds} ms`)),
      milliseconds,
    );
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * A limiter shared by every process using the same Redis. Keys are `prefix + key` and
 * expire once their budget is full again.
 *
 * When Redis fails (refused, timed out after `timeoutMs`, unexpected reply), the request
 * is counted by `fallback` instead (default: an in-memory limiter of its own) and the error
 * is passed to `onError` — once per failed request, so the caller should log at a modest
 * level. During an outage each process therefore enforces the limit on its own: never
 * failing requests for want of Redis, never letting everything through.
 */
export function createRedisRateLimiter(
  redis: Redis,
  options: {
    prefix?: string;
    fallback?: RateLimiter;
    onError?: (error: unknown) => void;
    /** How long to wait for Redis before using the fallback (default 500 ms). */
    timeoutMs?: number;
  } = {},
): RateLimiter {
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  const fallback = options.fallback ?? createMemoryRateLimiter();
  const onError = options.onError ?? (() => {});
  const timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;

  // defineCommand sends EVALSHA and falls back to EVAL when Redis does not have the script.
  redis.defineCommand(CONSUME_COMMAND, { numberOfKeys: 1, lua: CONSUME_SCRIPT });
  const command = (redis as unknown as Record<typeof CONSUME_COMMAND, ConsumeCommand>)[CONSUME_COMMAND].bind(
    redis,
  );

  return {
    kind: 'redis',
    async consume(key, limit, windowSeconds = DEFAULT_WINDOW_SECONDS) {
      const windowMicroseconds = windowInMicroseconds(limit, windowSeconds);
      try {
        const reply = await rejectAfter(
          command(`${prefix}${key}`, String(limit), String(windowMicroseconds)),
          timeoutMs,
        );
        return toResult(limit, parseReply(reply));
      } catch (error) {
        try {
          onError(error);
        } catch {
          // A failing reporter must not fail the request.
        }
        return fallback.consume(key, limit, windowSeconds);
      }
    },
  };
}
