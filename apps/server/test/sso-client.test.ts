import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PENDING_LOGIN_TTL_MS,
  SsoClient,
  SsoError,
  type SsoErrorReason,
  type SsoSettings,
} from '../src/modules/auth/sso.client.ts';
import {
  findClosedPort,
  type GraphStandIn,
  type HandRolledIdp,
  type IdTokenDefect,
  type OidcProviderIdp,
  signInThroughBrowser,
  startGraphStandIn,
  startHandRolledIdp,
  startOidcProviderIdp,
  type TestAccount,
} from './helpers/oidc-idp.ts';

/**
 * Protocol tests of the SSO client against identity providers on 127.0.0.1:
 * oidc-provider as a real IdP, a hand-rolled IdP for ID tokens no real IdP mints,
 * and a Microsoft Graph stand-in for Entra's group overage.
 */

const CLIENT_ID = 'nexus-test-client';
const CLIENT_SECRET = 'nexus-test-client-secret-0123456789abcdef';
// Nothing listens here: the browser's last redirect is captured, never fetched.
const REDIRECT_URL = 'http://127.0.0.1:9/api/v1/auth/sso/callback';

const ALICE: TestAccount = {
  sub: 'alice-subject-1',
  email: 'alice@northwind.example',
  email_verified: true,
  name: 'Alice Example',
  department: 'UK/HR',
  groups: ['group-hr', 'group-everyone'],
};

function settingsFor(issuerUrl: string, graphBaseUrl: string): SsoSettings {
  return {
    issuerUrl,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUrl: REDIRECT_URL,
    scopes: ['openid', 'profile', 'email'],
    graphBaseUrl,
    allowInsecureRequests: true,
  };
}

/** The rejection's SsoError reason, failing the test when it resolves or throws something else. */
async function reasonOf(promise: Promise<unknown>): Promise<SsoErrorReason> {
  const error = await promise.then(
    () => {
      throw new Error('expected an SsoError, but the call succeeded');
    },
    (rejection: unknown) => rejection,
  );
  if (!(error instanceof SsoError)) throw error;
  return error.reason;
}

async function errorOf(promise: Promise<unknown>): Promise<SsoError> {
  const error = await promise.catch((rejection: unknown) => rejection);
  if (!(error instanceof SsoError)) throw new Error(`expected an SsoError, got ${String(error)}`);
  return error;
}

describe('SsoClient against oidc-provider', () => {
  let idp: OidcProviderIdp;
  let graph: GraphStandIn;
  let client: SsoClient;

  beforeEach(async () => {
    idp = await startOidcProviderIdp({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUrl: REDIRECT_URL,
      account: { ...ALICE },
    });
    graph = await startGraphStandIn();
    client = await SsoClient.create(settingsFor(idp.issuer, graph.baseUrl));
  });

  afterEach(async () => {
    await idp.close();
    await graph.close();
  });

  async function signIn() {
    const { authorizationUrl, pending } = await client.beginLogin();
    const callback = await signInThroughBrowser(authorizationUrl, REDIRECT_URL);
    return { pending, callback };
  }

  it('signs a user in with the authorization code flow, PKCE, state and nonce', async () => {
    const { authorizationUrl, pending } = await client.beginLogin({ returnTo: '/chat/42' });
    const request = new URL(authorizationUrl);
    expect(request.origin).toBe(idp.issuer);
    expect(Object.fromEntries(request.searchParams)).toMatchObject({
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URL,
      response_type: 'code',
      scope: 'openid profile email',
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    expect(request.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(pending.returnTo).toBe('/chat/42');
    expect(Date.now() - pending.createdAt).toBeLessThan(5_000);

    const callback = await signInThroughBrowser(authorizationUrl, REDIRECT_URL);
    expect(callback.searchParams.get('code')).toBeTruthy();
    const identity = await client.completeLogin(callback, pending);

    expect(identity).toMatchObject({
      issuer: idp.issuer,
      subject: ALICE.sub,
      email: ALICE.email,
      name: ALICE.name,
      department: 'UK/HR',
      groups: ['group-hr', 'group-everyone'],
    });
    expect(identity.claims).toMatchObject({ aud: CLIENT_ID, nonce: pending.nonce, sub: ALICE.sub });
    expect(graph.requests).toHaveLength(0);
  });

  it('starts every login with fresh state, nonce and PKCE verifier', async () => {
    const first = await client.beginLogin();
    const second = await client.beginLogin();
    expect(second.pending.state).not.toBe(first.pending.state);
    expect(second.pending.nonce).not.toBe(first.pending.nonce);
    expect(second.pending.codeVerifier).not.toBe(first.pending.codeVerifier);
    expect(first.pending.codeVerifier.length).toBeGreaterThanOrEqual(43);
  });

  it('refuses a callback whose state is not the pending login’s (state_mismatch)', async () => {
    const { pending, callback } = await signIn();
    const forged = new URL(callback);
    forged.searchParams.set('state', 'attacker-state');
    expect(await reasonOf(client.completeLogin(forged, pending))).toBe('state_mismatch');
    const withoutState = new URL(callback);
    withoutState.searchParams.delete('state');
    expect(await reasonOf(client.completeLogin(withoutState, pending))).toBe('state_mismatch');
    // The untouched callback still completes: the refusals were about the state alone.
    await expect(client.completeLogin(callback, pending)).resolves.toMatchObject({ subject: ALICE.sub });
  });

  it('refuses an ID token whose nonce is not the pending login’s (nonce_mismatch)', async () => {
    const { pending, callback } = await signIn();
    const error = await errorOf(client.completeLogin(callback, { ...pending, nonce: 'another-nonce' }));
    expect(error.reason).toBe('nonce_mismatch');
  });

  it('refuses a login that started more than ten minutes ago (login_expired)', async () => {
    const { pending, callback } = await signIn();
    const stale = { ...pending, createdAt: Date.now() - PENDING_LOGIN_TTL_MS - 1_000 };
    expect(await reasonOf(client.completeLogin(callback, stale))).toBe('login_expired');
  });

  it('reports a code the IdP refuses, e.g. one already redeemed, as idp_error', async () => {
    const { pending, callback } = await signIn();
    await client.completeLogin(callback, pending);
    const error = await errorOf(client.completeLogin(callback, pending));
    expect(error.reason).toBe('idp_error');
    expect(error.message).toContain('invalid_grant');
  });

  it('reports the IdP’s error callback (access_denied) as idp_error with its description', async () => {
    idp.interactionOutcome = { error: 'access_denied', error_description: 'The user declined to sign in' };
    const { pending, callback } = await signIn();
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const error = await errorOf(client.completeLogin(callback, pending));
    expect(error.reason).toBe('idp_error');
    expect(error.message).toContain('access_denied');
    expect(error.message).toContain('The user declined to sign in');
  });

  it('keeps signing users in after the IdP rotates its signing key', async () => {
    const first = await signIn();
    await expect(client.completeLogin(first.callback, first.pending)).resolves.toMatchObject({
      subject: ALICE.sub,
    });
    const oldKeyId = idp.signingKeyId;
    expect(idp.jwksRequestCount).toBe(1);

    await idp.rotateSigningKey();
    const published = (await (await fetch(`${idp.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(published.keys.map((key) => key.kid)).toEqual([idp.signingKeyId]);
    expect(idp.signingKeyId).not.toBe(oldKeyId);

    const second = await signIn();
    await expect(client.completeLogin(second.callback, second.pending)).resolves.toMatchObject({
      subject: ALICE.sub,
    });
    // One fetch above by the test, one by the client for the unknown kid.
    expect(idp.jwksRequestCount).toBe(3);
  });

  describe('group overage', () => {
    const overageClaims = {
      _claim_names: { groups: 'src1' },
      _claim_sources: {
        src1: { endpoint: 'https://graph.windows.net/tenant-id/users/alice/getMemberObjects' },
      },
    };

    beforeEach(() => {
      const { groups: _omitted, ...withoutGroups } = ALICE;
      idp.account = { ...withoutGroups, ...overageClaims };
      graph.groupIds = ['g-1', 'g-2', 'g-3', 'g-4', 'g-5'];
      graph.pageSize = 2;
    });

    it('fetches the groups from Microsoft Graph with the access token, following @odata.nextLink', async () => {
      const { pending, callback } = await signIn();
      const identity = await client.completeLogin(callback, pending);

      expect(identity.claims._claim_names).toEqual({ groups: 'src1' });
      expect(identity.claims.groups).toBeUndefined();
      expect(identity.groups).toEqual(['g-1', 'g-2', 'g-3', 'g-4', 'g-5']);

      expect(graph.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
        'POST /v1.0/me/getMemberObjects',
        'GET /v1.0/me/getMemberObjects?$skiptoken=2',
        'GET /v1.0/me/getMemberObjects?$skiptoken=4',
      ]);
      const [first] = graph.requests;
      expect(first?.contentType).toBe('application/json');
      expect(JSON.parse(first?.body ?? '')).toEqual({ securityEnabledOnly: false });
      const bearerTokens = new Set(graph.requests.map((request) => request.authorization));
      expect(bearerTokens.size).toBe(1);
      const [authorization] = bearerTokens;
      const accessToken = authorization?.replace(/^Bearer /, '') ?? '';
      // The bearer is an access token the IdP issued to our client for this user.
      await expect(idp.findAccessToken(accessToken)).resolves.toEqual({
        accountId: ALICE.sub,
        clientId: CLIENT_ID,
      });
    });

    it('waits for Retry-After when Graph answers 429, then succeeds', async () => {
      graph.failures.push({ status: 429, headers: { 'retry-after': '1' } });
      const { pending, callback } = await signIn();
      const started = Date.now();
      const identity = await client.completeLogin(callback, pending);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(identity.groups).toEqual(['g-1', 'g-2', 'g-3', 'g-4', 'g-5']);
      expect(graph.requests.filter((request) => request.method === 'POST')).toHaveLength(2);
    });

    it('gives up with graph_error after three failed tries, without the token in the message', async () => {
      for (let index = 0; index < 5; index++) graph.failures.push({ status: 500 });
      const { pending, callback } = await signIn();
      const error = await errorOf(client.completeLogin(callback, pending));
      expect(error.reason).toBe('graph_error');
      expect(error.message).toContain('500');
      expect(graph.requests).toHaveLength(3);
      const token = graph.requests[0]?.authorization?.replace(/^Bearer /, '') ?? '';
      expect(token.length).toBeGreaterThan(10);
      expect(error.message).not.toContain(token);
    });

    it('does not wait minutes: a Retry-After beyond the bound fails at once with graph_error', async () => {
      graph.failures.push({ status: 503, headers: { 'retry-after': '120' } });
      const { pending, callback } = await signIn();
      const started = Date.now();
      expect(await reasonOf(client.completeLogin(callback, pending))).toBe('graph_error');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(graph.requests).toHaveLength(1);
    });
  });
});

describe('SsoClient ID token validation (hand-rolled IdP)', () => {
  let idp: HandRolledIdp;
  let graph: GraphStandIn;

  afterEach(async () => {
    await idp.close();
    await graph.close();
  });

  async function start(advertisedAlgorithms?: string[]): Promise<SsoClient> {
    idp = await startHandRolledIdp({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUrl: REDIRECT_URL,
      claims: { ...ALICE },
      ...(advertisedAlgorithms ? { advertisedAlgorithms } : {}),
    });
    graph = await startGraphStandIn({ groupIds: ['g-a', 'g-b'] });
    return SsoClient.create(settingsFor(idp.issuer, graph.baseUrl));
  }

  async function signInWith(client: SsoClient) {
    const { authorizationUrl, pending } = await client.beginLogin();
    return client.completeLogin(await signInThroughBrowser(authorizationUrl, REDIRECT_URL), pending);
  }

  it('accepts a well-formed ID token (the control for the defects below)', async () => {
    const client = await start();
    await expect(signInWith(client)).resolves.toMatchObject({ subject: ALICE.sub, email: ALICE.email });
    // The IdP checked the PKCE verifier against this S256 challenge before issuing tokens.
    expect(idp.authorizationRequests[0]?.get('code_challenge_method')).toBe('S256');
    expect(idp.issuedAccessTokens).toHaveLength(1);
  });

  const defects: IdTokenDefect[] = [
    'wrong_audience',
    'wrong_issuer',
    'expired',
    'alg_none',
    'symmetric_client_secret',
    'unknown_key',
    'forged_with_known_kid',
    'tampered_payload',
  ];

  it.each(defects)('rejects an ID token with defect %s (invalid_id_token)', async (defect) => {
    const client = await start();
    idp.defect = defect;
    expect(await reasonOf(signInWith(client))).toBe('invalid_id_token');
    idp.defect = 'none';
    await expect(signInWith(client)).resolves.toMatchObject({ subject: ALICE.sub });
  });

  it.each(['alg_none', 'symmetric_client_secret', 'tampered_payload'] as const)(
    'rejects %s even when the IdP advertises none and HS256',
    async (defect) => {
      const client = await start(['RS256', 'HS256', 'none']);
      idp.defect = defect;
      expect(await reasonOf(signInWith(client))).toBe('invalid_id_token');
    },
  );

  it('fetches groups from Graph when the ID token says hasgroups: true', async () => {
    const client = await start();
    const { groups: _omitted, ...withoutGroups } = ALICE;
    idp.claims = { ...withoutGroups, hasgroups: true };
    const identity = await signInWith(client);
    expect(identity.groups).toEqual(['g-a', 'g-b']);
    expect(graph.requests.map((request) => request.authorization)).toEqual([
      `Bearer ${idp.issuedAccessTokens[0]}`,
    ]);
  });

  it('returns no email when the IdP marks it unverified', async () => {
    const client = await start();
    idp.claims = { ...ALICE, email_verified: false };
    await expect(signInWith(client)).resolves.toMatchObject({ subject: ALICE.sub, email: null });
  });
});

describe('SsoClient discovery', () => {
  it('fails with idp_unreachable when nothing listens at the issuer', async () => {
    const port = await findClosedPort();
    const error = await errorOf(
      SsoClient.create(settingsFor(`http://127.0.0.1:${port}`, 'http://127.0.0.1:9')),
    );
    expect(error.reason).toBe('idp_unreachable');
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('refuses http:// IdP and Graph URLs unless insecure requests are allowed', async () => {
    const secure = { allowInsecureRequests: false };
    await expect(
      SsoClient.create({ ...settingsFor('http://127.0.0.1:9', 'https://graph.microsoft.com'), ...secure }),
    ).rejects.toThrow(/issuerUrl must be an https/);
    await expect(
      SsoClient.create({ ...settingsFor('https://127.0.0.1:9', 'http://127.0.0.1:9'), ...secure }),
    ).rejects.toThrow(/graphBaseUrl must be an https/);
  });
});
