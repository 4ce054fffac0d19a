import { healthResponseSchema, readinessResponseSchema } from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkReadiness } from './health.service.ts';

export const registerHealthRoutes: FastifyPluginAsyncZod = async (app) => {
  const alive = {
    schema: {
      tags: ['ops'],
      summary: 'Liveness: the process is up',
      response: { 200: healthResponseSchema },
    },
    logLevel: 'warn' as const,
    config: { access: 'public' as const },
  };
  app.get('/healthz', alive, async () => ({ status: 'ok' as const }));
  app.get('/v1/health', alive, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    {
      logLevel: 'warn',
      config: { access: 'public' },
      schema: {
        tags: ['ops'],
        summary: 'Readiness: database, migrations, search extensions, job queue, Redis',
        response: { 200: readinessResponseSchema, 503: readinessResponseSchema },
      },
    },
    async (_request, reply) => {
      const { db, queue, redis } = app.deps;
      const { result, isReady } = await checkReadiness({
        db,
        isQueueRunning: queue.isRunning,
        isWorkerInProcess: app.config.serveWorker,
        redis: redis ?? null,
      });
      return reply.status(isReady ? 200 : 503).send(result);
    },
  );
};
