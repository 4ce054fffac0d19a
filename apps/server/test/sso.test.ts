import { afterEach, beforeEach, expect, it } from 'vitest';
import { bearer, login, type SeededTenant, seedTenant } from './helpers/accounts.ts';
import { createTestApp, type TestApp } from './helpers/app.ts';
import { describeEachBackend } from './helpers/databases.ts';
import { type OidcProviderIdp, signInThroughBrowser, startOidcProviderIdp } from './helpers/oidc-idp.ts';

const REDIRECT_URL = 'http://127.0.0.1:8080/api/v1/auth/sso/callback';
const CLIENT = { clientId: 'nexus-test', clientSecret: 'a client secret that is long enough' };

function cookiesOf(response: { cookies: { name: string; value: string }[] }): Record<string, string> {
  return Object.fromEntries(response.cookies.map((cookie) => [cookie.name, cookie.value]));
}

describeEachBackend('single sign-on routes', (backend) => {
  let idp: OidcProviderIdp;
  let test: TestApp;
  let acme: SeededTenant;

  beforeEach(async () => {
    idp = await startOidcProviderIdp({
      ...CLIENT,
      redirectUrl: REDIRECT_URL,
      account: {
        sub: 'entra-oid-123',
        email: 'new.person@acme.example',
        email_verified: true,
        name: 'New Person',
        groups: ['g-finance'],
      },
    });
    test = await createTestApp(backend, {
      environment: {
        NEXUS_SSO_ISSUER_URL: idp.issuer,
        NEXUS_SSO_CLIENT_ID: CLIENT.clientId,
        NEXUS_SSO_CLIENT_SECRET: CLIENT.clientSecret,
        NEXUS_SSO_REDIRECT_URL: REDIRECT_URL,
        NEXUS_SSO_TENANT: 'acme',
        NEXUS_SSO_ALLOW_INSECURE_HTTP: 'true',
      },
    });
    acme = await seedTenant(test.database.db, 'acme');
  });
  afterEach(async () => {
    await test.close();
    await idp.close();
  });

  /** Browser round trip: our login → IdP → our callback. */
  async function signIn(returnTo = '/chat') {
    const start = await test.app.inject({
      url: `/api/v1/auth/sso/login?return_to=${encodeURIComponent(returnTo)}`,
    });
    expect(start.statusCode).toBe(302);
    const callback = await signInThroughBrowser(start.headers.location as string, REDIRECT_URL);
    return test.app.inject({ url: `${callback.pathname}${callback.search}`, cookies: cookiesOf(start) });
  }

  it('advertises SSO, provisions the user on first login, maps groups to a department, and signs in', async () => {
    const config = (await test.app.inject({ url: '/api/v1/auth/config' })).json();
    expect(config.sso).toEqual({
      enabled: true,
      provider_name: 'Microsoft',
      login_url: '/api/v1/auth/sso/login',
    });
    const admin = (await login(test.app, acme.users.super_admin.email)).access_token;
    const mapping = await test.app.inject({
      method: 'POST',
      url: '/api/v1/admin/sso/group-mappings',
      headers: bearer(admin),
      payload: { claim_value: 'g-finance', department: 'US/Finance' },
    });
    expect(mapping.statusCode).toBe(201);

    const callback = await signIn('/chat?x=1');
    expect(callback.statusCode).toBe(302);
    expect(callback.headers.location).toBe('/chat?x=1');
    const session = cookiesOf(callback);
    const me = await test.app.inject({ url: '/api/v1/me', cookies: session });
    expect(me.json()).toMatchObject({
      email: 'new.person@acme.example',
      role: 'user',
      department: { code: 'US/Finance' },
    });

    const again = await signIn();
    expect(again.statusCode).toBe(302);
    const users = await test.database.db.kysely
      .selectFrom('users')
      .select('email')
      .where('email', '=', 'new.person@acme.example')
      .execute();
    expect(users).toHaveLength(1);
    const identities = await test.database.db.kysely
      .selectFrom('identities')
      .select(['subject', 'issuer'])
      .execute();
    expect(identities).toEqual([{ subject: 'entra-oid-123', issuer: idp.issuer }]);
    const actions = (await test.database.db.kysely.selectFrom('audit_log').select('action').execute()).map(
      (row) => row.action,
    );
    expect(actions.filter((action) => action === 'user.provisioned')).toHaveLength(1);
    expect(actions.filter((action) => action === 'auth.login')).toHaveLength(3); // admin password + two SSO
  });

  it('links an existing account by email instead of duplicating it', async () => {
    idp.account.email = acme.users.content_manager.email;
    const callback = await signIn();
    const me = await test.app.inject({ url: '/api/v1/me', cookies: cookiesOf(callback) });
    expect(me.json()).toMatchObject({ id: acme.users.content_manager.id, role: 'content_manager' });
  });

  it('refuses a callback without the sign-in cookie, a forged state, an IdP refusal, and open redirects', async () => {
    const start = await test.app.inject({ url: '/api/v1/auth/sso/login?return_to=//evil.example/x' });
    const callback = await signInThroughBrowser(start.headers.location as string, REDIRECT_URL);
    const withoutCookie = await test.app.inject({ url: `${callback.pathname}${callback.search}` });
    expect(withoutCookie.statusCode).toBe(400);
    expect(withoutCookie.json().error.code).toBe('bad_request:sso_state');

    const forged = new URL(callback);
    forged.searchParams.set('state', 'forged');
    const forgedResponse = await test.app.inject({
      url: `${forged.pathname}${forged.search}`,
      cookies: cookiesOf(start),
    });
    expect(forgedResponse.statusCode).toBe(400);

    const fresh = await test.app.inject({ url: '/api/v1/auth/sso/login?return_to=//evil.example/x' });
    const good = await signInThroughBrowser(fresh.headers.location as string, REDIRECT_URL);
    const redirected = await test.app.inject({
      url: `${good.pathname}${good.search}`,
      cookies: cookiesOf(fresh),
    });
    expect(redirected.headers.location).toBe('/');

    idp.interactionOutcome = { error: 'access_denied', error_description: 'User cancelled' };
    const denied = await signIn();
    expect(denied.statusCode).toBe(401);
    expect(denied.json().error).toMatchObject({ code: 'unauthorized:sso_denied' });
    expect(denied.json().error.message).toContain('User cancelled');
  });

  it('refuses a deactivated account', async () => {
    await signIn();
    await test.database.db.kysely
      .updateTable('users')
      .set({ is_active: false })
      .where('email', '=', 'new.person@acme.example')
      .execute();
    const response = await signIn();
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('unauthorized:sso_disabled');
  });
});

it('answers 404 on SSO routes when SSO is not configured', async () => {
  const test = await createTestApp('embedded');
  try {
    const response = await test.app.inject({ url: '/api/v1/auth/sso/login' });
    expect(response.statusCode).toBe(404);
    expect((await test.app.inject({ url: '/api/v1/auth/config' })).json().sso.enabled).toBe(false);
  } finally {
    await test.close();
  }
});
