import { auditLogQuerySchema, auditLogSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireUser } from '../access/access.service.ts';
import { pageAuditEvents } from './audit.service.ts';

export const registerAuditRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  app.get(
    '/audit-log',
    {
      schema: {
        tags: ['admin'],
        summary: 'Security and admin events, newest first',
        querystring: auditLogQuerySchema,
        response: { 200: auditLogSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const { events, nextBefore } = await pageAuditEvents(db, principal.tenantId, request.query);
      return {
        events: events.map((event) => ({
          id: event.id,
          action: event.action,
          actor_user_id: event.actorUserId,
          actor_api_key_id: event.actorApiKeyId,
          target_type: event.targetType,
          target_id: event.targetId,
          before: event.before,
          after: event.after,
          ip: event.ip,
          created_at: event.createdAt.toISOString(),
        })),
        next_before: nextBefore,
      };
    },
  );
};
