import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AppError, ERROR_STATUS, type ErrorCode, errorTypeForStatus } from '../errors.ts';

/**
 * What the HTTP layer refuses before any handler runs, in the app's error shape:
 * NUL characters (Postgres text cannot hold them), Fastify's own framework errors, and
 * the errors Node's HTTP parser raises on the socket (malformed requests, headers too large).
 */

/** The path (`body.title`, `query.search`) of the first string holding a NUL, or null. */
export function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (depth > 32 || value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findNul(item, `${path}.${index}`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}.${key.replaceAll('\u0000', '\\0')}`;
    const found = findNul(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

export function nulError(path: string): AppError {
  return new AppError(
    'bad_request:nul_character',
    `${path} contains a NUL character (U+0000), which cannot be stored; remove it and try again.`,
    { path },
  );
}

/** Fastify's and its plugins' error codes, as the app's codes and messages. */
export function fromFrameworkError(
  error: { code?: string; statusCode?: number; message: string },
  limits: { bodyLimitBytes: number },
): { code: ErrorCode; message: string } {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        code: 'payload_too_large:body',
        message: `The request body is larger than the ${limits.bodyLimitBytes}-byte limit.`,
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'bad_request:json', message: `The body is not valid JSON: ${error.message}` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'unsupported_media_type:body', message: error.message };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        code: 'bad_request:content_length',
        message: 'The Content-Length header does not match the body.',
      };
    case 'FST_ERR_BAD_URL':
      return { code: 'bad_request:url', message: 'The URL is not valid (a malformed percent-encoding?).' };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { code: 'uri_too_long:path', message: 'A part of the URL path is too long.' };
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return { code: 'unsupported_media_type:multipart', message: 'The request is not multipart/form-data.' };
    default: {
      const status = error.statusCode ?? 400;
      return {
        code: `${errorTypeForStatus(status)}:${(error.code ?? 'request').toLowerCase()}`,
        message: error.message,
      };
    }
  }
}

/**
 * Answers a request Node's HTTP parser rejected before Fastify saw it (a malformed request
 * line, headers or URL over the size limit, a request that timed out) with the app's
 * error shape, then closes the socket.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [ErrorCode, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          'headers_too_large',
          'The request line and headers are larger than the 16 KB limit (a very long URL?).',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['request_timeout', 'The request took too long to arrive.']
        : ['bad_request:http', 'The request is not valid HTTP.'];
  const status = ERROR_STATUS[code.split(':')[0] as keyof typeof ERROR_STATUS];
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${code === 'headers_too_large' ? 'Request Header Fields Too Large' : code === 'request_timeout' ? 'Request Timeout' : 'Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** Who may read /metrics: addresses in the allow-list, or a request with the bearer token. */
export function createMetricsGuard(options: { token: string | undefined; allow: readonly string[] }) {
  const allowed = new BlockList();
  for (const entry of options.allow) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) allowed.addAddress(address!, family);
    else allowed.addSubnet(address!, Number(prefix), family);
  }
  const token = options.token ? Buffer.from(options.token) : null;
  return (request: { ip: string; headers: Record<string, string | string[] | undefined> }): boolean => {
    const ip = request.ip.startsWith('::ffff:') ? request.ip.slice(7) : request.ip;
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(ip) && allowed.check(ip, family)) return true;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!token || !match) return false;
    const given = Buffer.from(match[1]!);
    return given.length === token.length && timingSafeEqual(given, token);
  };
}

/**
 * Hooks for every request: the request id and `nosniff` on every answer, and a clear 400
 * for a NUL anywhere in the path, query or JSON body before any handler or query sees it
 * (multipart bodies are checked where they are read).
 */
export function installRequestGuards(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
  });
  app.addHook('preValidation', async (request) => {
    const path =
      findNul(request.params, 'params') ?? findNul(request.query, 'query') ?? findNul(request.body, 'body');
    if (path) throw nulError(path);
  });
}
