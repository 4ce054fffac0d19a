import { idParamsSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import { insertAuditEvent } from '../audit/audit.repository.ts';
import { resolveDepartment } from '../tenancy/tenancy.service.ts';
import { requireUser } from './access.ts';
import { clientInfo, setSessionCookies } from './auth.routes.ts';
import { type AuthContext, issueSession } from './auth.service.ts';
import { decryptSecret, encryptSecret } from './server-keys.ts';
import type { PendingSsoLogin, SsoErrorReason } from './sso.client.ts';
import { SsoError } from './sso.client.ts';
import { createSsoClientProvider, provisionSsoUser } from './sso.service.ts';

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
      const tokens = await db.transaction(async (trx) => {
        const account = await provisionSsoUser(trx, sso, identity, request.ip);
        return issueSession(context, trx, account, clientInfo(request));
      });
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
  const admin = { access: { role: 'super_admin' as const } };
  const list = (tenantId: string) =>
    db.kysely
      .selectFrom('idp_group_mappings')
      .innerJoin('departments', 'departments.id', 'idp_group_mappings.department_id')
      .innerJoin('regions', 'regions.id', 'departments.region_id')
      .select([
        'idp_group_mappings.id as id',
        'idp_group_mappings.claim_value as claim_value',
        sql<string>`regions.code || '/' || departments.code`.as('department'),
      ])
      .where('idp_group_mappings.tenant_id', '=', tenantId)
      .orderBy('idp_group_mappings.claim_value')
      .execute();

  app.get(
    '/api/v1/admin/sso/group-mappings',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'IdP group → department mappings',
        response: { 200: z.object({ mappings: z.array(mappingSchema) }) },
      },
    },
    async (request) => ({ mappings: await list(requireUser(request).tenantId) }),
  );

  app.post(
    '/api/v1/admin/sso/group-mappings',
    {
      config: admin,
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
      const principal = requireUser(request);
      const created = await db.transaction(async (trx) => {
        const department = await resolveDepartment(trx, principal.tenantId, request.body.department);
        const existing = await trx
          .selectFrom('idp_group_mappings')
          .select('id')
          .where('tenant_id', '=', principal.tenantId)
          .where('claim_value', '=', request.body.claim_value)
          .executeTakeFirst();
        if (existing)
          throw new AppError('conflict:group_mapping', `"${request.body.claim_value}" is already mapped.`);
        const row = await trx
          .insertInto('idp_group_mappings')
          .values({
            tenant_id: principal.tenantId,
            claim_value: request.body.claim_value,
            department_id: department.id,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await insertAuditEvent(trx, {
          tenantId: principal.tenantId,
          actorUserId: principal.userId,
          action: 'sso.group_mapping_created',
          targetType: 'group_mapping',
          targetId: row.id,
          after: request.body,
          ip: request.ip,
        });
        return {
          id: row.id,
          claim_value: request.body.claim_value,
          department: `${department.regionCode}/${department.code}`,
        };
      });
      return reply.status(201).send(created);
    },
  );

  app.delete(
    '/api/v1/admin/sso/group-mappings/:id',
    { config: admin, schema: { tags: ['admin'], summary: 'Remove a mapping', params: idParamsSchema } },
    async (request, reply) => {
      const principal = requireUser(request);
      await db.transaction(async (trx) => {
        const result = await trx
          .deleteFrom('idp_group_mappings')
          .where('tenant_id', '=', principal.tenantId)
          .where('id', '=', request.params.id)
          .executeTakeFirst();
        if (Number(result.numDeletedRows) === 0)
          throw new AppError('not_found:group_mapping', 'No such mapping.');
        await insertAuditEvent(trx, {
          tenantId: principal.tenantId,
          actorUserId: principal.userId,
          action: 'sso.group_mapping_deleted',
          targetType: 'group_mapping',
          targetId: request.params.id,
          ip: request.ip,
        });
      });
      return reply.status(204).send();
    },
  );
};
