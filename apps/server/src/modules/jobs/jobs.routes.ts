import { idParamsSchema, jobSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireUser } from '../access/access.service.ts';
import { getVisibleJob } from './jobs.service.ts';

export const registerJobRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;

  app.get(
    '/api/v1/jobs/:id',
    {
      config: { access: { role: 'user' } },
      schema: {
        tags: ['documents'],
        summary: 'Progress of a background job (yours, or any of the tenant for managers)',
        params: idParamsSchema,
        response: { 200: jobSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const job = await getVisibleJob(db, principal, request.params.id);
      return {
        id: job.id,
        kind: job.kind,
        status: job.status,
        progress: job.progress,
        attempt: job.attempt,
        ...(job.error ? { error: job.error } : {}),
        document_id: job.documentId,
        created_at: job.createdAt.toISOString(),
        updated_at: job.updatedAt.toISOString(),
      };
    },
  );
};
