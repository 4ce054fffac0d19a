import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import type { AccessRule } from '../src/modules/access/access.types.ts';
import type { Role } from '../src/platform/db/schema.ts';
import { createMemoryRateLimiter, createRedisRateLimiter } from '../src/platform/rate-limit.ts';
import { bearer, login, type SeededTenant, seedTenant } from './helpers/accounts.ts';
import { createTestApp, silentLogger, type TestApp, testConfig, testKeys } from './helpers/app.ts';
import { runCli } from './helpers/cli.ts';
import { describeEachBackend } from './helpers/databases.ts';

type Caller = 'anonymous' | Role | 'api_key';

/**
 * Every route and who may call it. Adding a route without adding it here fails the
 * first test, so access is always a deliberate decision.
 */
const ROUTE_TABLE: Record<string, 'public' | Caller[]> = {
  'GET /healthz': 'public',
  'GET /v1/health': 'public',
  'GET /readyz': 'public',
  'GET /openapi.json': 'public',
  'GET /metrics': 'public',
  'GET /': 'public',
  'GET /assets/*': 'public',
  'GET /*': 'public',
  'GET /api/v1/auth/config': 'public',
  'POST /api/v1/auth/login': 'public',
  'POST /api/v1/auth/refresh': 'public',
  'POST /api/v1/auth/logout': 'public',
  'GET /api/v1/me': ['user', 'content_manager', 'super_admin'],
  'POST /api/v1/auth/totp/enroll': ['user', 'content_manager', 'super_admin'],
  'POST /api/v1/auth/totp/verify': ['user', 'content_manager', 'super_admin'],
  'GET /api/v1/admin/users': ['super_admin'],
  'PATCH /api/v1/admin/users/:id': ['super_admin'],
  'GET /api/v1/admin/regions': ['user', 'content_manager', 'super_admin'],
  'POST /api/v1/admin/regions': ['super_admin'],
  'PATCH /api/v1/admin/regions/:id': ['super_admin'],
  'DELETE /api/v1/admin/regions/:id': ['super_admin'],
  'GET /api/v1/admin/departments': ['user', 'content_manager', 'super_admin'],
  'POST /api/v1/admin/departments': ['super_admin'],
  'PATCH /api/v1/admin/departments/:id': ['super_admin'],
  'DELETE /api/v1/admin/departments/:id': ['super_admin'],
  'GET /api/v1/admin/api-keys': ['super_admin'],
  'POST /api/v1/admin/api-keys': ['super_admin'],
  'DELETE /api/v1/admin/api-keys/:id': ['super_admin'],
  'GET /api/v1/admin/audit-log': ['super_admin'],
  'GET /v1/api-key': ['api_key'],
  'POST /api/v1/documents': ['content_manager', 'super_admin'],
  'GET /api/v1/documents': ['user', 'content_manager', 'super_admin'],
  'GET /api/v1/documents/:id': ['user', 'content_manager', 'super_admin'],
  'GET /api/v1/documents/:id/file': ['user', 'content_manager', 'super_admin', 'api_key'],
  'DELETE /api/v1/documents/:id': ['content_manager', 'super_admin'],
  'POST /api/v1/documents/:id/versions': ['content_manager', 'super_admin'],
  'GET /api/v1/jobs/:id': ['user', 'content_manager', 'super_admin'],
  'POST /api/v1/search': ['user', 'content_manager', 'super_admin', 'api_key'],
  'POST /api/v1/conversations': ['user', 'content_manager', 'super_admin', 'api_key'],
  'GET /api/v1/conversations': ['user', 'content_manager', 'super_admin', 'api_key'],
  'GET /api/v1/conversations/:id': ['user', 'content_manager', 'super_admin', 'api_key'],
  'PATCH /api/v1/conversations/:id': ['user', 'content_manager', 'super_admin', 'api_key'],
  'DELETE /api/v1/conversations/:id': ['user', 'content_manager', 'super_admin', 'api_key'],
  'POST /api/v1/conversations/:id/messages': ['user', 'content_manager', 'super_admin', 'api_key'],
  'GET /api/v1/chat/stream': ['user', 'content_manager', 'super_admin', 'api_key'],
  'GET /ws/chat/:conversation_id': ['user', 'content_manager', 'super_admin', 'api_key'],
  'POST /api/v1/messages/:id/feedback': ['user', 'content_manager', 'super_admin'],
  'POST /v1/chat': ['api_key'],
  'GET /v1/models': ['api_key'],
  'POST /v1/chat/completions': ['api_key'],
  'GET /api/v1/admin/llm-configs': ['super_admin'],
  'POST /api/v1/admin/llm-configs': ['super_admin'],
  'PATCH /api/v1/admin/llm-configs/:id': ['super_admin'],
  'DELETE /api/v1/admin/llm-configs/:id': ['super_admin'],
  'GET /api/v1/admin/system-prompts': ['super_admin'],
  'POST /api/v1/admin/system-prompts': ['super_admin'],
  'POST /api/v1/admin/system-prompts/:id/activate': ['super_admin'],
  'GET /api/v1/admin/model-prices': ['super_admin'],
  'PUT /api/v1/admin/model-prices': ['super_admin'],
  'GET /api/metrics/tokens': ['super_admin'],
  'GET /api/v1/auth/sso/login': 'public',
  'GET /api/v1/auth/sso/callback': 'public',
  'GET /api/v1/admin/sso/group-mappings': ['super_admin'],
  'POST /api/v1/admin/sso/group-mappings': ['super_admin'],
  'DELETE /api/v1/admin/sso/group-mappings/:id': ['super_admin'],
  'GET /api/v1/admin/notebooks/usage': ['super_admin'],
  'POST /api/v1/notebook/sessions': ['user', 'content_manager', 'super_admin'],
  'GET /api/v1/notebook/sessions': ['user', 'content_manager', 'super_admin'],
  'GET /api/v1/notebook/sessions/:id': ['user', 'content_manager', 'super_admin'],
  'PATCH /api/v1/notebook/sessions/:id': ['user', 'content_manager', 'super_admin'],
  'DELETE /api/v1/notebook/sessions/:id': ['user', 'content_manager', 'super_admin'],
  'POST /api/v1/notebook/sessions/:id/pin': ['user', 'content_manager', 'super_admin'],
  'POST /api/v1/notebook/sessions/:id/unpin': ['user', 'content_manager', 'super_admin'],
  'POST /api/v1/notebook/sessions/:id/upload': ['user', 'content_manager', 'super_admin'],
  'DELETE /api/v1/notebook/sessions/:id/files/:file_id': ['user', 'content_manager', 'super_admin'],
  'GET /api/v1/notebook/sessions/:id/files/:file_id/content': ['user', 'content_manager', 'super_admin'],
  'POST /api/v1/notebook/sessions/:id/chat': ['user', 'content_manager', 'super_admin'],
  'GET /api/v1/notebook/sessions/:id/conversation': ['user', 'content_manager', 'super_admin'],
};

function expectedCallers(rule: AccessRule): 'public' | Caller[] {
  if (rule === 'public') return 'public';
  if (rule === 'api_key') return ['api_key'];
  const rank: Role[] = ['user', 'content_manager', 'super_admin'];
  const allowed: Caller[] = rank.slice(rank.indexOf(rule.role));
  return rule.apiKey ? [...allowed, 'api_key'] : allowed;
}

describe('route access table', () => {
  let test: TestApp;
  let acme: SeededTenant;
  const credentials = {} as Record<Exclude<Caller, 'anonymous'>, string>;

  beforeEach(async () => {
    test = await createTestApp('embedded');
    acme = await seedTenant(test.database.db, 'acme');
    for (const role of ['user', 'content_manager', 'super_admin'] as const) {
      credentials[role] = (await login(test.app, acme.users[role].email)).access_token;
    }
    const key = await test.app.inject({
      method: 'POST',
      url: '/api/v1/admin/api-keys',
      headers: bearer(credentials.super_admin),
      payload: { name: 'table test' },
    });
    credentials.api_key = key.json().key;
  });
  afterEach(async () => {
    await test.close();
  });

  it('declares, for every route, exactly the callers listed in the table', async () => {
    await test.app.ready();
    const declared = Object.fromEntries(
      test.app.routeTable
        .filter((route) => !route.url.startsWith('/docs'))
        .map((route) => [`${route.method} ${route.url}`, expectedCallers(route.access)]),
    );
    expect(declared).toEqual(ROUTE_TABLE);
  });

  it('refuses to start with a route that declares no access rule, and gives admin routes the admin default', async () => {
    const app = await buildApp(testConfig(), {
      db: test.database.db,
      queue: test.queue,
      logger: silentLogger,
      keys: testKeys,
      rateLimiter: createMemoryRateLimiter(),
    });
    app.get('/api/v1/forgotten', async () => ({ ok: true }));
    await expect(app.ready()).rejects.toThrow('Route GET /api/v1/forgotten declares no access rule');
    // Under /api/v1/admin a route without its own rule is super admins' (accessByDefault).
    expect(test.app.routeTable.find((route) => route.url === '/api/v1/admin/audit-log')?.access).toEqual({
      role: 'super_admin',
    });
  });

  it('answers 401 to anonymous callers and 403 to callers without the role, on every route', async () => {
    for (const [route, allowed] of Object.entries(ROUTE_TABLE)) {
      if (allowed === 'public') continue;
      const [method, path] = route.split(' ') as [string, string];
      const url = path.replace(':id', randomUUID());
      const call = (headers: Record<string, string>) =>
        test.app.inject({
          method: method as 'GET',
          url,
          headers,
          ...(method === 'GET' ? {} : { payload: {} }),
        });
      expect((await call({})).statusCode, `${route} anonymous`).toBe(401);
      for (const caller of ['user', 'content_manager', 'super_admin', 'api_key'] as const) {
        const status = (await call(bearer(credentials[caller]))).statusCode;
        if (allowed.includes(caller)) expect([401, 403], `${route} as ${caller}`).not.toContain(status);
        else expect(status, `${route} as ${caller}`).toBe(403);
      }
    }
  });
});

describeEachBackend('tenant isolation and admin endpoints', (backend) => {
  let test: TestApp;
  let acme: SeededTenant;
  let globex: SeededTenant;
  let acmeAdmin: string;
  let globexAdmin: string;

  beforeEach(async () => {
    test = await createTestApp(backend);
    acme = await seedTenant(test.database.db, 'acme');
    globex = await seedTenant(test.database.db, 'globex');
    acmeAdmin = (await login(test.app, acme.users.super_admin.email)).access_token;
    globexAdmin = (await login(test.app, globex.users.super_admin.email)).access_token;
  });
  afterEach(async () => {
    await test.close();
  });

  it("returns 404, never data, for another tenant's ids", async () => {
    const globexKey = await test.app.inject({
      method: 'POST',
      url: '/api/v1/admin/api-keys',
      headers: bearer(globexAdmin),
      payload: { name: 'globex key' },
    });
    const globexKeyId = globexKey.json().api_key.id;
    const globexRegions = (
      await test.app.inject({ url: '/api/v1/admin/regions', headers: bearer(globexAdmin) })
    ).json().regions;
    const globexDepartments = (
      await test.app.inject({ url: '/api/v1/admin/departments', headers: bearer(globexAdmin) })
    ).json().departments;

    const attempts = [
      {
        method: 'PATCH',
        url: `/api/v1/admin/users/${globex.users.user.id}`,
        payload: { role: 'super_admin' },
      },
      { method: 'DELETE', url: `/api/v1/admin/api-keys/${globexKeyId}` },
      { method: 'PATCH', url: `/api/v1/admin/regions/${globexRegions[0].id}`, payload: { name: 'Hijacked' } },
      { method: 'DELETE', url: `/api/v1/admin/regions/${globexRegions[0].id}` },
      {
        method: 'PATCH',
        url: `/api/v1/admin/departments/${globexDepartments[0].id}`,
        payload: { name: 'Hijacked' },
      },
      { method: 'DELETE', url: `/api/v1/admin/departments/${globexDepartments[0].id}` },
    ] as const;
    for (const attempt of attempts) {
      const response = await test.app.inject({ ...attempt, headers: bearer(acmeAdmin) });
      expect(response.statusCode, `${attempt.method} ${attempt.url}`).toBe(404);
      expect(response.body).not.toContain('globex');
    }
    const users = (await test.app.inject({ url: '/api/v1/admin/users', headers: bearer(acmeAdmin) })).json()
      .users;
    expect(
      users
        .map((user: { email: string }) => user.email)
        .every((email: string) => email.endsWith('@acme.example')),
    ).toBe(true);
    const keys = (await test.app.inject({ url: '/api/v1/admin/api-keys', headers: bearer(acmeAdmin) })).json()
      .api_keys;
    expect(keys).toEqual([]);
    const audit = (
      await test.app.inject({ url: '/api/v1/admin/audit-log', headers: bearer(acmeAdmin) })
    ).json().events;
    expect(JSON.stringify(audit)).not.toContain(globex.tenantId);
    expect(JSON.stringify(audit)).not.toContain('globex');
    // Globex's data is untouched.
    const globexUser = (await test.app.inject({ url: '/api/v1/admin/users', headers: bearer(globexAdmin) }))
      .json()
      .users.find((user: { id: string }) => user.id === globex.users.user.id);
    expect(globexUser.role).toBe('user');
    expect(
      (await test.app.inject({ url: '/api/v1/admin/api-keys', headers: bearer(globexAdmin) })).json()
        .api_keys[0].revoked_at,
    ).toBeNull();
  });

  it('manages users: role, department and deactivation, audited; a deactivated user is signed out', async () => {
    const employee = await login(test.app, acme.users.user.email);
    const patch = await test.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${acme.users.user.id}`,
      headers: bearer(acmeAdmin),
      payload: { role: 'content_manager', department: 'apac/sales' },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({ role: 'content_manager', department: 'APAC/Sales' });
    // The role change applies to the open session at once.
    expect(
      (await test.app.inject({ url: '/api/v1/me', headers: bearer(employee.access_token) })).json().role,
    ).toBe('content_manager');

    const badDepartment = await test.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${acme.users.user.id}`,
      headers: bearer(acmeAdmin),
      payload: { department: 'Mars/HR' },
    });
    expect(badDepartment.statusCode).toBe(404);
    const selfDemotion = await test.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${acme.users.super_admin.id}`,
      headers: bearer(acmeAdmin),
      payload: { role: 'user' },
    });
    expect(selfDemotion.statusCode).toBe(409);

    const deactivate = await test.app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${acme.users.user.id}`,
      headers: bearer(acmeAdmin),
      payload: { is_active: false },
    });
    expect(deactivate.json().is_active).toBe(false);
    expect(
      (await test.app.inject({ url: '/api/v1/me', headers: bearer(employee.access_token) })).statusCode,
    ).toBe(401);
    const relogin = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: acme.users.user.email, password: 'correct horse battery staple' },
    });
    expect(relogin.statusCode).toBe(401);

    const events = (
      await test.app.inject({ url: '/api/v1/admin/audit-log?action=user.', headers: bearer(acmeAdmin) })
    )
      .json()
      .events.map((event: { action: string }) => event.action);
    expect(events).toEqual(
      expect.arrayContaining(['user.role_changed', 'user.department_changed', 'user.deactivated']),
    );
  });

  it('manages regions and departments, refusing to delete what is in use', async () => {
    const region = await test.app.inject({
      method: 'POST',
      url: '/api/v1/admin/regions',
      headers: bearer(acmeAdmin),
      payload: { code: 'EU', name: 'Europe' },
    });
    expect(region.statusCode).toBe(201);
    const duplicate = await test.app.inject({
      method: 'POST',
      url: '/api/v1/admin/regions',
      headers: bearer(acmeAdmin),
      payload: { code: 'eu', name: 'Again' },
    });
    expect(duplicate.statusCode).toBe(409);
    const department = await test.app.inject({
      method: 'POST',
      url: '/api/v1/admin/departments',
      headers: bearer(acmeAdmin),
      payload: { region: 'EU', code: 'Legal', name: 'Legal' },
    });
    expect(department.json()).toMatchObject({ path: 'EU/Legal', region: { code: 'EU' } });
    const regionInUse = await test.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/regions/${region.json().id}`,
      headers: bearer(acmeAdmin),
    });
    expect(regionInUse.statusCode).toBe(409);
    expect(regionInUse.json().error.message).toContain('1 departments');
    await test.database.db.kysely
      .insertInto('documents')
      .values({ tenant_id: acme.tenantId, title: 'EU contract', department_ids: [department.json().id] })
      .execute();
    const departmentInUse = await test.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/departments/${department.json().id}`,
      headers: bearer(acmeAdmin),
    });
    expect(departmentInUse.statusCode).toBe(409);
    await test.database.db.kysely.deleteFrom('documents').where('tenant_id', '=', acme.tenantId).execute();
    expect(
      (
        await test.app.inject({
          method: 'DELETE',
          url: `/api/v1/admin/departments/${department.json().id}`,
          headers: bearer(acmeAdmin),
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (
        await test.app.inject({
          method: 'DELETE',
          url: `/api/v1/admin/regions/${region.json().id}`,
          headers: bearer(acmeAdmin),
        })
      ).statusCode,
    ).toBe(204);
    const invalid = await test.app.inject({
      method: 'POST',
      url: '/api/v1/admin/regions',
      headers: bearer(acmeAdmin),
      payload: { code: 'no spaces', name: 'x' },
    });
    expect(invalid.statusCode).toBe(400);
  });

  it('creates API keys shown once and stored hashed; keys authenticate, are rate-limited and revocable', async () => {
    const created = await test.app.inject({
      method: 'POST',
      url: '/api/v1/admin/api-keys',
      headers: bearer(acmeAdmin),
      payload: { name: 'integration', rate_limit_per_minute: 2 },
    });
    expect(created.statusCode).toBe(201);
    const { key, api_key } = created.json();
    expect(key).toMatch(new RegExp(`^nxk_${api_key.prefix}_`));
    const listed = await test.app.inject({ url: '/api/v1/admin/api-keys', headers: bearer(acmeAdmin) });
    expect(listed.body).not.toContain(key);
    const stored = await test.database.db.kysely
      .selectFrom('api_keys')
      .select('key_hash')
      .executeTakeFirstOrThrow();
    expect(stored.key_hash).not.toContain(key.slice(13));

    const first = await test.app.inject({ url: '/v1/api-key', headers: bearer(key) });
    expect(first.json()).toMatchObject({
      id: api_key.id,
      tenant: { slug: 'acme' },
      rate_limit_per_minute: 2,
    });
    expect((await test.app.inject({ url: '/v1/api-key', headers: bearer(key) })).statusCode).toBe(200);
    const limited = await test.app.inject({ url: '/v1/api-key', headers: bearer(key) });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // An API key is not a user session.
    expect((await test.app.inject({ url: '/api/v1/me', headers: bearer(key) })).statusCode).toBe(403);

    const revoked = await test.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/api-keys/${api_key.id}`,
      headers: bearer(acmeAdmin),
    });
    expect(revoked.statusCode).toBe(204);
    const afterRevoke = await test.app.inject({ url: '/v1/api-key', headers: bearer(key) });
    expect(afterRevoke.statusCode).toBe(401);
    expect(afterRevoke.json().error.code).toBe('unauthorized:api_key');
    const actions = (
      await test.app.inject({ url: '/api/v1/admin/audit-log?action=api_key.', headers: bearer(acmeAdmin) })
    )
      .json()
      .events.map((event: { action: string }) => event.action);
    expect(actions).toEqual(['api_key.revoked', 'api_key.created']);
  });
});

const redisUrl = process.env.REDIS_URL;
describe.skipIf(!redisUrl)('rate limits shared across processes through Redis', () => {
  const clients: Redis[] = [];
  afterAll(() => {
    for (const client of clients) client.disconnect();
  });

  it('counts one API key budget across two app instances', async () => {
    const prefix = `nexus-test:${randomUUID()}:`;
    const limiter = () => {
      const client = new Redis(redisUrl!);
      clients.push(client);
      return createRedisRateLimiter(client, { prefix });
    };
    // Two app instances (as two processes would be) on one database, each with its own Redis connection.
    const one = await createTestApp('embedded', { rateLimiter: limiter() });
    const two = await buildApp(one.app.config, { ...one.app.deps, rateLimiter: limiter() });
    try {
      const acme = await seedTenant(one.database.db, 'acme');
      const admin = (await login(one.app, acme.users.super_admin.email)).access_token;
      const { key } = (
        await one.app.inject({
          method: 'POST',
          url: '/api/v1/admin/api-keys',
          headers: bearer(admin),
          payload: { name: 'shared', rate_limit_per_minute: 3 },
        })
      ).json();
      const statuses: number[] = [];
      for (const app of [one.app, two, one.app, two]) {
        statuses.push((await app.inject({ url: '/v1/api-key', headers: bearer(key) })).statusCode);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await two.close();
      await one.close();
    }
  });
});

it('creates an API key from the command line, printing it once on the last line', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nexus-apikey-'));
  try {
    await runCli(['seed-demo'], { NEXUS_DATA_DIR: dataDir });
    const result = await runCli(['apikey', 'create', '--name', 'cli key', '--rate-limit', '30'], {
      NEXUS_DATA_DIR: dataDir,
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^nxk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    const bad = await runCli(['apikey', 'create', '--name', 'x', '--rate-limit', 'lots'], {
      NEXUS_DATA_DIR: dataDir,
    });
    expect(bad.code).toBe(2);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
