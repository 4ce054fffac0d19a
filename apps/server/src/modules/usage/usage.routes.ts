import { tokenUsageQuerySchema, tokenUsageSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireUser } from '../access/access.service.ts';
import { reportUsage } from './usage.service.ts';

export const registerUsageRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  app.get(
    '/api/metrics/tokens',
    {
      config: { access: { role: 'super_admin' } },
      schema: {
        tags: ['admin'],
        summary: 'Tokens and cost of answers, grouped by user, department, model, mode or day',
        querystring: tokenUsageQuerySchema,
        response: { 200: tokenUsageSchema },
      },
    },
    async (request) => {
      const report = await reportUsage(db, requireUser(request).tenantId, {
        groupBy: request.query.group_by,
        from: request.query.from,
        to: request.query.to,
      });
      return {
        group_by: report.groupBy,
        from: report.from.toISOString(),
        to: report.to.toISOString(),
        rows: report.rows,
        totals: report.totals,
      };
    },
  );
};
