import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import {
  registerApiKeyIntrospectionRoute,
  registerApiKeyRoutes,
} from './modules/api-keys/api-keys.routes.ts';
import { registerAuditRoutes } from './modules/audit/audit.routes.ts';
import { installAccessControl, type RouteAccess } from './modules/auth/access.ts';
import { registerAuthRoutes } from './modules/auth/auth.routes.ts';
import type { ServerKeys } from './modules/auth/server-keys.ts';
import { registerGroupMappingRoutes, registerSsoRoutes } from './modules/auth/sso.routes.ts';
import { registerChatRoutes } from './modules/chat/chat.routes.ts';
import { registerPublicChatRoutes } from './modules/chat/public-chat.routes.ts';
import { registerUsageRoutes } from './modules/chat/usage.routes.ts';
import { registerDocumentRoutes } from './modules/documents/documents.routes.ts';
import { registerHealthRoutes } from './modules/health/health.routes.ts';
import { registerJobRoutes } from './modules/jobs/jobs.routes.ts';
import { registerLlmAdminRoutes } from './modules/llm/llm.routes.ts';
import { registerRetrievalRoutes } from './modules/retrieval/retrieval.routes.ts';
import { registerTenancyRoutes } from './modules/tenancy/tenancy.routes.ts';
import { registerUserRoutes } from './modules/users/users.routes.ts';
import { registerWebRoutes } from './modules/web/web.routes.ts';
import type { Db } from './platform/db/database.ts';
import type { Embedder } from './platform/embeddings.ts';
import { AppError } from './platform/errors.ts';
import type { Logger } from './platform/logger.ts';
import { createMetrics, type Metrics } from './platform/metrics.ts';
import type { JobQueue } from './platform/queue.ts';
import type { RateLimiter } from './platform/rate-limit.ts';
import {
  answerClientError,
  createMetricsGuard,
  findNul,
  fromFrameworkError,
  nulError,
} from './platform/request-guards.ts';

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
    frameworkErrors: (error, _request, reply) => {
      const { code, message } = fromFrameworkError(error, config);
      const status = new AppError(code, message).statusCode;
      const raw = reply as unknown as {
        code(status: number): { send(body: unknown): unknown };
        header(name: string, value: string): unknown;
      };
      raw.header('x-content-type-options', 'nosniff');
      return raw.code(status).send({ error: { code, message } });
    },
  }).withTypeProvider<ZodTypeProvider>();

  const metrics = deps.metrics ?? createMetrics();
  app.decorate('deps', { ...deps, metrics });
  app.decorate('config', config);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // No response of this server is ever to be type-sniffed into something executable.
    reply.header('x-content-type-options', 'nosniff');
  });
  // Postgres text cannot hold NUL: refuse it anywhere in a request with a clear 400,
  // before any handler or query sees it (multipart bodies are checked where they are read).
  app.addHook('preValidation', async (request) => {
    const path =
      findNul(request.params, 'params') ?? findNul(request.query, 'query') ?? findNul(request.body, 'body');
    if (path) throw nulError(path);
  });
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

  app.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    let status: number;
    let body: { code: string; message: string; details?: unknown };
    if (error instanceof AppError) {
      status = error.statusCode;
      body = {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      };
      if (error.headers) reply.headers(error.headers);
    } else if (hasZodFastifySchemaValidationErrors(error)) {
      status = 400;
      const issues = error.validation.map((issue) => ({
        path: [error.validationContext ?? 'body', ...issue.instancePath.split('/').filter(Boolean)].join('.'),
        message: issue.message,
      }));
      body = {
        code: 'bad_request:validation',
        message: `Invalid request: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
        details: issues,
      };
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
      body = fromFrameworkError(error, config);
    } else {
      status = 500;
      body = { code: 'internal', message: `Internal server error (request id ${request.id}).` };
    }
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.code, status }, 'request rejected');
    metrics.httpErrors.inc({ code: body.code });
    return reply.status(status).send({ error: body });
  });

  app.setNotFoundHandler((request, reply) => {
    metrics.httpErrors.inc({ code: 'not_found:route' });
    return reply.status(404).send({
      error: {
        code: 'not_found:route',
        message: `No route ${request.method} ${request.url.split('?')[0]}`,
      },
    });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Nexus API',
        version: '1',
        description: 'Enterprise AI hub: grounded answers over company documents, assistant and notebooks.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Access token or API key' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

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
  await app.register(registerGroupMappingRoutes);
  await app.register(registerUserRoutes);
  await app.register(registerTenancyRoutes);
  await app.register(registerApiKeyRoutes);
  await app.register(registerApiKeyIntrospectionRoute);
  await app.register(registerAuditRoutes);
  await app.register(registerDocumentRoutes);
  await app.register(registerJobRoutes);
  await app.register(registerRetrievalRoutes);
  await app.register(registerChatRoutes);
  await app.register(registerPublicChatRoutes);
  await app.register(registerLlmAdminRoutes);
  await app.register(registerUsageRoutes);
  // The web app; its catch-all GET never shadows API routes (the router tries static and
  // parametric routes before wildcards) and refuses API prefixes itself.
  await app.register(registerWebRoutes, { distDir: deps.webDistDir ?? null });

  return app;
}
