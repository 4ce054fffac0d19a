import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { fromFrameworkError } from './request-guards.ts';

/**
 * One error shape for every answer: `{"error":{"code","message","details?"}}`. AppErrors
 * keep their code and status, validation errors name each field, Fastify's own 4xx get the
 * app's codes, and anything else is a 500 that hides internals and names the request id.
 */
export function installErrorHandling(
  app: FastifyInstance,
  options: { metrics: Metrics; bodyLimitBytes: number },
): void {
  const { metrics } = options;
  const config = { bodyLimitBytes: options.bodyLimitBytes };
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
}

/** Fastify's own errors before routing (a malformed URL, an over-long path part) in the same shape. */
export function frameworkErrorHandler(options: { bodyLimitBytes: number }) {
  return (error: FastifyError, _request: unknown, reply: unknown) => {
    const { code, message } = fromFrameworkError(error, options);
    const status = new AppError(code, message).statusCode;
    const raw = reply as {
      code(status: number): { send(body: unknown): unknown };
      header(name: string, value: string): unknown;
    };
    raw.header('x-content-type-options', 'nosniff');
    return raw.code(status).send({ error: { code, message } });
  };
}
