import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import * as oidc from 'openid-client';

/**
 * The OpenID Connect protocol client for single sign-on (Microsoft Entra ID first):
 * authorization code flow with PKCE (S256), state and nonce, ID token validation,
 * and Entra's group overage through Microsoft Graph. Routes, user provisioning and
 * sessions live elsewhere; this file only speaks the protocol.
 *
 * ID token checks: openid-client validates iss, aud, azp, exp, iat, nonce and the
 * `alg` against the IdP's metadata; the signature is then verified here with jose
 * against the IdP's JWKS (asymmetric algorithms only). openid-client's own signature
 * check (`enableNonRepudiationChecks`) is not used because it refetches the JWKS for
 * an unknown `kid` only once its copy is 60 s old, so logins would fail for up to a
 * minute after an IdP rotates its signing key.
 *
 * Never put tokens in messages or error causes: callers log SsoErrors.
 */

export interface SsoSettings {
  /** e.g. `https://login.microsoftonline.com/<tenant>/v2.0` */
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** Our `/api/v1/auth/sso/callback`, exactly as registered at the IdP. */
  redirectUrl: string;
  /** Default `['openid', 'profile', 'email']`; `openid` is always sent. */
  scopes: string[];
  /** Default `https://graph.microsoft.com`; tests point it at a local server. */
  graphBaseUrl: string;
  /** Allows `http://` IdP and Graph URLs; only for tests against local servers. */
  allowInsecureRequests?: boolean;
  /** Tolerated clock difference for `exp`/`iat`/`nbf`; default 60 s. */
  clockToleranceSeconds?: number;
}

export const DEFAULT_SSO_SCOPES = ['openid', 'profile', 'email'] as const;
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com';

export interface PendingSsoLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Epoch milliseconds. */
  createdAt: number;
  returnTo?: string;
}

export interface SsoIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  /** From the `groups` claim, or fetched from Microsoft Graph on group overage. */
  groups: string[];
  /** From a `department` claim if present. */
  department: string | null;
  /** The validated ID token claims. */
  claims: Record<string, unknown>;
}

export type SsoErrorReason =
  | 'state_mismatch'
  | 'nonce_mismatch'
  | 'invalid_id_token'
  | 'idp_error'
  | 'idp_unreachable'
  | 'graph_error'
  | 'login_expired';

export class SsoError extends Error {
  override name = 'SsoError';

  constructor(
    readonly reason: SsoErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** How long a started login may take before its callback is refused. */
export const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;

const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
const HTTP_TIMEOUT_SECONDS = 15;
/** Asymmetric JWS algorithms accepted for ID token signatures (never `none` or HS*). */
const ACCEPTED_SIGNING_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

const GRAPH_MAX_ATTEMPTS = 3;
const GRAPH_MAX_PAGES = 100;
const GRAPH_MAX_RETRY_DELAY_MS = 10_000;
const GRAPH_RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export class SsoClient {
  private constructor(
    private readonly settings: SsoSettings,
    private readonly configuration: oidc.Configuration,
    private readonly jwks: JWTVerifyGetKey,
    private readonly clockToleranceSeconds: number,
  ) {}

  /** Discovers the IdP (once; the configuration is kept) and prepares its JWKS. */
  static async create(settings: SsoSettings): Promise<SsoClient> {
    const isInsecureAllowed = settings.allowInsecureRequests === true;
    // The IdP decides which redirect URLs it accepts (Entra allows http://localhost).
    assertUrl(settings.redirectUrl, 'redirectUrl', true);
    assertUrl(settings.graphBaseUrl, 'graphBaseUrl', isInsecureAllowed);
    const issuerUrl = assertUrl(settings.issuerUrl, 'issuerUrl', isInsecureAllowed);
    const clockToleranceSeconds = settings.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;

    let configuration: oidc.Configuration;
    try {
      configuration = await oidc.discovery(
        issuerUrl,
        settings.clientId,
        {
          client_secret: settings.clientSecret,
          redirect_uris: [settings.redirectUrl],
          response_types: ['code'],
          [oidc.clockTolerance]: clockToleranceSeconds,
        },
        undefined,
        {
          execute: isInsecureAllowed ? [oidc.allowInsecureRequests] : [],
          timeout: HTTP_TIMEOUT_SECONDS,
        },
      );
    } catch (error) {
      throw new SsoError(
        'idp_unreachable',
        `OpenID Connect discovery for ${settings.issuerUrl} failed: ${describeError(error)}`,
      );
    }

    const metadata = configuration.serverMetadata();
    if (!metadata.jwks_uri || !metadata.authorization_endpoint || !metadata.token_endpoint) {
      throw new SsoError(
        'idp_unreachable',
        `The discovery document of ${settings.issuerUrl} lacks jwks_uri, authorization_endpoint or token_endpoint`,
      );
    }
    const jwksUrl = assertUrl(metadata.jwks_uri, 'jwks_uri', isInsecureAllowed);
    // ID tokens reach us only from the token endpoint after a code exchange, so an
    // unknown `kid` cannot be sent at will: refetch the JWKS at once (no cool-down).
    const jwks = createRemoteJWKSet(jwksUrl, {
      cooldownDuration: 0,
      timeoutDuration: HTTP_TIMEOUT_SECONDS * 1000,
    });
    return new SsoClient(settings, configuration, jwks, clockToleranceSeconds);
  }

  /** An authorization URL to send the browser to, and what to keep until its callback. */
  async beginLogin(options: { returnTo?: string } = {}): Promise<{
    authorizationUrl: string;
    pending: PendingSsoLogin;
  }> {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorizationUrl = oidc.buildAuthorizationUrl(this.configuration, {
      redirect_uri: this.settings.redirectUrl,
      response_type: 'code',
      scope: this.scopes().join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const pending: PendingSsoLogin = { state, nonce, codeVerifier, createdAt: Date.now() };
    if (options.returnTo !== undefined) pending.returnTo = options.returnTo;
    return { authorizationUrl: authorizationUrl.href, pending };
  }

  /**
   * Handles the IdP's redirect back to us: checks the pending login, exchanges the
   * code, validates the ID token and resolves the user's groups.
   */
  async completeLogin(callbackUrl: URL, pending: PendingSsoLogin): Promise<SsoIdentity> {
    const age = Date.now() - pending.createdAt;
    if (!Number.isFinite(age) || age < 0 || age > PENDING_LOGIN_TTL_MS) {
      throw new SsoError('login_expired', 'The sign-in took too long; start again');
    }
    const parameters = callbackUrl.searchParams;
    const state = parameters.get('state');
    if (state === null || !equalsInConstantTime(state, pending.state)) {
      throw new SsoError('state_mismatch', 'The sign-in response does not belong to this sign-in attempt');
    }
    const idpError = parameters.get('error');
    if (idpError !== null) {
      const description = parameters.get('error_description');
      throw new SsoError('idp_error', description ? `${idpError}: ${description}` : idpError);
    }

    // Use our registered redirect URL with the callback's parameters, so the
    // redirect_uri sent to the token endpoint matches the authorization request even
    // when a proxy changed the scheme or host the server saw.
    const responseUrl = new URL(this.settings.redirectUrl);
    responseUrl.search = callbackUrl.search;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(this.configuration, responseUrl, {
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        pkceCodeVerifier: pending.codeVerifier,
        idTokenExpected: true,
      });
    } catch (error) {
      throw grantError(error);
    }
    const claims = tokens.claims();
    if (!tokens.id_token || !claims) {
      throw new SsoError('invalid_id_token', 'The IdP returned no ID token');
    }
    await this.verifyIdTokenSignature(tokens.id_token, claims.iss);

    return {
      issuer: claims.iss,
      subject: claims.sub,
      email: emailFrom(claims),
      name: stringClaim(claims, 'name'),
      groups: hasGroupOverage(claims)
        ? await fetchGroupIdsFromGraph(this.settings.graphBaseUrl, tokens.access_token)
        : stringArrayClaim(claims, 'groups'),
      department: stringClaim(claims, 'department'),
      claims: { ...claims },
    };
  }

  private scopes(): string[] {
    const scopes = this.settings.scopes.length > 0 ? this.settings.scopes : [...DEFAULT_SSO_SCOPES];
    return scopes.includes('openid') ? scopes : ['openid', ...scopes];
  }

  private async verifyIdTokenSignature(idToken: string, issuer: string): Promise<void> {
    try {
      await jwtVerify(idToken, this.jwks, {
        algorithms: ACCEPTED_SIGNING_ALGORITHMS,
        issuer,
        audience: this.settings.clientId,
        clockTolerance: this.clockToleranceSeconds,
      });
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError)) {
        throw new SsoError(
          'idp_unreachable',
          `Could not load the IdP's signing keys: ${describeError(error)}`,
        );
      }
      throw new SsoError(
        'invalid_id_token',
        `The ID token's signature is not valid: ${describeError(error)}`,
      );
    }
  }
}

function assertUrl(value: string, name: string, isInsecureAllowed: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`SSO setting ${name} is not a URL`);
  }
  if (url.protocol !== 'https:' && !(isInsecureAllowed && url.protocol === 'http:')) {
    throw new TypeError(`SSO setting ${name} must be an https:// URL`);
  }
  return url;
}

function equalsInConstantTime(left: string, right: string): boolean {
  const leftBytes = Buffer.from(left);
  const rightBytes = Buffer.from(right);
  return leftBytes.length === rightBytes.length && timingSafeEqual(leftBytes, rightBytes);
}

/** Maps an openid-client failure of the code exchange to a reason. */
function grantError(error: unknown): SsoError {
  if (error instanceof oidc.ResponseBodyError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    return new SsoError('idp_error', `The IdP refused the code exchange (${error.error}${description})`);
  }
  if (error instanceof oidc.AuthorizationResponseError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    return new SsoError('idp_error', `${error.error}${description}`);
  }
  if (error instanceof oidc.ClientError) {
    switch (error.code) {
      case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
        if (comparedClaim(error) === 'nonce') {
          return new SsoError('nonce_mismatch', 'The ID token was not issued for this sign-in attempt');
        }
        return new SsoError('invalid_id_token', `The ID token is not valid: ${describeError(error)}`);
      case 'OAUTH_TIMEOUT':
        return new SsoError('idp_unreachable', 'The IdP did not answer the code exchange in time');
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
      case 'OAUTH_RESPONSE_IS_NOT_JSON':
        return new SsoError(
          'idp_error',
          `The IdP's token endpoint answered unexpectedly: ${describeError(error)}`,
        );
      default:
        return new SsoError('invalid_id_token', `The token response is not valid: ${describeError(error)}`);
    }
  }
  // fetch() rejects with a TypeError when the IdP cannot be reached.
  if (error instanceof TypeError) {
    return new SsoError(
      'idp_unreachable',
      `The IdP's token endpoint is unreachable: ${describeError(error)}`,
    );
  }
  return new SsoError('invalid_id_token', `The token response is not valid: ${describeError(error)}`);
}

function comparedClaim(error: Error): unknown {
  const cause = error.cause;
  if (!(cause instanceof Error) || typeof cause.cause !== 'object' || cause.cause === null) return undefined;
  return (cause.cause as { claim?: unknown }).claim;
}

/** A short message without secrets: the error's own message and that of its cause. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && cause !== error.message ? `${error.message} (${cause})` : error.message;
}

function stringClaim(claims: oidc.IDToken, name: string): string | null {
  const value = claims[name];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

function stringArrayClaim(claims: oidc.IDToken, name: string): string[] {
  const value = claims[name];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The `email` claim, unless the IdP says it is unverified. */
function emailFrom(claims: oidc.IDToken): string | null {
  if (claims.email_verified === false) return null;
  return stringClaim(claims, 'email');
}

/**
 * Entra leaves `groups` out when a user is in too many groups, and says so with
 * `_claim_names.groups` (code flow) or `hasgroups: true` (implicit flow).
 */
function hasGroupOverage(claims: oidc.IDToken): boolean {
  if (Array.isArray(claims.groups)) return false;
  const claimNames = claims._claim_names;
  const isInClaimNames =
    typeof claimNames === 'object' &&
    claimNames !== null &&
    !Array.isArray(claimNames) &&
    'groups' in claimNames;
  return isInClaimNames || claims.hasgroups === true;
}

/**
 * The ids of every group (and directory role) the signed-in user belongs to, from
 * `POST /v1.0/me/getMemberObjects`, following `@odata.nextLink`. The endpoint named
 * in the token's `_claim_sources` is deliberately ignored: the access token is only
 * ever sent to the configured Graph origin.
 */
async function fetchGroupIdsFromGraph(graphBaseUrl: string, accessToken: string): Promise<string[]> {
  const base = new URL(graphBaseUrl);
  const firstPage = new URL(`${base.pathname.replace(/\/$/, '')}/v1.0/me/getMemberObjects`, base);
  const groupIds: string[] = [];
  let page = await requestGraph(firstPage, accessToken, {
    method: 'POST',
    body: JSON.stringify({ securityEnabledOnly: false }),
  });
  for (let pages = 1; ; pages++) {
    groupIds.push(...page.value);
    if (page.nextLink === undefined) return groupIds;
    if (pages >= GRAPH_MAX_PAGES) {
      throw new SsoError(
        'graph_error',
        `Microsoft Graph returned more than ${GRAPH_MAX_PAGES} pages of groups`,
      );
    }
    let nextUrl: URL;
    try {
      nextUrl = new URL(page.nextLink);
    } catch {
      throw new SsoError('graph_error', 'Microsoft Graph returned a malformed @odata.nextLink');
    }
    if (nextUrl.origin !== base.origin) {
      throw new SsoError('graph_error', 'Microsoft Graph returned an @odata.nextLink to another origin');
    }
    // OData next links are fetched with GET.
    page = await requestGraph(nextUrl, accessToken, { method: 'GET' });
  }
}

interface GraphPage {
  value: string[];
  nextLink: string | undefined;
}

async function requestGraph(
  url: URL,
  accessToken: string,
  init: { method: 'GET' | 'POST'; body?: string },
): Promise<GraphPage> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${accessToken}`,
    accept: 'application/json',
  };
  if (init.body !== undefined) headers['content-type'] = 'application/json';

  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, {
        method: init.method,
        headers,
        body: init.body,
        redirect: 'error',
        signal: AbortSignal.timeout(HTTP_TIMEOUT_SECONDS * 1000),
      });
    } catch (error) {
      if (attempt < GRAPH_MAX_ATTEMPTS) {
        await sleep(backoffDelayMs(attempt));
        continue;
      }
      throw new SsoError('graph_error', `Microsoft Graph is unreachable: ${describeError(error)}`);
    }
    if (response.ok) return parseGraphPage(response);

    const graphCode = await graphErrorCode(response);
    if (GRAPH_RETRYABLE_STATUSES.has(response.status) && attempt < GRAPH_MAX_ATTEMPTS) {
      const delayMs = retryDelayMs(response.headers.get('retry-after'), attempt);
      // A sign-in cannot wait minutes: give up at once when Graph asks for longer.
      if (delayMs !== undefined) {
        await sleep(delayMs);
        continue;
      }
    }
    const suffix = graphCode ? ` (${graphCode})` : '';
    throw new SsoError(
      'graph_error',
      `Microsoft Graph answered ${response.status}${suffix} when listing the user's groups`,
    );
  }
}

async function parseGraphPage(response: Response): Promise<GraphPage> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new SsoError('graph_error', 'Microsoft Graph returned a body that is not JSON');
  }
  const value = (body as { value?: unknown } | null)?.value;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new SsoError('graph_error', 'Microsoft Graph returned no list of group ids');
  }
  const nextLink = (body as { '@odata.nextLink'?: unknown })['@odata.nextLink'];
  if (nextLink !== undefined && typeof nextLink !== 'string') {
    throw new SsoError('graph_error', 'Microsoft Graph returned a malformed @odata.nextLink');
  }
  return { value, nextLink };
}

/** Graph's `error.code` (e.g. `Authorization_RequestDenied`), never its message or our token. */
async function graphErrorCode(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown } } | null;
    const code = body?.error?.code;
    return typeof code === 'string' && /^[\w.-]{1,100}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before retrying: `Retry-After` (seconds or an HTTP date), or
 * exponential backoff without one; undefined when Graph asks for more than we wait.
 */
function retryDelayMs(retryAfter: string | null, attempt: number): number | undefined {
  if (retryAfter === null) return backoffDelayMs(attempt);
  const trimmed = retryAfter.trim();
  const delayMs = /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - Date.now();
  if (!Number.isFinite(delayMs)) return backoffDelayMs(attempt);
  return delayMs > GRAPH_MAX_RETRY_DELAY_MS ? undefined : Math.max(delayMs, 0);
}

function backoffDelayMs(attempt: number): number {
  return Math.min(250 * 2 ** attempt, GRAPH_MAX_RETRY_DELAY_MS);
}
