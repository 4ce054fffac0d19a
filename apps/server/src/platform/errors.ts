/**
 * One error type for the whole server. A code is `<type>:<subject>`, e.g.
 * `not_found:conversation`; the type fixes the HTTP status (one table, below).
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
} as const;

export type ErrorType = keyof typeof ERROR_STATUS;
export type ErrorCode = ErrorType | `${ErrorType}:${string}`;

export class AppError extends Error {
  override name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  get type(): ErrorType {
    return this.code.split(':')[0] as ErrorType;
  }

  get statusCode(): number {
    return ERROR_STATUS[this.type];
  }
}

/** The error type for an HTTP status, for errors raised by Fastify or plugins. */
export function errorTypeForStatus(status: number): ErrorType {
  const match = (Object.entries(ERROR_STATUS) as [ErrorType, number][]).find(([, value]) => value === status);
  if (match) return match[0];
  return status >= 500 ? 'internal' : 'bad_request';
}
