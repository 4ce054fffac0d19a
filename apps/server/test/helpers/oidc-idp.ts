import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
// @ts-expect-error -- oidc-provider ships no type declarations; the parts used are typed below.
import Provider from 'oidc-provider';

/**
 * Local identity providers and a Microsoft Graph stand-in for SSO protocol tests.
 *
 * - `startOidcProviderIdp`: a real, certified OpenID Provider (`oidc-provider`) with one
 *   account, a login interaction answered by a route of ours, and key rotation.
 * - `startHandRolledIdp`: a minimal OpenID Provider (node:http + jose) whose token
 *   endpoint mints ID tokens with the defect a test chooses, which no real IdP would.
 * - `startGraphStandIn`: `POST /v1.0/me/getMemberObjects` with paging and scripted failures.
 * - `signInThroughBrowser`: follows the browser's redirects (with cookies) from an
 *   authorization URL until the IdP redirects to our redirect URL.
 */

export interface TestAccount {
  sub: string;
  [claim: string]: unknown;
}

export interface IdpError {
  error: string;
  error_description: string;
}

// ---------------------------------------------------------------------------
// oidc-provider

/** The parts of oidc-provider's (untyped) API that the tests use. */
interface OidcProvider {
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
  interactionDetails(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<{ prompt: { name: string }; params: Record<string, unknown> }>;
  interactionFinished(
    request: IncomingMessage,
    response: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  AccessToken: {
    find(value: string): Promise<{ accountId: string; clientId: string; scope?: string } | undefined>;
  };
}

interface GrantInstance {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}

/** The parts of oidc-provider's request context used by the configuration below. */
interface OidcContext {
  oidc: {
    client: { clientId: string };
    session: { accountId: string; grantIdFor(clientId: string): string | undefined };
    params: { scope?: string };
    result?: { consent?: { grantId?: string } };
    provider: {
      Grant: {
        new (properties: { clientId: string; accountId: string }): GrantInstance;
        find(id: string): Promise<GrantInstance | undefined>;
      };
    };
  };
}

const ProviderConstructor = Provider as new (
  issuer: string,
  configuration: Record<string, unknown>,
) => OidcProvider;

export interface OidcProviderIdp {
  issuer: string;
  /** The claims `findAccount` returns (mutable: tests change them between logins). */
  account: TestAccount;
  /** How the login interaction ends: signing in the account, or an error such as access_denied. */
  interactionOutcome: 'login' | IdpError;
  /** The `kid` of the key that currently signs ID tokens. */
  readonly signingKeyId: string;
  /** How many times the JWKS was served. */
  readonly jwksRequestCount: number;
  /** Replaces the signing key: a new `kid` is published and the old key removed. */
  rotateSigningKey(): Promise<void>;
  /** An access token the IdP issued, or undefined when it did not issue it. */
  findAccessToken(token: string): Promise<{ accountId: string; clientId: string } | undefined>;
  close(): Promise<void>;
}

export async function startOidcProviderIdp(options: {
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  account: TestAccount;
}): Promise<OidcProviderIdp> {
  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const adapter = createMemoryAdapter();

  let jwksRequestCount = 0;
  let signingKey = await generateRsaSigningKey();
  let provider: OidcProvider;
  let handleRequest: (request: IncomingMessage, response: ServerResponse) => void;

  const idp: OidcProviderIdp = {
    issuer,
    account: options.account,
    interactionOutcome: 'login',
    get signingKeyId() {
      return signingKey.kid;
    },
    get jwksRequestCount() {
      return jwksRequestCount;
    },
    async rotateSigningKey() {
      signingKey = await generateRsaSigningKey();
      createProvider();
    },
    async findAccessToken(token) {
      const found = await provider.AccessToken.find(token);
      return found ? { accountId: found.accountId, clientId: found.clientId } : undefined;
    },
    close: () => closeServer(server),
  };

  // A new Provider instance is how oidc-provider changes keys; the adapter (and so
  // every grant and token) is shared across instances.
  const createProvider = () => {
    provider = new ProviderConstructor(issuer, {
      adapter,
      clients: [
        {
          client_id: options.clientId,
          client_secret: options.clientSecret,
          redirect_uris: [options.redirectUrl],
          response_types: ['code'],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks: { keys: [signingKey.privateJwk] },
      cookies: { keys: ['oidc-idp-test-cookie-key'] },
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name', 'department', 'groups', 'hasgroups'],
      },
      // Put scope claims (email, groups…) in the ID token, as Entra does.
      conformIdTokenClaims: false,
      features: { devInteractions: { enabled: false } },
      interactions: {
        url: (_context: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      pkce: { required: () => true },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        Grant: 600,
        IdToken: 600,
        Interaction: 600,
        Session: 600,
      },
      findAccount: async (_context: unknown, sub: string) =>
        sub === idp.account.sub ? { accountId: sub, claims: async () => ({ ...idp.account }) } : undefined,
      // Consent is implied: grant every requested scope to our one client.
      loadExistingGrant: async (context: OidcContext) => {
        const { oidc } = context;
        const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
        const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
        if (existing) return existing;
        const grant = new oidc.provider.Grant({
          clientId: oidc.client.clientId,
          accountId: oidc.session.accountId,
        });
        grant.addOIDCScope(oidc.params.scope ?? 'openid');
        await grant.save();
        return grant;
      },
      renderError: async (context: { type: string; body: unknown }, out: unknown) => {
        context.type = 'json';
        context.body = out;
      },
    });
    handleRequest = provider.callback();
  };
  createProvider();

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', issuer).pathname;
    if (path === '/jwks') jwksRequestCount++;
    if (!path.startsWith('/interaction/')) {
      handleRequest(request, response);
      return;
    }
    // The login page: no form, the test's account signs in (or the IdP reports an error).
    const outcome = idp.interactionOutcome;
    const result = outcome === 'login' ? { login: { accountId: idp.account.sub } } : { ...outcome };
    provider
      .interactionDetails(request, response)
      .then(() => provider.interactionFinished(request, response, result, { mergeWithLastSubmission: false }))
      .catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
  });

  return idp;
}

/** oidc-provider's storage contract, in a Map (its default adapter warns loudly and is global). */
function createMemoryAdapter() {
  const store = new Map<string, Record<string, unknown>>();
  const key = (model: string, id: string) => `${model}:${id}`;
  return class MemoryAdapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: Record<string, unknown>) {
      store.set(key(this.model, id), payload);
      if (typeof payload.grantId === 'string') {
        const grantKey = key('Grant-members', payload.grantId);
        const members = (store.get(grantKey)?.members as string[] | undefined) ?? [];
        store.set(grantKey, { members: [...members, key(this.model, id)] });
      }
      if (typeof payload.uid === 'string') store.set(key(`${this.model}-uid`, payload.uid), { id });
      if (typeof payload.userCode === 'string')
        store.set(key(`${this.model}-userCode`, payload.userCode), { id });
    }

    async find(id: string) {
      return store.get(key(this.model, id));
    }

    async findByUid(uid: string) {
      const reference = store.get(key(`${this.model}-uid`, uid));
      return reference ? store.get(key(this.model, reference.id as string)) : undefined;
    }

    async findByUserCode(userCode: string) {
      const reference = store.get(key(`${this.model}-userCode`, userCode));
      return reference ? store.get(key(this.model, reference.id as string)) : undefined;
    }

    async consume(id: string) {
      const payload = store.get(key(this.model, id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string) {
      store.delete(key(this.model, id));
    }

    async revokeByGrantId(grantId: string) {
      const grantKey = key('Grant-members', grantId);
      for (const member of (store.get(grantKey)?.members as string[] | undefined) ?? []) store.delete(member);
      store.delete(grantKey);
    }
  };
}

// ---------------------------------------------------------------------------
// A hand-rolled IdP for defective ID tokens

export type IdTokenDefect =
  | 'none'
  | 'wrong_audience'
  | 'wrong_issuer'
  | 'expired'
  | 'alg_none'
  | 'symmetric_client_secret'
  | 'unknown_key'
  | 'forged_with_known_kid'
  | 'tampered_payload';

export interface HandRolledIdp {
  issuer: string;
  /** The defect of the ID tokens minted from now on. */
  defect: IdTokenDefect;
  /** Claims added to every ID token (sub, email, groups, _claim_names…). */
  claims: TestAccount;
  /** When set, the authorization endpoint redirects back with this error instead of a code. */
  authorizationError: IdpError | undefined;
  /** Query parameters of every authorization request. */
  readonly authorizationRequests: URLSearchParams[];
  /** Every access token the token endpoint issued. */
  readonly issuedAccessTokens: string[];
  close(): Promise<void>;
}

export async function startHandRolledIdp(options: {
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  claims: TestAccount;
  /** `id_token_signing_alg_values_supported` in the discovery document. */
  advertisedAlgorithms?: string[];
}): Promise<HandRolledIdp> {
  const server = createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const signingKey = await generateRsaSigningKey();
  const foreignKey = await generateRsaSigningKey();
  const codes = new Map<string, { nonce: string | null; codeChallenge: string; redirectUri: string }>();

  const idp: HandRolledIdp = {
    issuer,
    defect: 'none',
    claims: options.claims,
    authorizationError: undefined,
    authorizationRequests: [],
    issuedAccessTokens: [],
    close: () => closeServer(server),
  };

  const mintIdToken = async (nonce: string | null): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      ...idp.claims,
      iss: idp.defect === 'wrong_issuer' ? 'https://evil.example' : issuer,
      aud: idp.defect === 'wrong_audience' ? 'someone-else' : options.clientId,
      iat: idp.defect === 'expired' ? now - 7200 : now,
      exp: idp.defect === 'expired' ? now - 3600 : now + 300,
      ...(nonce === null ? {} : { nonce }),
    };
    switch (idp.defect) {
      case 'alg_none':
        return `${base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}.`;
      case 'symmetric_client_secret':
        return new SignJWT(payload)
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .sign(new TextEncoder().encode(options.clientSecret));
      case 'unknown_key':
        return signRs256(payload, foreignKey.privateKey, foreignKey.kid);
      case 'forged_with_known_kid':
        return signRs256(payload, foreignKey.privateKey, signingKey.kid);
      case 'tampered_payload': {
        const [header, , signature] = (await signRs256(payload, signingKey.privateKey, signingKey.kid)).split(
          '.',
        );
        const tampered = { ...payload, sub: 'someone-else', email: 'ceo@northwind.example' };
        return `${header}.${base64url(JSON.stringify(tampered))}.${signature}`;
      }
      default:
        return signRs256(payload, signingKey.privateKey, signingKey.kid);
    }
  };

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', issuer);
    const route = `${request.method} ${url.pathname}`;
    if (route === 'GET /.well-known/openid-configuration') {
      sendJson(response, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: options.advertisedAlgorithms ?? ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_post'],
      });
    } else if (route === 'GET /jwks') {
      sendJson(response, 200, { keys: [signingKey.publicJwk] });
    } else if (route === 'GET /authorize') {
      idp.authorizationRequests.push(url.searchParams);
      const redirectUri = url.searchParams.get('redirect_uri');
      if (url.searchParams.get('client_id') !== options.clientId || redirectUri !== options.redirectUrl) {
        sendJson(response, 400, {
          error: 'invalid_request',
          error_description: 'unknown client or redirect_uri',
        });
        return;
      }
      const back = new URL(redirectUri);
      const state = url.searchParams.get('state');
      if (state !== null) back.searchParams.set('state', state);
      if (idp.authorizationError) {
        back.searchParams.set('error', idp.authorizationError.error);
        back.searchParams.set('error_description', idp.authorizationError.error_description);
      } else {
        const code = randomBytes(16).toString('hex');
        codes.set(code, {
          nonce: url.searchParams.get('nonce'),
          codeChallenge: url.searchParams.get('code_challenge') ?? '',
          redirectUri,
        });
        back.searchParams.set('code', code);
      }
      response.writeHead(302, { location: back.href }).end();
    } else if (route === 'POST /token') {
      readBody(request)
        .then(async (body) => {
          const form = new URLSearchParams(body);
          if (
            form.get('client_id') !== options.clientId ||
            form.get('client_secret') !== options.clientSecret
          ) {
            sendJson(response, 401, { error: 'invalid_client' });
            return;
          }
          const code = codes.get(form.get('code') ?? '');
          codes.delete(form.get('code') ?? '');
          const verifier = form.get('code_verifier') ?? '';
          const challenge = createHash('sha256').update(verifier).digest('base64url');
          if (
            !code ||
            form.get('grant_type') !== 'authorization_code' ||
            form.get('redirect_uri') !== code.redirectUri ||
            challenge !== code.codeChallenge
          ) {
            sendJson(response, 400, {
              error: 'invalid_grant',
              error_description: 'code, redirect_uri or PKCE',
            });
            return;
          }
          const accessToken = randomBytes(24).toString('base64url');
          idp.issuedAccessTokens.push(accessToken);
          sendJson(response, 200, {
            access_token: accessToken,
            token_type: 'Bearer',
            expires_in: 3600,
            id_token: await mintIdToken(code.nonce),
          });
        })
        .catch((error: unknown) =>
          sendJson(response, 500, { error: 'server_error', error_description: String(error) }),
        );
    } else {
      sendJson(response, 404, { error: 'not_found' });
    }
  });

  return idp;
}

// ---------------------------------------------------------------------------
// Microsoft Graph stand-in

export interface GraphRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

export interface GraphStandIn {
  baseUrl: string;
  /** The signed-in user's group ids, served in pages of `pageSize`. */
  groupIds: string[];
  pageSize: number;
  /** Answers served (in order) before any real one, e.g. a 429 with Retry-After. */
  failures: { status: number; headers?: Record<string, string> }[];
  readonly requests: GraphRequest[];
  close(): Promise<void>;
}

export async function startGraphStandIn(
  options: { groupIds?: string[]; pageSize?: number } = {},
): Promise<GraphStandIn> {
  const server = createServer();
  const port = await listen(server);
  const baseUrl = `http://127.0.0.1:${port}`;
  const graph: GraphStandIn = {
    baseUrl,
    groupIds: options.groupIds ?? [],
    pageSize: options.pageSize ?? 100,
    failures: [],
    requests: [],
    close: () => closeServer(server),
  };

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    readBody(request)
      .then((body) => {
        const url = new URL(request.url ?? '/', baseUrl);
        graph.requests.push({
          method: request.method ?? '',
          path: `${url.pathname}${url.search}`,
          authorization: request.headers.authorization,
          contentType: request.headers['content-type'],
          body,
        });
        const failure = graph.failures.shift();
        if (failure) {
          const error = {
            error: { code: failure.status === 429 ? 'TooManyRequests' : 'InternalServerError' },
          };
          response.writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers });
          response.end(JSON.stringify(error));
          return;
        }
        if (url.pathname !== '/v1.0/me/getMemberObjects') {
          sendJson(response, 404, { error: { code: 'ResourceNotFound' } });
          return;
        }
        if (!request.headers.authorization?.startsWith('Bearer ')) {
          sendJson(response, 401, { error: { code: 'InvalidAuthenticationToken' } });
          return;
        }
        const skipToken = url.searchParams.get('$skiptoken');
        const isFirstPage = request.method === 'POST' && skipToken === null;
        const isNextPage = request.method === 'GET' && skipToken !== null;
        if (isFirstPage && !isMemberObjectsRequest(body)) {
          sendJson(response, 400, { error: { code: 'BadRequest' } });
          return;
        }
        if (!isFirstPage && !isNextPage) {
          sendJson(response, 405, { error: { code: 'MethodNotAllowed' } });
          return;
        }
        const offset = Number(skipToken ?? 0);
        const end = offset + graph.pageSize;
        sendJson(response, 200, {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)',
          value: graph.groupIds.slice(offset, end),
          ...(end < graph.groupIds.length
            ? { '@odata.nextLink': `${baseUrl}/v1.0/me/getMemberObjects?$skiptoken=${end}` }
            : {}),
        });
      })
      .catch((error: unknown) => sendJson(response, 500, { error: { code: String(error) } }));
  });

  return graph;
}

function isMemberObjectsRequest(body: string): boolean {
  try {
    return (JSON.parse(body) as { securityEnabledOnly?: unknown }).securityEnabledOnly === false;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// The browser

/**
 * Does what a browser does from the authorization URL on: follows redirects and
 * keeps cookies, until the IdP redirects to `redirectUrl`; returns that URL.
 */
export async function signInThroughBrowser(authorizationUrl: string, redirectUrl: string): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers:
        cookies.size > 0
          ? { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') }
          : {},
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const isExpired = attributes.some((attribute) => {
        const [attributeName = '', attributeValue = ''] = attribute.split('=');
        const lower = attributeName.trim().toLowerCase();
        return (
          (lower === 'max-age' && Number(attributeValue) <= 0) ||
          (lower === 'expires' && Date.parse(attributeValue) <= Date.now())
        );
      });
      if (isExpired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    const location = response.headers.get('location');
    await response.body?.cancel();
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(`The IdP answered ${response.status} at ${url.pathname} instead of redirecting`);
    }
    const next = new URL(location, url);
    if (next.href.startsWith(redirectUrl)) return next;
    url = next;
  }
  throw new Error('Too many redirects during sign-in');
}

// ---------------------------------------------------------------------------
// Shared bits

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  privateJwk: JWK;
  publicJwk: JWK;
}

async function generateRsaSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  const metadata = { kid, alg: 'RS256', use: 'sig' };
  return {
    kid,
    privateKey,
    privateJwk: { ...(await exportJWK(privateKey)), ...metadata },
    publicJwk: { ...(await exportJWK(publicKey)), ...metadata },
  };
}

function signRs256(payload: Record<string, unknown>, key: CryptoKey, kid: string): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(key);
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Listens on a random port of 127.0.0.1; returns the port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A port on 127.0.0.1 where nothing listens (it was free a moment ago). */
export async function findClosedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}
