import {
  apiKeyCreatedSchema,
  apiKeyCreateSchema,
  apiKeyListSchema,
  apiKeySchema,
  idParamsSchema,
} from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/errors.ts';
import { requireUser } from '../access/access.service.ts';
import {
  type ApiKeyRow,
  createApiKeyAsAdmin,
  describeApiKey,
  listTenantApiKeys,
  revokeApiKeyAsAdmin,
} from './api-keys.service.ts';

export function toApiKeyResponse(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    bot_id: row.botId,
    rate_limit_per_minute: row.rateLimitPerMinute,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    expires_at: row.expiresAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

export const registerApiKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;

  app.get(
    '/api-keys',
    {
      schema: {
        tags: ['admin'],
        summary: "The tenant's API keys (secrets are never shown again)",
        response: { 200: apiKeyListSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      return { api_keys: (await listTenantApiKeys(db, principal.tenantId)).map(toApiKeyResponse) };
    },
  );

  app.post(
    '/api-keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create an API key; the response holds the key, shown this once',
        body: apiKeyCreateSchema,
        response: { 201: apiKeyCreatedSchema },
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      const body = request.body;
      const created = await createApiKeyAsAdmin(db, {
        tenantId: principal.tenantId,
        name: body.name,
        botId: body.bot_id ?? null,
        rateLimitPerMinute: body.rate_limit_per_minute ?? null,
        expiresAt: body.expires_at ? new Date(body.expires_at) : null,
        actorUserId: principal.userId,
        ip: request.ip,
      });
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({ api_key: toApiKeyResponse(created.apiKey), key: created.key });
    },
  );

  app.delete(
    '/api-keys/:id',
    { schema: { tags: ['admin'], summary: 'Revoke an API key', params: idParamsSchema } },
    async (request, reply) => {
      const principal = requireUser(request);
      await revokeApiKeyAsAdmin(db, {
        tenantId: principal.tenantId,
        id: request.params.id,
        actorUserId: principal.userId,
        ip: request.ip,
      });
      return reply.status(204).send();
    },
  );
};

export const registerApiKeyIntrospectionRoute: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  app.get(
    '/v1/api-key',
    {
      config: { access: 'api_key' },
      schema: {
        tags: ['developer API'],
        summary: 'The API key used for this request: check that a key works and see its limits',
        response: { 200: apiKeySchema.extend({ tenant: z.object({ id: z.uuid(), slug: z.string() }) }) },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (principal?.kind !== 'api_key') throw new AppError('unauthorized:api_key', 'Send an API key.');
      const { apiKey, tenant } = await describeApiKey(db, principal);
      return { ...toApiKeyResponse(apiKey), tenant };
    },
  );
};
