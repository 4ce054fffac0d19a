import {
  authConfigResponseSchema,
  loginRequestSchema,
  logoutRequestSchema,
  refreshRequestSchema,
  tokenResponseSchema,
  totpEnrollResponseSchema,
  totpVerifyRequestSchema,
  userSchema,
} from '@nexus/contracts';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../platform/errors.ts';
import { requireUser } from '../access/access.service.ts';
import {
  type AuthContext,
  finishTotpEnrolment,
  loginWithPassword,
  logout,
  refreshSession,
  type SessionTokens,
  startTotpEnrolment,
} from './auth.service.ts';
import { ACCESS_COOKIE, assertCsrfToken, REFRESH_COOKIE } from './authentication.ts';
import {
  clearSessionCookies,
  clientInfo,
  principalToUser,
  setSessionCookies,
  tokenResponse,
} from './session-http.ts';

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
      const tokens = await refreshSession(context, refreshToken, clientInfo(request));
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
    async (request) => startTotpEnrolment(context, requireUser(request)),
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
      const tokens = await finishTotpEnrolment(
        context,
        requireUser(request),
        request.body.code,
        clientInfo(request),
      );
      return sendSession(reply, tokens);
    },
  );
};
