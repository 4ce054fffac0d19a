import { randomBytes } from 'node:crypto';
import {
  authConfigResponseSchema,
  loginRequestSchema,
  logoutRequestSchema,
  refreshRequestSchema,
  tokenResponseSchema,
  totpEnrollResponseSchema,
  totpVerifyRequestSchema,
  type User,
  userSchema,
} from '@nexus/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../platform/errors.ts';
import { insertAuditEvent } from '../audit/audit.repository.ts';
import {
  ACCESS_COOKIE,
  assertCsrfToken,
  CSRF_COOKIE,
  REFRESH_COOKIE,
  requireUser,
  type UserPrincipal,
} from './access.ts';
import {
  type AccountRow,
  findAccountById,
  revokeRefreshTokenFamily,
  setTotpSecret,
} from './auth.repository.ts';
import {
  type AuthContext,
  type ClientInfo,
  issueSession,
  loginWithPassword,
  logout,
  refreshSession,
  type SessionTokens,
} from './auth.service.ts';
import { decryptSecret, encryptSecret } from './server-keys.ts';
import { createTotpSecret, totpUri, verifyTotp } from './totp.ts';

const REFRESH_COOKIE_PATH = '/api/v1/auth';

export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

type UserFields = Pick<
  AccountRow,
  | 'email'
  | 'displayName'
  | 'role'
  | 'tenantId'
  | 'tenantSlug'
  | 'departmentId'
  | 'departmentCode'
  | 'regionCode'
>;

function toUser(
  id: string,
  fields: UserFields,
  totp: { isEnabled: boolean; isEnrollmentRequired: boolean },
): User {
  return {
    id,
    email: fields.email,
    display_name: fields.displayName,
    role: fields.role,
    tenant: { id: fields.tenantId, slug: fields.tenantSlug },
    department:
      fields.departmentId && fields.departmentCode && fields.regionCode
        ? { id: fields.departmentId, code: `${fields.regionCode}/${fields.departmentCode}` }
        : null,
    totp_enabled: totp.isEnabled,
    totp_enrollment_required: totp.isEnrollmentRequired,
  };
}

export function accountToUser(account: AccountRow, isTotpEnrollmentRequired: boolean): User {
  return toUser(account.id, account, {
    isEnabled: account.totpEnabledAt !== null,
    isEnrollmentRequired: isTotpEnrollmentRequired,
  });
}

function principalToUser(principal: UserPrincipal): User {
  return toUser(principal.userId, principal, {
    isEnabled: principal.isTotpEnabled,
    isEnrollmentRequired: principal.isLimited,
  });
}

/**
 * Browser sessions: the same tokens in httpOnly cookies, plus a readable CSRF cookie whose
 * value must come back in the X-CSRF-Token header on unsafe requests.
 */
export function setSessionCookies(
  reply: FastifyReply,
  tokens: SessionTokens,
  isSecure: boolean,
  refreshTtlSeconds: number,
) {
  const common = { httpOnly: true, secure: isSecure, sameSite: 'lax' as const };
  reply.setCookie(ACCESS_COOKIE, tokens.accessToken, { ...common, path: '/', maxAge: tokens.expiresIn });
  reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    ...common,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    maxAge: refreshTtlSeconds,
  });
  reply.setCookie(CSRF_COOKIE, randomBytes(24).toString('base64url'), {
    httpOnly: false,
    secure: isSecure,
    sameSite: 'strict',
    path: '/',
    maxAge: refreshTtlSeconds,
  });
}

function clearSessionCookies(reply: FastifyReply) {
  reply.clearCookie(ACCESS_COOKIE, { path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH });
  reply.clearCookie(CSRF_COOKIE, { path: '/' });
}

export function tokenResponse(tokens: SessionTokens) {
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    token_type: 'bearer' as const,
    expires_in: tokens.expiresIn,
    user: accountToUser(tokens.account, tokens.isTotpEnrollmentRequired),
  };
}

export const registerAuthRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, keys } = app.deps;
  const config = app.config;
  const context: AuthContext = { db, keys, config: config.auth };
  const sendSession = (reply: FastifyReply, tokens: SessionTokens) => {
    setSessionCookies(reply, tokens, config.auth.isCookieSecure, config.auth.refreshTokenTtlSeconds);
    reply.header('cache-control', 'no-store');
    return tokenResponse(tokens);
  };

  app.get(
    '/api/v1/auth/config',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Which sign-in methods are on',
        response: { 200: authConfigResponseSchema },
      },
    },
    async () => ({
      password: config.auth.isPasswordLoginEnabled,
      sso: config.sso
        ? { enabled: true, provider_name: config.sso.providerName, login_url: '/api/v1/auth/sso/login' }
        : { enabled: false, provider_name: null, login_url: null },
      totp_required_for_admins: config.auth.adminTotp === 'required',
    }),
  );

  app.post(
    '/api/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password (+ TOTP code when enrolled)',
        body: loginRequestSchema,
        response: { 200: tokenResponseSchema },
      },
    },
    async (request, reply) => {
      const tokens = await loginWithPassword(context, request.body, clientInfo(request));
      return sendSession(reply, tokens);
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token (body or cookie) for new tokens; the refresh token rotates',
        body: refreshRequestSchema.nullish(),
        response: { 200: tokenResponseSchema },
      },
    },
    async (request, reply) => {
      const refreshToken = request.body?.refresh_token ?? request.cookies[REFRESH_COOKIE];
      if (!refreshToken) throw new AppError('unauthorized:refresh_token', 'No refresh token was sent.');
      const tokens = await refreshSession(context, refreshToken, clientInfo(request), findAccountById);
      return sendSession(reply, tokens);
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'End the session (refresh token family) and clear cookies',
        body: logoutRequestSchema,
      },
    },
    async (request, reply) => {
      const principal = request.principal?.kind === 'user' ? request.principal : null;
      // Signing out with the browser's cookies is a state change like any other: it needs
      // the CSRF token, or any site could sign a user out.
      const usesCookies = !request.body?.refresh_token && (principal?.via === 'cookie' || !principal);
      const hasSessionCookie = Boolean(request.cookies[REFRESH_COOKIE] || request.cookies[ACCESS_COOKIE]);
      if (usesCookies && hasSessionCookie) assertCsrfToken(request);
      await logout(
        context,
        {
          refreshToken: request.body?.refresh_token ?? request.cookies[REFRESH_COOKIE],
          sessionId: principal?.sessionId,
        },
        principal ? { tenantId: principal.tenantId, userId: principal.userId } : null,
        clientInfo(request),
      );
      clearSessionCookies(reply);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/me',
    {
      config: { access: { role: 'user', allowLimited: true } },
      schema: { tags: ['auth'], summary: 'The signed-in user', response: { 200: userSchema } },
    },
    async (request) => principalToUser(requireUser(request)),
  );

  app.post(
    '/api/v1/auth/totp/enroll',
    {
      config: { access: { role: 'user', allowLimited: true } },
      schema: {
        tags: ['auth'],
        summary: 'Start TOTP enrolment: a new secret to add to an authenticator app',
        response: { 200: totpEnrollResponseSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      if (principal.isTotpEnabled)
        throw new AppError('conflict:totp', 'Two-factor authentication is already on.');
      const secret = createTotpSecret();
      await setTotpSecret(db.kysely, principal.userId, encryptSecret(keys, secret), false);
      return { secret, otpauth_url: totpUri(secret, principal.email) };
    },
  );

  app.post(
    '/api/v1/auth/totp/verify',
    {
      config: { access: { role: 'user', allowLimited: true } },
      schema: {
        tags: ['auth'],
        summary: 'Finish TOTP enrolment with a code from the app; returns fresh tokens',
        body: totpVerifyRequestSchema,
        response: { 200: tokenResponseSchema },
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      const account = await findAccountById(db.kysely, principal.tenantId, principal.userId);
      if (!account?.totpSecret || account.totpEnabledAt) {
        throw new AppError('conflict:totp', 'Start enrolment first (POST /api/v1/auth/totp/enroll).');
      }
      if (!(await verifyTotp(decryptSecret(keys, account.totpSecret), request.body.code))) {
        throw new AppError(
          'bad_request:totp_invalid',
          'The code is incorrect or expired; try the current one.',
        );
      }
      const tokens = await db.transaction(async (trx) => {
        await setTotpSecret(trx, account.id, account.totpSecret, true);
        await revokeRefreshTokenFamily(trx, principal.sessionId); // the limited session ends
        await insertAuditEvent(trx, {
          tenantId: account.tenantId,
          actorUserId: account.id,
          action: 'auth.totp_enabled',
          ip: request.ip,
        });
        const enrolled = { ...account, totpEnabledAt: new Date() };
        return issueSession(context, trx, enrolled, clientInfo(request), null);
      });
      return sendSession(reply, tokens);
    },
  );
};
