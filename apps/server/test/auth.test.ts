import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT, UnsecuredJWT } from 'jose';
import { generate } from 'otplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobDefinitions } from '../src/jobs.ts';
import { bearer, login, PASSWORD, type SeededTenant, seedTenant } from './helpers/accounts.ts';
import { createTestApp, silentLogger, type TestApp, testConfig, testKeys } from './helpers/app.ts';
import { describeEachBackend } from './helpers/databases.ts';

function cookiesOf(response: { cookies: { name: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries(response.cookies.map((cookie) => [cookie.name, cookie.value]));
}

/** A password sign-in as if from a client at `address`. */
function signInFrom(test: TestApp, email: string, password: string, address: string) {
  return test.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
    remoteAddress: address,
  });
}

describeEachBackend('password sign-in, tokens and sessions', (backend) => {
  let test: TestApp;
  let acme: SeededTenant;
  beforeEach(async () => {
    test = await createTestApp(backend, {
      environment: { NEXUS_LOGIN_MAX_FAILURES: '3', NEXUS_LOGIN_ADDRESS_MAX_FAILURES: '6' },
    });
    acme = await seedTenant(test.database.db, 'acme');
  });
  afterEach(async () => {
    await test.close();
  });

  it('signs in with email and password: tokens, user, httpOnly cookies, audit', async () => {
    const response = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'USER@acme.example', password: PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      token_type: 'bearer',
      expires_in: 900,
      user: {
        email: 'user@acme.example',
        role: 'user',
        tenant: { slug: 'acme' },
        department: { code: 'US/Finance' },
      },
    });
    expect(body.refresh_token).toMatch(/^nxr_/);
    const cookies = Object.fromEntries(response.cookies.map((cookie) => [cookie.name, cookie]));
    expect(cookies.nexus_access).toMatchObject({
      value: body.access_token,
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
    });
    expect(cookies.nexus_refresh).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });
    expect(cookies.nexus_csrf?.httpOnly).toBeFalsy();
    const me = await test.app.inject({ url: '/api/v1/me', headers: bearer(body.access_token) });
    expect(me.json()).toMatchObject({ id: acme.users.user.id, role: 'user' });
    const audit = await test.database.db.kysely
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'auth.%')
      .execute();
    expect(audit.map((row) => row.action)).toEqual(['auth.login']);
    // Refresh tokens are stored hashed, never in clear.
    const stored = await test.database.db.kysely.selectFrom('refresh_tokens').select('token_hash').execute();
    expect(stored.map((row) => row.token_hash)).not.toContain(body.refresh_token);
  });

  it('answers every bad credential the same way; repeated failures slow that address down, never lock the owner out', async () => {
    const attempt = (email: string, password: string, address: string) =>
      signInFrom(test, email, password, address);
    const attacker = '198.51.100.7';
    const unknown = await attempt('nobody@acme.example', PASSWORD, attacker);
    const wrong = await attempt('user@acme.example', 'wrong password!', attacker);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    await attempt('nobody@acme.example', 'x', attacker);
    await attempt('user@acme.example', 'wrong password!', attacker);
    await attempt('nobody@acme.example', 'x', attacker); // third failure each: the next one waits
    await attempt('user@acme.example', 'wrong password!', attacker);
    const slowedReal = await attempt('user@acme.example', PASSWORD, attacker);
    const slowedUnknown = await attempt('nobody@acme.example', PASSWORD, attacker);
    expect(slowedReal.statusCode).toBe(429);
    expect(slowedUnknown.statusCode).toBe(429);
    // A real account and an unknown email are indistinguishable, even when throttled.
    expect(slowedReal.json()).toEqual(slowedUnknown.json());
    expect(slowedReal.headers['retry-after']).toBe(slowedUnknown.headers['retry-after']);
    expect(Number(slowedReal.headers['retry-after'])).toBeLessThanOrEqual(2);

    // The owner, from their own address, signs in at once.
    const owner = await attempt('user@acme.example', PASSWORD, '203.0.113.5');
    expect(owner.statusCode).toBe(200);

    // The wait grows with each further failure: 1 s, then 2 s.
    await sleep(1_100);
    expect((await attempt('user@acme.example', 'wrong again', attacker)).statusCode).toBe(401);
    const longer = await attempt('user@acme.example', PASSWORD, attacker);
    expect(longer.statusCode).toBe(429);
    expect(Number(longer.headers['retry-after'])).toBe(2);

    const actions = await test.database.db.kysely
      .selectFrom('audit_log')
      .select('action')
      .where('action', 'like', 'auth.%')
      .execute();
    // Four failures of the real account (none for the unknown email, which has none), one success.
    expect(actions.filter((row) => row.action === 'auth.login_failed')).toHaveLength(4);
    expect(actions.filter((row) => row.action === 'auth.login')).toHaveLength(1);
  });

  it('forgets failures once their window has passed (the hourly purge job)', async () => {
    await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'user@acme.example', password: 'nope' },
      remoteAddress: '198.51.100.9',
    });
    const { db } = test.database;
    expect((await db.kysely.selectFrom('login_throttles').select('key').execute()).length).toBe(2);
    await db.executeSql(`UPDATE login_throttles SET window_started_at = now() - interval '2 hours'`);
    const purge = createJobDefinitions(testConfig()).find(
      (job) => job.name === 'auth-purge-login-throttles',
    )!;
    await purge.handler({}, { db, jobId: 'purge', attempt: 1, log: silentLogger });
    expect(await db.kysely.selectFrom('login_throttles').select('key').execute()).toEqual([]);
  });

  it('limits one address across accounts (password spraying), not other addresses', async () => {
    const attempt = (email: string, password: string, address: string) =>
      signInFrom(test, email, password, address);
    const sprayer = '192.0.2.66';
    for (let index = 0; index < 6; index++) {
      expect((await attempt(`person${index}@acme.example`, 'Winter2026!', sprayer)).statusCode).toBe(401);
    }
    const blocked = await attempt('user@acme.example', PASSWORD, sprayer);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('rate_limited:login');
    expect((await attempt('user@acme.example', PASSWORD, '192.0.2.67')).statusCode).toBe(200);
  });

  it('rejects missing, malformed, unsigned, foreign-key, tampered and expired tokens', async () => {
    const { access_token: valid } = await login(test.app, 'user@acme.example');
    const [header, payload, signature] = valid.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, role: 'super_admin' })).toString('base64url')}.${signature}`;
    const unsigned = new UnsecuredJWT(claims).encode();
    const foreignKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    const expired = await new SignJWT({ ...claims, iat: claims.iat - 3600, exp: claims.iat - 1800 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(testKeys.tokenSigningKey);
    expect((await test.app.inject({ url: '/api/v1/me' })).statusCode).toBe(401);
    for (const token of ['garbage', unsigned, foreignKey, tampered, expired]) {
      const response = await test.app.inject({ url: '/api/v1/me', headers: bearer(token) });
      expect(response.statusCode, token.slice(0, 30)).toBe(401);
      expect(response.json().error.code).toBe('unauthorized:token');
    }
    expect(
      (await test.app.inject({ url: '/api/v1/me', headers: { authorization: 'Basic abc' } })).statusCode,
    ).toBe(401);
    expect((await test.app.inject({ url: '/api/v1/me', headers: bearer(valid) })).statusCode).toBe(200);
  });

  it('rotates refresh tokens; reusing an old one revokes the whole session', async () => {
    const first = await login(test.app, 'user@acme.example');
    const refresh = (token: string) =>
      test.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });
    const second = await refresh(first.refresh_token);
    expect(second.statusCode).toBe(200);
    const rotated = second.json();
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
    expect(
      (await test.app.inject({ url: '/api/v1/me', headers: bearer(rotated.access_token) })).statusCode,
    ).toBe(200);

    const replay = await refresh(first.refresh_token);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('unauthorized:refresh_token');
    // The thief's replay ended the legitimate session too.
    expect((await refresh(rotated.refresh_token)).statusCode).toBe(401);
    expect(
      (await test.app.inject({ url: '/api/v1/me', headers: bearer(rotated.access_token) })).statusCode,
    ).toBe(401);
    const audit = await test.database.db.kysely.selectFrom('audit_log').select('action').execute();
    expect(audit.map((row) => row.action)).toContain('auth.refresh_token_reused');
  });

  it('signs out: the refresh token and the access token stop working, cookies are cleared', async () => {
    const session = await login(test.app, 'user@acme.example');
    const response = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: bearer(session.access_token),
      payload: { refresh_token: session.refresh_token },
    });
    expect(response.statusCode).toBe(204);
    expect(cookiesOf(response).nexus_access).toBe('');
    expect(
      (await test.app.inject({ url: '/api/v1/me', headers: bearer(session.access_token) })).statusCode,
    ).toBe(401);
    const refresh = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: session.refresh_token },
    });
    expect(refresh.statusCode).toBe(401);
  });

  it('accepts browser cookies, refreshes from the cookie, and requires the CSRF header on unsafe requests', async () => {
    const signIn = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'user@acme.example', password: PASSWORD },
    });
    const cookies = cookiesOf(signIn);
    const me = await test.app.inject({ url: '/api/v1/me', cookies });
    expect(me.statusCode).toBe(200);
    const withoutCsrf = await test.app.inject({ method: 'POST', url: '/api/v1/auth/totp/enroll', cookies });
    expect(withoutCsrf.statusCode).toBe(403);
    expect(withoutCsrf.json().error.code).toBe('forbidden:csrf');
    const withCsrf = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/enroll',
      cookies,
      headers: { 'x-csrf-token': cookies.nexus_csrf! },
    });
    expect(withCsrf.statusCode).toBe(200);
    const refreshed = await test.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies });
    expect(refreshed.statusCode).toBe(200);
    expect(cookiesOf(refreshed).nexus_refresh).not.toBe(cookies.nexus_refresh);
  });

  it('signs a browser out only with the CSRF token, so another site cannot', async () => {
    const signIn = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'user@acme.example', password: PASSWORD },
    });
    const cookies = cookiesOf(signIn);
    const forged = await test.app.inject({ method: 'POST', url: '/api/v1/auth/logout', cookies });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error.code).toBe('forbidden:csrf');
    // Still signed in.
    expect((await test.app.inject({ url: '/api/v1/me', cookies })).statusCode).toBe(200);
    expect((await test.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', cookies })).statusCode).toBe(
      200,
    );
    const fresh = cookiesOf(
      await test.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'user@acme.example', password: PASSWORD },
      }),
    );
    const signedOut = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      cookies: fresh,
      headers: { 'x-csrf-token': fresh.nexus_csrf! },
    });
    expect(signedOut.statusCode).toBe(204);
    expect((await test.app.inject({ url: '/api/v1/me', cookies: fresh })).statusCode).toBe(401);
    // API clients sign out with their bearer token or refresh token, no CSRF needed.
    const session = await login(test.app, 'user@acme.example');
    const apiLogout = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      payload: { refresh_token: session.refresh_token },
    });
    expect(apiLogout.statusCode).toBe(204);
  });

  it('enrols TOTP, then requires a valid code at sign-in', async () => {
    const session = await login(test.app, 'content-manager@acme.example');
    const enroll = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/enroll',
      headers: bearer(session.access_token),
    });
    const { secret, otpauth_url } = enroll.json();
    expect(otpauth_url).toContain('otpauth://totp/');
    const wrong = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/verify',
      headers: bearer(session.access_token),
      payload: { code: '000000' === (await generate({ secret })) ? '111111' : '000000' },
    });
    expect(wrong.statusCode).toBe(400);
    const verified = await test.app.inject({
      method: 'POST',
      url: '/api/v1/auth/totp/verify',
      headers: bearer(session.access_token),
      payload: { code: await generate({ secret }) },
    });
    expect(verified.statusCode).toBe(200);
    expect(verified.json().user.totp_enabled).toBe(true);
    // The stored secret is encrypted, not the base32 secret itself.
    const row = await test.database.db.kysely
      .selectFrom('users')
      .select('totp_secret')
      .where('id', '=', acme.users.content_manager.id)
      .executeTakeFirstOrThrow();
    expect(row.totp_secret).not.toContain(secret);

    const attempt = (totp?: string) =>
      test.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'content-manager@acme.example', password: PASSWORD, ...(totp ? { totp } : {}) },
      });
    expect((await attempt()).json().error.code).toBe('unauthorized:totp_required');
    expect((await attempt('123456' === (await generate({ secret })) ? '654321' : '123456')).statusCode).toBe(
      401,
    );
    expect((await attempt(await generate({ secret }))).statusCode).toBe(200);
  });

  it('limits requests per user, with Retry-After', async () => {
    const limited = await createTestApp(backend, { environment: { NEXUS_RATE_LIMIT_USER_PER_MINUTE: '3' } });
    try {
      await seedTenant(limited.database.db, 'rl');
      const { access_token } = await login(limited.app, 'user@rl.example');
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let index = 0; index < 4; index++) {
        const response = await limited.app.inject({ url: '/api/v1/me', headers: bearer(access_token) });
        statuses.push(response.statusCode);
        retryAfter ??= response.headers['retry-after'] as string | undefined;
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });
});

describe('admin TOTP requirement', () => {
  it('gives admins without TOTP a limited session that can only enrol', async () => {
    const test = await createTestApp('embedded', { environment: { NEXUS_ADMIN_TOTP: 'required' } });
    try {
      await seedTenant(test.database.db, 'acme');
      const admin = await login(test.app, 'super-admin@acme.example');
      expect(admin.user).toMatchObject({ totp_enrollment_required: true });
      const me = await test.app.inject({ url: '/api/v1/me', headers: bearer(admin.access_token) });
      expect(me.statusCode).toBe(200);
      const enroll = await test.app.inject({
        method: 'POST',
        url: '/api/v1/auth/totp/enroll',
        headers: bearer(admin.access_token),
      });
      expect(enroll.statusCode).toBe(200);
      const auditLog = await test.app.inject({
        url: '/api/v1/admin/audit-log',
        headers: bearer(admin.access_token),
      });
      expect(auditLog.statusCode).toBe(403);
      expect(auditLog.json().error.code).toBe('forbidden:totp_enrollment_required');
      const verified = await test.app.inject({
        method: 'POST',
        url: '/api/v1/auth/totp/verify',
        headers: bearer(admin.access_token),
        payload: { code: await generate({ secret: enroll.json().secret }) },
      });
      const full = verified.json();
      expect(full.user.totp_enrollment_required).toBe(false);
      expect(
        (await test.app.inject({ url: '/api/v1/admin/audit-log', headers: bearer(full.access_token) }))
          .statusCode,
      ).toBe(200);
      // Plain users are not asked for TOTP.
      expect((await login(test.app, 'user@acme.example')).user).toMatchObject({
        totp_enrollment_required: false,
      });
    } finally {
      await test.close();
    }
  });
});

describe('client address behind a proxy', () => {
  it('throttles by the forwarded client address only when NEXUS_TRUST_PROXY trusts the proxy', async () => {
    for (const [trust, expected] of [
      ['false', [401, 401, 429]],
      ['true', [401, 401, 401]],
    ] as const) {
      const test = await createTestApp('embedded', {
        environment: { NEXUS_TRUST_PROXY: trust, NEXUS_LOGIN_ADDRESS_MAX_FAILURES: '2' },
      });
      try {
        await seedTenant(test.database.db, 'acme');
        const statuses: number[] = [];
        for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
          const response = await test.app.inject({
            method: 'POST',
            url: '/api/v1/auth/login',
            payload: { email: `someone-${client}@acme.example`, password: 'wrong' },
            headers: { 'x-forwarded-for': client },
            remoteAddress: '10.0.0.5',
          });
          statuses.push(response.statusCode);
        }
        // Untrusted: every client looks like the proxy (10.0.0.5) and shares one budget.
        expect(statuses).toEqual(expected);
      } finally {
        await test.close();
      }
    }
  });
});
