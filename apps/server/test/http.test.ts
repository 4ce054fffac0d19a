import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from '../src/app.ts';
import { AppError } from '../src/platform/errors.ts';
import { JobQueue } from '../src/platform/queue.ts';
import { createMemoryRateLimiter } from '../src/platform/rate-limit.ts';
import { createTestApp, silentLogger, type TestApp, testConfig, testKeys } from './helpers/app.ts';
import { createTestDatabase, describeEachBackend } from './helpers/databases.ts';

describeEachBackend('http skeleton', (backend) => {
  let test: TestApp;
  beforeEach(async () => {
    test = await createTestApp(backend);
  });
  afterEach(async () => {
    await test.close();
  });

  it('answers liveness on /healthz and /v1/health', async () => {
    for (const url of ['/healthz', '/v1/health']) {
      const response = await test.app.inject({ url });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    }
  });

  it('reports readiness: database, migrations, extensions, queue', async () => {
    const response = await test.app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      status: 'ready',
      database: 'ok',
      database_kind: backend,
      migrations: 'current',
      rls: 'on',
      queue: 'running',
      redis: 'not_configured',
    });
    if (backend === 'embedded') expect(body).toMatchObject({ vector: 'on', bm25: 'on', lexical: 'bm25' });
  });

  it('answers 503 with the reason when the queue is stopped', async () => {
    await test.queue.stop(1_000);
    const response = await test.app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      status: 'not_ready',
      queue: 'stopped',
      errors: ['job queue is not running'],
    });
  });

  it('answers 503 when migrations are pending', async () => {
    await test.database.db.executeSql('DELETE FROM schema_migrations WHERE version = 2');
    const response = await test.app.inject({ url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ migrations: 'pending' });
  });
});

describe('http conventions', () => {
  let test: TestApp;
  beforeEach(async () => {
    test = await createTestApp('embedded');
  });
  afterEach(async () => {
    await test.close();
  });

  it('serves OpenAPI at /openapi.json and Swagger UI at /docs', async () => {
    const spec = await test.app.inject({ url: '/openapi.json' });
    expect(spec.statusCode).toBe(200);
    const document = spec.json();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/v1/health', '/readyz']),
    );
    expect(document.paths['/readyz'].get.responses['503']).toBeDefined();
    const ui = await test.app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
    expect(ui.body).toContain('swagger');
  });

  it('exposes Prometheus metrics including request durations', async () => {
    await test.app.inject({ url: '/healthz' });
    const response = await test.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(
      /nexus_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} 1/,
    );
    expect(response.body).toContain('nexus_process_cpu_user_seconds_total');
  });

  it('keeps /metrics to the allowed addresses or the metrics token', async () => {
    const guarded = await buildApp(
      testConfig({ NEXUS_METRICS_TOKEN: 'metrics-token-0123456789', NEXUS_METRICS_ALLOW: '10.0.0.0/8' }),
      {
        db: test.database.db,
        queue: test.queue,
        logger: silentLogger,
        keys: testKeys,
        rateLimiter: createMemoryRateLimiter(),
      },
    );
    try {
      const local = await guarded.inject({ url: '/metrics', remoteAddress: '127.0.0.1' });
      expect(local.statusCode).toBe(403);
      expect(local.json().error.code).toBe('forbidden:metrics');
      expect((await guarded.inject({ url: '/metrics', remoteAddress: '10.1.2.3' })).statusCode).toBe(200);
      const wrongToken = await guarded.inject({
        url: '/metrics',
        remoteAddress: '192.0.2.1',
        headers: { authorization: 'Bearer metrics-token-0123456788' },
      });
      expect(wrongToken.statusCode).toBe(403);
      const withToken = await guarded.inject({
        url: '/metrics',
        remoteAddress: '192.0.2.1',
        headers: { authorization: 'Bearer metrics-token-0123456789' },
      });
      expect(withToken.statusCode).toBe(200);
      expect(withToken.body).toContain('nexus_http_request_duration_seconds');
    } finally {
      await guarded.close();
    }
    // The default: loopback only.
    expect((await test.app.inject({ url: '/metrics', remoteAddress: '203.0.113.9' })).statusCode).toBe(403);
  });

  it('sends nosniff on every response: JSON, errors and health', async () => {
    for (const url of ['/healthz', '/readyz', '/api/v1/auth/config', '/api/v1/nothing', '/openapi.json']) {
      const response = await test.app.inject({ url });
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
    }
  });

  it('answers unknown routes with the error shape', async () => {
    const response = await test.app.inject({ url: '/api/v1/nothing?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: { code: 'not_found:route', message: 'No route GET /api/v1/nothing' },
    });
  });

  it('echoes a well-formed X-Request-Id and generates one otherwise', async () => {
    const echoed = await test.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const generated = await test.app.inject({
      url: '/healthz',
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('error handler', () => {
  it('maps AppError, validation errors, malformed bodies and crashes to {"error":{code,message}}', async () => {
    const database = await createTestDatabase('embedded');
    const queue = new JobQueue(database.db, silentLogger, [], { isWorker: false });
    const lines: string[] = [];
    const logger = (await import('../src/platform/logger.ts')).createLogger(
      { logLevel: 'info' },
      {
        write: (line: string) => lines.push(line),
      },
    );
    const app = await buildApp(testConfig(), {
      db: database.db,
      queue,
      logger,
      keys: testKeys,
      rateLimiter: createMemoryRateLimiter(),
    });
    app.get('/conflict', { config: { access: 'public' } }, async () => {
      throw new AppError('conflict:thing', 'That thing exists already.', { id: 7 });
    });
    app.post(
      '/validated',
      { config: { access: 'public' }, schema: { body: z.object({ name: z.string().min(2) }) } },
      async () => ({
        ok: true,
      }),
    );
    app.get('/crash', { config: { access: 'public' } }, async () => {
      throw new Error('secret internal detail');
    });
    try {
      const conflict = await app.inject({ url: '/conflict' });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json()).toEqual({
        error: { code: 'conflict:thing', message: 'That thing exists already.', details: { id: 7 } },
      });

      const invalid = await app.inject({ method: 'POST', url: '/validated', payload: { name: 'x' } });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().error.code).toBe('bad_request:validation');
      expect(invalid.json().error.message).toContain('body.name');

      const malformed = await app.inject({
        method: 'POST',
        url: '/validated',
        headers: { 'content-type': 'application/json' },
        payload: '{"name": ',
      });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error.code).toMatch(/^bad_request:/);

      const crash = await app.inject({
        url: '/crash',
        headers: { authorization: 'Bearer top-secret-token' },
      });
      expect(crash.statusCode).toBe(500);
      expect(crash.json().error.code).toBe('internal');
      expect(crash.body).not.toContain('secret internal detail');
      expect(crash.json().error.message).toContain(crash.headers['x-request-id'] as string);

      const logged = lines.join('\n');
      expect(logged).toContain('secret internal detail'); // the log keeps the cause…
      expect(logged).not.toContain('top-secret-token'); // …but never credentials
    } finally {
      await app.close();
      await database.cleanup();
    }
  });
});

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) console.warn('[skipped] Redis suites: REDIS_URL is not set');

describe.skipIf(!redisUrl)('readiness with Redis', () => {
  const clients: Redis[] = [];
  afterAll(async () => {
    for (const client of clients) client.disconnect();
  });

  it('reports redis ok when it answers, and 503 when it does not', async () => {
    const healthy = new Redis(redisUrl!, { lazyConnect: true });
    await healthy.connect();
    clients.push(healthy);
    const ok = await createTestApp('embedded', { redis: healthy });
    try {
      const response = await ok.app.inject({ url: '/readyz' });
      expect(response.statusCode).toBe(200);
      expect(response.json().redis).toBe('ok');
    } finally {
      await ok.close();
    }

    const broken = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    broken.on('error', () => {});
    clients.push(broken);
    const failing = await createTestApp('embedded', { redis: broken });
    try {
      const response = await failing.app.inject({ url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ status: 'not_ready', redis: 'error' });
    } finally {
      await failing.close();
    }
  });
});
