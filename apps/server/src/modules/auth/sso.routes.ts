import { idParamsSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import { requireUser } from '../access/access.service.ts';
import type { AuthContext } from './auth.service.ts';
import { decryptSecret, encryptSecret } from './server-keys.ts';
import { clientInfo, setSessionCookies } from './session-http.ts';
import type { PendingSsoLogin, SsoErrorReason } from './sso.client.ts';
import { SsoError } from './sso.client.ts';
import {
  addDepartmentMapping,
  completeSsoSignIn,
  createSsoClientProvider,
  listDepartmentMappings,
  removeDepartmentMapping,
} from './sso.service.ts';

const PENDING_COOKIE = 'nexus_sso';
const PENDING_COOKIE_PATH = '/api/v1/auth/sso';

const SSO_ERROR_CODES: Record<
  SsoErrorReason,
  [`${'bad_request' | 'unauthorized' | 'bad_gateway'}:${string}`, string]
> = {
  state_mismatch: [
    'bad_request:sso_state',
    'The sign-in response did not match this browser. Start the sign-in again.',
  ],
  nonce_mismatch: [
    'unauthorized:sso_token',
    'The identity token did not match this sign-in. Start the sign-in again.',
  ],
  invalid_id_token: [
    'unauthorized:sso_token',
    'The identity provider sent an identity token that is not valid.',
  ],
  idp_error: ['unauthorized:sso_denied', 'The identity provider did not sign you in'],
  idp_unreachable: [
    'bad_gateway:sso_unreachable',
    'The identity provider cannot be reached. Try again shortly.',
  ],
  graph_error: [
    'bad_gateway:sso_groups',
    'Your group memberships could not be read from Microsoft Graph. Try again shortly.',
  ],
  login_expired: ['bad_request:sso_expired', 'The sign-in took too long. Start it again.'],
};

/** Only same-site paths are followed after sign-in (no open redirects). */
function safeReturnPath(value: string | undefined): string {
  return value && /^\/(?!\/)[^\s\\]*$/.test(value) ? value : '/';
}

export const registerSsoRoutes: FastifyPluginAsyncZod = async (app) => {
  const sso = app.config.sso;
  const { db, keys } = app.deps;
  const getClient = sso ? createSsoClientProvider(sso) : null;
  const context: AuthContext = { db, keys, config: app.config.auth };
  const requireSso = () => {
    if (!sso || !getClient) throw new AppError('not_found:sso', 'Single sign-on is not configured.');
    return { sso, getClient };
  };
  const toAppError = (error: unknown): never => {
    if (error instanceof SsoError) {
      const [code, message] = SSO_ERROR_CODES[error.reason];
      throw new AppError(code, error.reason === 'idp_error' ? `${message}: ${error.message}` : message);
    }
    throw error;
  };

  app.get(
    '/api/v1/auth/sso/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Start single sign-on: redirects to the identity provider (code flow + PKCE)',
        querystring: z.object({ return_to: z.string().max(2000).optional() }),
      },
    },
    async (request, reply) => {
      const { getClient } = requireSso();
      const client = await getClient().catch(toAppError);
      const { authorizationUrl, pending } = await client.beginLogin({
        returnTo: safeReturnPath(request.query.return_to),
      });
      reply.setCookie(PENDING_COOKIE, encryptSecret(keys, JSON.stringify(pending)), {
        httpOnly: true,
        secure: app.config.auth.isCookieSecure,
        sameSite: 'lax', // must come back on the IdP's top-level redirect
        path: PENDING_COOKIE_PATH,
        maxAge: 600,
      });
      return reply.redirect(authorizationUrl, 302);
    },
  );

  app.get(
    '/api/v1/auth/sso/callback',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Where the identity provider returns; signs the user in and redirects',
      },
    },
    async (request, reply) => {
      const { sso, getClient } = requireSso();
      const cookie = request.cookies[PENDING_COOKIE];
      reply.clearCookie(PENDING_COOKIE, { path: PENDING_COOKIE_PATH });
      let pending: PendingSsoLogin;
      try {
        if (!cookie) throw new Error('missing');
        pending = JSON.parse(decryptSecret(keys, cookie)) as PendingSsoLogin;
      } catch {
        throw new AppError(
          'bad_request:sso_state',
          'No sign-in is in progress in this browser. Start the sign-in again.',
        );
      }
      const client = await getClient().catch(toAppError);
      const callbackUrl = new URL(request.url, sso.redirectUrl);
      const identity = await client.completeLogin(callbackUrl, pending).catch(toAppError);
      const tokens = await completeSsoSignIn(context, sso, identity, clientInfo(request));
      setSessionCookies(
        reply,
        tokens,
        app.config.auth.isCookieSecure,
        app.config.auth.refreshTokenTtlSeconds,
      );
      return reply.redirect(safeReturnPath(pending.returnTo), 302);
    },
  );
};

const mappingSchema = z.object({ id: z.uuid(), claim_value: z.string(), department: z.string() });

/** The admin-editable mapping from IdP group ids (or department attributes) to departments. */
export const registerGroupMappingRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const actorOf = (request: Parameters<typeof requireUser>[0]) => {
    const user = requireUser(request);
    return { tenantId: user.tenantId, userId: user.userId, ip: request.ip };
  };

  app.get(
    '/sso/group-mappings',
    {
      schema: {
        tags: ['admin'],
        summary: 'IdP group → department mappings',
        response: { 200: z.object({ mappings: z.array(mappingSchema) }) },
      },
    },
    async (request) => ({ mappings: await listDepartmentMappings(db, requireUser(request).tenantId) }),
  );

  app.post(
    '/sso/group-mappings',
    {
      schema: {
        tags: ['admin'],
        summary: 'Map an IdP group id (or department attribute value) to a department',
        body: z.object({
          claim_value: z.string().trim().min(1).max(200),
          department: z.string().trim().min(3).max(80),
        }),
        response: { 201: mappingSchema },
      },
    },
    async (request, reply) => {
      const created = await addDepartmentMapping(db, actorOf(request), request.body);
      return reply.status(201).send(created);
    },
  );

  app.delete(
    '/sso/group-mappings/:id',
    { schema: { tags: ['admin'], summary: 'Remove a mapping', params: idParamsSchema } },
    async (request, reply) => {
      await removeDepartmentMapping(db, actorOf(request), request.params.id);
      return reply.status(204).send();
    },
  );
};
