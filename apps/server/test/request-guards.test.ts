import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, seedTenant } from './helpers/accounts.ts';
import { createTestApp, type TestApp } from './helpers/app.ts';

/**
 * Hostile and careless input on every route: NUL characters anywhere, malformed JSON,
 * broken multipart bodies, oversized bodies and headers. Each answer is a 4xx in the
 * app's error shape `{error:{code,message}}` with `nosniff` — never a 500.
 */

const NUL = 'x\u0000y';
/** Field names the API's bodies use, each given a NUL-laden value. */
const NUL_BODY = Object.fromEntries(
  [
    'query',
    'title',
    'content',
    'message',
    'name',
    'display_name',
    'email',
    'password',
    'code',
    'comment',
    'refresh_token',
    'model',
    'prompt',
    'mode',
    'role',
    'department',
    'region',
  ].map((field) => [field, NUL]),
);

function isErrorShape(body: unknown): boolean {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string' && error.message.length > 0;
}

describe('hostile input on every route', () => {
  let test: TestApp;
  let adminToken: string;
  let apiKey: string;

  beforeAll(async () => {
    test = await createTestApp('embedded', { environment: { NEXUS_BODY_LIMIT_BYTES: '65536' } });
    const acme = await seedTenant(test.database.db, 'acme');
    adminToken = (await login(test.app, acme.users.super_admin.email)).access_token;
    apiKey = (
      await test.app.inject({
        method: 'POST',
        url: '/api/v1/admin/api-keys',
        headers: bearer(adminToken),
        payload: { name: 'hostile' },
      })
    ).json().key;
  });
  afterAll(async () => {
    await test?.close();
  });

  function routes() {
    return test.app.routeTable.filter(
      (route) => !route.url.startsWith('/ws/') && !route.url.includes('*') && !route.url.startsWith('/docs'),
    );
  }

  it('refuses a NUL character in the path, the query string and the JSON body of every route with a 4xx', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routes()) {
      const credentials = route.access === 'api_key' ? bearer(apiKey) : bearer(adminToken);
      const withId = route.url.replace(/:(\w+)/g, () => randomUUID());
      const withNulParam = route.url.replace(/:(\w+)/g, () => '%00');
      const attempts: { url: string; payload?: unknown }[] = [
        { url: `${withId}?search=${encodeURIComponent(NUL)}&query=${encodeURIComponent(NUL)}` },
      ];
      if (withNulParam !== route.url) attempts.push({ url: withNulParam });
      if (route.method !== 'GET' && route.method !== 'DELETE')
        attempts.push({ url: withId, payload: NUL_BODY });
      for (const attempt of attempts) {
        const response = await test.app.inject({
          method: route.method as 'GET',
          url: attempt.url,
          headers: credentials,
          ...(attempt.payload === undefined ? {} : { payload: attempt.payload as object }),
        });
        checked++;
        const label = `${route.method} ${attempt.url}${attempt.payload ? ' (NUL body)' : ''} → ${response.statusCode}`;
        if (response.statusCode >= 500) failures.push(`${label} ${response.body.slice(0, 200)}`);
        else if (response.statusCode >= 400 && !isErrorShape(response.json()))
          failures.push(`${label} shape`);
        else if (response.headers['x-content-type-options'] !== 'nosniff')
          failures.push(`${label} no nosniff`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(60);
    expect((await test.app.inject({ url: '/api/v1/me', headers: bearer(adminToken) })).statusCode).toBe(200);
  });

  it('names where the NUL is, and stores nothing', async () => {
    const search = await test.app.inject({
      method: 'POST',
      url: '/api/v1/search',
      headers: bearer(adminToken),
      payload: { query: NUL },
    });
    expect(search.statusCode).toBe(400);
    expect(search.json().error).toMatchObject({
      code: 'bad_request:nul_character',
      details: { path: 'body.query' },
    });
    const conversation = await test.app.inject({
      method: 'POST',
      url: '/api/v1/conversations',
      headers: bearer(adminToken),
      payload: { mode: 'rag', title: NUL },
    });
    expect(conversation.statusCode).toBe(400);
    const stored = await test.database.db.kysely.selectFrom('conversations').select('id').execute();
    expect(stored).toEqual([]);
  });

  it('answers malformed JSON and broken multipart bodies with 4xx on every route that takes a body', async () => {
    const failures: string[] = [];
    for (const route of routes()) {
      // Signing out with a bearer token ends the session whatever the body: keep it for the walk.
      if (route.method === 'GET' || route.method === 'DELETE' || route.url === '/api/v1/auth/logout')
        continue;
      const credentials = route.access === 'api_key' ? bearer(apiKey) : bearer(adminToken);
      const url = route.url.replace(/:(\w+)/g, () => randomUUID());
      const bodies: { type: string; payload: string }[] = [
        { type: 'application/json', payload: '{"query": "unfinished' },
        { type: 'multipart/form-data', payload: 'no boundary at all' },
        {
          type: 'multipart/form-data; boundary=XYZ',
          payload: '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\n\r\ntruncated',
        },
        { type: 'text/plain', payload: 'plain text' },
      ];
      for (const body of bodies) {
        const response = await test.app.inject({
          method: route.method as 'POST',
          url,
          headers: { ...credentials, 'content-type': body.type },
          payload: body.payload,
        });
        const label = `${route.method} ${route.url} ${body.type} → ${response.statusCode}`;
        if (response.statusCode >= 500) failures.push(`${label} ${response.body.slice(0, 160)}`);
        else if (response.statusCode >= 400 && !isErrorShape(response.json()))
          failures.push(`${label} shape`);
      }
    }
    expect(failures).toEqual([]);
    // The session survived the walk, so every route above was reached as a signed-in admin.
    expect((await test.app.inject({ url: '/api/v1/me', headers: bearer(adminToken) })).statusCode).toBe(200);
  });

  it('answers an oversized body with 413 in the error shape', async () => {
    const response = await test.app.inject({
      method: 'POST',
      url: '/api/v1/search',
      headers: bearer(adminToken),
      payload: { query: 'x'.repeat(100_000) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error).toMatchObject({ code: 'payload_too_large:body' });
    expect(response.json().error.message).toContain('65536');
  });

  it('answers what Node refuses before routing (headers too large, not HTTP) in the error shape', async () => {
    const address = await test.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const raw = (payload: string) =>
      new Promise<string>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(payload));
        let data = '';
        socket.on('data', (chunk) => {
          data += chunk;
        });
        socket.on('close', () => resolve(data));
        socket.on('error', () => resolve(data));
      });
    const tooLarge = await raw(`GET /healthz?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(tooLarge).toMatch(/^HTTP\/1\.1 431 /);
    expect(tooLarge.toLowerCase()).toContain('x-content-type-options: nosniff');
    expect(JSON.parse(tooLarge.split('\r\n\r\n')[1]!).error.code).toBe('headers_too_large');
    const garbage = await raw('GARBAGE\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbage.split('\r\n\r\n')[1]!).error.code).toBe('bad_request:http');
    const badUrl = await fetch(`${address}/api/v1/documents/%E0%A4%A`);
    expect(badUrl.status).toBeLessThan(500);
    expect(isErrorShape(await badUrl.json())).toBe(true);
    await sleep(10);
  });
});
