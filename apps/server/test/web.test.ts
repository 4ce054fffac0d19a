import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/modules/api-keys/api-keys.service.ts';
import { createTenant } from '../src/modules/tenancy/tenancy.service.ts';
import { isReservedPath } from '../src/modules/web/web.routes.ts';
import { createTestApp, type TestApp } from './helpers/app.ts';

const INDEX_HTML =
  '<!doctype html><html><head><script type="module" src="/assets/app-3f9a.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = 'console.log("nexus web app");'.repeat(20);

describe('web app serving', () => {
  let distDir: string;
  let test: TestApp;

  beforeAll(async () => {
    distDir = await mkdtemp(path.join(tmpdir(), 'nexus-web-'));
    await mkdir(path.join(distDir, 'assets'));
    await writeFile(path.join(distDir, 'index.html'), INDEX_HTML);
    await writeFile(path.join(distDir, 'assets', 'app-3f9a.js'), SCRIPT);
    await writeFile(path.join(distDir, 'assets', 'app-3f9a.js.gz'), gzipSync(SCRIPT));
    await writeFile(path.join(distDir, 'assets', 'app-3f9a.css'), 'body{color:red}');
    await writeFile(path.join(distDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(path.join(distDir, '.env'), 'SECRET=1');
    await writeFile(path.join(tmpdir(), 'nexus-outside.txt'), 'CONTENT-OUTSIDE-THE-BUILD');
    test = await createTestApp('embedded', { webDistDir: distDir });
  });
  afterAll(async () => {
    await test?.close();
    await rm(distDir, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    test.app.inject({ method: 'GET', url, headers });

  it('serves index.html at / with a strict CSP, no framing and revalidation', async () => {
    const response = await get('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toBe(INDEX_HTML);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('never reads credentials for the app’s files (no session or key lookups)', async () => {
    const tenant = await test.database.db.transaction((trx) =>
      createTenant(trx, { slug: 'web', name: 'Web' }),
    );
    const { key, apiKey } = await createApiKey(test.database.db.kysely, {
      tenantId: tenant.id,
      name: 'static',
    });
    const lastUsed = async () =>
      (
        await test.database.db.kysely
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('id', '=', apiKey.id)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    for (const url of ['/', '/chat', '/assets/app-3f9a.js', '/favicon.svg']) {
      expect((await get(url, { authorization: `Bearer ${key}` })).statusCode, url).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // key use is recorded in the background
    expect(await lastUsed()).toBeNull();
    // An API route does look the key up (and records its use): the check above can fail.
    await get('/v1/api-key', { authorization: `Bearer ${key}` });
    await expect.poll(lastUsed).not.toBeNull();
  });

  it('answers client-side routes with index.html so a reload keeps the page', async () => {
    for (const url of [
      '/chat',
      '/chat/0b7c3a52-1f0e-4a55-9d1e-8f0a0c2b7d11',
      '/admin/users?tab=1',
      '/sign-in',
    ]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toBe(INDEX_HTML);
      expect(response.headers['content-security-policy'], url).toBeDefined();
    }
  });

  it('never answers API, tooling or missing files with index.html', async () => {
    for (const url of [
      '/api/v1/nope',
      '/api',
      '/v1/nope',
      '/ws/nope',
      '/docs/nope.txt',
      '/metrics/x',
      '/healthz/x',
    ]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code, url).toBe('not_found:route');
    }
    const missing = await get('/missing.png');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).not.toContain('<div id="root">');
    expect((await get('/assets/missing-1234.js')).statusCode).toBe(404);
    // Real API routes still win over the catch-all.
    expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await get('/api/v1/me')).statusCode).toBe(401);
  });

  it('serves hashed assets with their content type, long immutable caching and precompressed bodies', async () => {
    const script = await get('/assets/app-3f9a.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe(SCRIPT);
    const gzipped = await get('/assets/app-3f9a.js', { 'accept-encoding': 'gzip' });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers['content-type']).toMatch(/javascript/);
    expect(gzipped.headers.vary).toMatch(/accept-encoding/i);
    expect(gzipped.rawPayload.length).toBeLessThan(SCRIPT.length);
    expect((await get('/assets/app-3f9a.css')).headers['content-type']).toMatch(/^text\/css/);
    const favicon = await get('/favicon.svg');
    expect(favicon.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(favicon.headers['cache-control']).toBe('no-cache');
  });

  it('refuses path traversal and dotfiles', async () => {
    for (const url of [
      '/assets/..%2f..%2fnexus-outside.txt',
      '/assets/%2e%2e/%2e%2e/nexus-outside.txt',
      '/..%2fnexus-outside.txt',
      '/%2e%2e/nexus-outside.txt',
      '/.env',
    ]) {
      const response = await get(url);
      expect([403, 404], url).toContain(response.statusCode);
      expect(response.body, url).not.toContain('CONTENT-OUTSIDE-THE-BUILD');
      expect(response.body, url).not.toContain('SECRET');
    }
  });

  it('keeps the API landing page when the app is not built', async () => {
    const bare = await createTestApp('embedded', { webDistDir: path.join(distDir, 'does-not-exist') });
    try {
      const landing = await bare.app.inject({ method: 'GET', url: '/' });
      expect(landing.statusCode).toBe(200);
      expect(landing.body).toContain('Nexus is running');
      expect(landing.headers['content-security-policy']).toBeDefined();
      expect((await bare.app.inject({ method: 'GET', url: '/chat' })).statusCode).toBe(404);
      expect((await bare.app.inject({ method: 'GET', url: '/assets/app-3f9a.js' })).statusCode).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it('knows which paths are reserved for the API', () => {
    expect(isReservedPath('/api/v1/me')).toBe(true);
    expect(isReservedPath('/openapi.json')).toBe(true);
    expect(isReservedPath('/apis')).toBe(false);
    expect(isReservedPath('/chat')).toBe(false);
  });
});
