import { auditLogQuerySchema, auditLogSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireUser } from '../auth/access.ts';

export const registerAuditRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  app.get(
    '/api/v1/admin/audit-log',
    {
      config: { access: { role: 'super_admin' } },
      schema: {
        tags: ['admin'],
        summary: 'Security and admin events, newest first',
        querystring: auditLogQuerySchema,
        response: { 200: auditLogSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const { limit, before, action } = request.query;
      let query = db.kysely
        .selectFrom('audit_log')
        .selectAll()
        .where('tenant_id', '=', principal.tenantId)
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (before) query = query.where('id', '<', before);
      if (action) {
        query = action.endsWith('.')
          ? query.where('action', 'like', `${action.replace(/[\\%_]/g, '\\$&')}%`)
          : query.where('action', '=', action);
      }
      const rows = await query.execute();
      const page = rows.slice(0, limit);
      return {
        events: page.map((row) => ({
          id: row.id,
          action: row.action,
          actor_user_id: row.actor_user_id,
          actor_api_key_id: row.actor_api_key_id,
          target_type: row.target_type,
          target_id: row.target_id,
          before: row.before,
          after: row.after,
          ip: row.ip,
          created_at: row.created_at.toISOString(),
        })),
        next_before: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      };
    },
  );
};
