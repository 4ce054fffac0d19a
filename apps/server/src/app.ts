import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import type { RouteAccess } from './modules/access/access.types.ts';
import {
  registerApiKeyIntrospectionRoute,
  registerApiKeyRoutes,
} from './modules/api-keys/api-keys.routes.ts';
import { registerAuditRoutes } from './modules/audit/audit.routes.ts';
import { registerAuthRoutes } from './modules/auth/auth.routes.ts';
import { accessByDefault, installAccessControl } from './modules/auth/authentication.ts';
import type { ServerKeys } from './modules/auth/server-keys.ts';
import { registerGroupMappingRoutes, registerSsoRoutes } from './modules/auth/sso.routes.ts';
import { registerChatRoutes } from './modules/chat/chat.routes.ts';
import { registerChatSocketRoutes } from './modules/chat/chat-socket.routes.ts';
import { registerNotebookChatRoutes } from './modules/chat/notebook-chat.routes.ts';
import { registerPublicChatRoutes } from './modules/chat/public-chat.routes.ts';
import { registerDocumentRoutes } from './modules/documents/documents.routes.ts';
import { registerHealthRoutes } from './modules/health/health.routes.ts';
import { registerJobRoutes } from './modules/jobs/jobs.routes.ts';
import { registerLlmAdminRoutes } from './modules/llm/llm.routes.ts';
import { registerNotebookAdminRoutes, registerNotebookRoutes } from './modules/notebook/notebook.routes.ts';
import { registerRetrievalRoutes } from './modules/retrieval/retrieval.routes.ts';
import { registerTenancyRoutes } from './modules/tenancy/tenancy.routes.ts';
import { registerUsageRoutes } from './modules/usage/usage.routes.ts';
import { registerUserRoutes } from './modules/users/users.routes.ts';
import { registerWebRoutes } from './modules/web/web.routes.ts';
import type { Db } from './platform/db/database.ts';
import type { Embedder } from './platform/embeddings.ts';
import { AppError } from './platform/errors.ts';
import { frameworkErrorHandler, installErrorHandling } from './platform/http/error-handling.ts';
import { registerOpenApi } from './platform/http/openapi.ts';
import {
  answerClientError,
  createMetricsGuard,
  installRequestGuards,
} from './platform/http/request-guards.ts';
import type { Logger } from './platform/logger.ts';
import { createMetrics, type Metrics } from './platform/metrics.ts';
import type { JobQueue } from './platform/queue.ts';
import type { RateLimiter } from './platform/rate-limit.ts';

export interface AppDependencies {
  db: Db;
  queue: JobQueue;
  logger: Logger;
  redis?: Redis | null;
  metrics?: Metrics;
  keys: ServerKeys;
  rateLimiter: RateLimiter;
  /** Dense retrieval, when configured. */
  embedder?: Embedder | null;
  /** The built web app (apps/web/dist) to serve at `/`; absent: the API landing page. */
  webDistDir?: string | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    deps: AppDependencies & { metrics: Metrics };
    config: Config;
    /** Every route with its declared access rule. */
    routeTable: RouteAccess[];
  }
}

export type NexusApp = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** Builds the HTTP application. Never listens: main.ts does, tests use app.inject. */
export async function buildApp(config: Config, deps: AppDependencies): Promise<NexusApp> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // A hop count is accepted by Fastify (proxy-addr) though its types do not list it.
    trustProxy: (Array.isArray(config.trustProxy) ? [...config.trustProxy] : config.trustProxy) as boolean,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    },
    return503OnClosing: true,
    // Errors Node's HTTP parser raises, and Fastify's own (bad URL, over-long path part),
    // answer in the app's error shape like everything else.
    clientErrorHandler: answerClientError,
    frameworkErrors: frameworkErrorHandler(config),
  }).withTypeProvider<ZodTypeProvider>();

  const metrics = deps.metrics ?? createMetrics();
  app.decorate('deps', { ...deps, metrics });
  app.decorate('config', config);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  installRequestGuards(app);
  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: config.ingestion.maxBytes, files: 1, fields: 10 } });
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.decorate(
    'routeTable',
    installAccessControl(app, { db: deps.db, keys: deps.keys, rateLimiter: deps.rateLimiter, config }),
  );
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  installErrorHandling(app, { metrics, bodyLimitBytes: config.bodyLimitBytes });
  await registerOpenApi(app);

  const mayReadMetrics = createMetricsGuard(config.metrics);
  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (!mayReadMetrics(request)) {
      throw new AppError(
        'forbidden:metrics',
        'Metrics are readable from the addresses in NEXUS_METRICS_ALLOW, or with the NEXUS_METRICS_TOKEN bearer token.',
      );
    }
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  await app.register(registerHealthRoutes);
  await app.register(registerAuthRoutes);
  await app.register(registerSsoRoutes);
  // The admin API: one prefix, super admins unless a route says otherwise.
  await app.register(
    accessByDefault({ role: 'super_admin' }, [
      registerUserRoutes,
      registerTenancyRoutes,
      registerApiKeyRoutes,
      registerAuditRoutes,
      registerGroupMappingRoutes,
      registerLlmAdminRoutes,
      registerNotebookAdminRoutes,
    ]),
    { prefix: '/api/v1/admin' },
  );
  await app.register(registerApiKeyIntrospectionRoute);
  await app.register(registerDocumentRoutes);
  await app.register(registerJobRoutes);
  await app.register(registerRetrievalRoutes);
  await app.register(registerChatRoutes);
  await app.register(registerNotebookRoutes);
  await app.register(registerNotebookChatRoutes);
  await app.register(registerChatSocketRoutes);
  await app.register(registerPublicChatRoutes);
  await app.register(registerUsageRoutes);
  // The web app; its catch-all GET never shadows API routes (the router tries static and
  // parametric routes before wildcards) and refuses API prefixes itself.
  await app.register(registerWebRoutes, { distDir: deps.webDistDir ?? null });

  return app;
}
