import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import type { RateLimiter } from '../../platform/rate-limit.ts';
import { hasRole } from '../access/access.service.ts';
import type { AccessRule, Principal, RouteAccess } from '../access/access.types.ts';
import { findActiveApiKey, isApiKeyFormat, recordApiKeyUse } from '../api-keys/api-keys.service.ts';
import { findAccountById, isRefreshFamilyActive } from './auth.repository.ts';
import { verifyAccessToken } from './auth.tokens.ts';
import type { ServerKeys } from './server-keys.ts';

/**
 * Authentication and the access hook: every route declares who may call it in
 * `config.access` (access.types.ts); one hook authenticates the caller (access token,
 * session cookie or API key), enforces the rule, CSRF and rate limits before the body is
 * read. A route without a declaration fails at start-up, so none is open by accident.
 */

export const ACCESS_COOKIE = 'nexus_access';
export const REFRESH_COOKIE = 'nexus_refresh';
export const CSRF_COOKIE = 'nexus_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AccessDependencies {
  db: Db;
  keys: ServerKeys;
  rateLimiter: RateLimiter;
  config: Config;
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError('unauthorized:token', 'The Authorization header must be "Bearer <token>".');
  return match[1]!;
}

function isWebSocketUpgrade(request: FastifyRequest): boolean {
  return (request.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** Browsers cannot set headers on WebSockets: they may pass the token as `?access_token=`. */
function webSocketQueryToken(request: FastifyRequest): string | null {
  if (!isWebSocketUpgrade(request)) return null;
  const token = (request.query as { access_token?: unknown } | undefined)?.access_token;
  return typeof token === 'string' && token ? token : null;
}

async function authenticate(request: FastifyRequest, deps: AccessDependencies): Promise<Principal | null> {
  const bearer = bearerToken(request) ?? webSocketQueryToken(request);
  const cookieToken = request.cookies?.[ACCESS_COOKIE];
  const token = bearer ?? cookieToken ?? null;
  if (!token) return null;

  if (bearer && isApiKeyFormat(bearer)) {
    const apiKey = await findActiveApiKey(deps.db.kysely, bearer);
    if (!apiKey)
      throw new AppError('unauthorized:api_key', 'The API key is not valid (unknown, revoked or expired).');
    recordApiKeyUse(deps.db.kysely, apiKey.id).catch((error: unknown) =>
      request.log.warn({ err: error }, 'could not record API key use'),
    );
    return {
      kind: 'api_key',
      apiKeyId: apiKey.id,
      tenantId: apiKey.tenantId,
      botId: apiKey.botId,
      rateLimitPerMinute: apiKey.rateLimitPerMinute,
    };
  }

  const claims = await verifyAccessToken(deps.keys, token);
  if (!claims)
    throw new AppError(
      'unauthorized:token',
      'Your session has expired or is not valid. Please sign in again.',
    );
  const account = await findAccountById(deps.db.kysely, claims.tenantId, claims.userId);
  if (!account?.isActive)
    throw new AppError('unauthorized:token', 'This account is disabled or no longer exists.');
  if (!(await isRefreshFamilyActive(deps.db.kysely, claims.sessionId))) {
    throw new AppError('unauthorized:token', 'You have been signed out. Please sign in again.');
  }
  return {
    kind: 'user',
    userId: account.id,
    tenantId: account.tenantId,
    tenantSlug: account.tenantSlug,
    email: account.email,
    displayName: account.displayName,
    role: account.role, // the stored role, not the token's: a demotion takes effect at once
    departmentId: account.departmentId,
    departmentCode: account.departmentCode,
    regionId: account.regionId,
    regionCode: account.regionCode,
    sessionId: claims.sessionId,
    isLimited: claims.isLimited && account.totpEnabledAt === null,
    isTotpEnabled: account.totpEnabledAt !== null,
    via: bearer ? 'bearer' : 'cookie',
  };
}

function authorize(rule: AccessRule, principal: Principal | null, request: FastifyRequest): void {
  if (rule === 'public') return;
  if (!principal)
    throw new AppError('unauthorized:token', 'Sign in, or send an API key, to use this endpoint.');
  if (rule === 'api_key') {
    if (principal.kind !== 'api_key')
      throw new AppError('forbidden:api_key_required', 'This endpoint takes an API key.');
    return;
  }
  if (principal.kind === 'api_key') {
    if (!rule.apiKey) throw new AppError('forbidden:api_key', 'API keys cannot use this endpoint.');
    return;
  }
  if (principal.isLimited && !rule.allowLimited) {
    throw new AppError(
      'forbidden:totp_enrollment_required',
      'Your role requires two-factor authentication. Enrol an authenticator app to continue.',
    );
  }
  if (!hasRole(principal.role, rule.role)) {
    throw new AppError('forbidden:role', `This requires the ${rule.role} role.`);
  }
  if (principal.via === 'cookie' && isWebSocketUpgrade(request)) {
    // A WebSocket is not covered by CSRF tokens: a cookie-authenticated one must come from our own pages.
    const origin = request.headers.origin;
    if (origin && safeHost(origin) !== request.headers.host) {
      throw new AppError(
        'forbidden:origin',
        'WebSocket connections with session cookies must come from this site.',
      );
    }
  }
  if (principal.via === 'cookie' && !SAFE_METHODS.has(request.method)) assertCsrfToken(request);
}

/**
 * A request that relies on session cookies must carry the CSRF token (double submit: the
 * header equals the cookie), so that another site cannot make the browser send it.
 */
export function assertCsrfToken(request: FastifyRequest): void {
  const cookie = request.cookies?.[CSRF_COOKIE];
  const header = request.headers[CSRF_HEADER];
  if (!cookie || typeof header !== 'string' || header !== cookie) {
    throw new AppError(
      'forbidden:csrf',
      `Missing or wrong ${CSRF_HEADER} header for a cookie-authenticated request.`,
    );
  }
}

async function applyRateLimit(
  principal: Principal,
  reply: FastifyReply,
  deps: AccessDependencies,
): Promise<void> {
  const [key, limit] =
    principal.kind === 'api_key'
      ? [
          `api_key:${principal.apiKeyId}`,
          principal.rateLimitPerMinute ?? deps.config.rateLimits.apiKeyPerMinute,
        ]
      : [`user:${principal.userId}`, deps.config.rateLimits.userPerMinute];
  const result = await deps.rateLimiter.consume(key, limit, 60);
  reply.header('x-ratelimit-limit', String(result.limit));
  reply.header('x-ratelimit-remaining', String(result.remaining));
  if (!result.isAllowed) {
    throw new AppError(
      'rate_limited',
      `Rate limit of ${result.limit} requests per minute exceeded. Retry in ${result.retryAfterSeconds} s.`,
      { limit: result.limit, retry_after_seconds: result.retryAfterSeconds },
      { 'retry-after': String(result.retryAfterSeconds) },
    );
  }
}

function safeHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/**
 * Installs authentication, authorisation, CSRF and rate limiting; returns the route table
 * (filled as routes are added). A route's rule may come from its own `config.access` or
 * from a default its plugin sets (accessByDefault); one without either stops the start-up.
 */
export function installAccessControl(app: FastifyInstance, deps: AccessDependencies): RouteAccess[] {
  const routes: RouteAccess[] = [];
  const declared: { method: string; url: string; config: () => { access?: AccessRule } | undefined }[] = [];
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    // Swagger UI's own static routes are public documentation.
    if (route.url.startsWith('/docs')) {
      route.config = { ...(route.config as object), access: 'public' };
    }
    // Hooks of the route's own plugin (a default rule) run after this one: read the rule once all have.
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') declared.push({ method, url: route.url, config: () => route.config as never });
    }
  });
  app.addHook('onReady', async () => {
    routes.length = 0;
    for (const route of declared) {
      const access = route.config()?.access;
      if (!access)
        throw new Error(`Route ${route.method} ${route.url} declares no access rule (config.access)`);
      routes.push({ method: route.method, url: route.url, access });
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    const rule = request.routeOptions.config.access;
    if (!rule) return; // unmatched route: the 404 handler answers
    let principal: Principal | null;
    if (rule === 'public') {
      // A stale cookie or token must not break public routes such as sign-in.
      principal = request.routeOptions.config.isAnonymous
        ? null
        : await authenticate(request, deps).catch(() => null);
    } else {
      principal = await authenticate(request, deps);
    }
    request.principal = principal;
    authorize(rule, principal, request);
    if (principal && rule !== 'public') await applyRateLimit(principal, reply, deps);
  });
  return routes;
}

/**
 * A plugin whose routes default to `rule` (a route may still declare its own): the admin
 * API under /api/v1/admin is super admins' unless a route says otherwise.
 */
export function accessByDefault(rule: AccessRule, plugins: FastifyPluginAsync[]): FastifyPluginAsync {
  return async (scope) => {
    scope.addHook('onRoute', (route) => {
      const config = (route.config ?? {}) as { access?: AccessRule };
      if (!config.access) route.config = { ...config, access: rule } as never;
    });
    for (const plugin of plugins) await scope.register(plugin);
  };
}
