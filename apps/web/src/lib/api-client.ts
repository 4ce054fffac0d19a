import { errorResponseSchema } from '@nexus/contracts';
import type { z } from 'zod';

/**
 * The one way the app talks to the API: same-origin cookies, the CSRF header on unsafe
 * requests, one refresh-and-retry on a 401, and every failure as an ApiError with the
 * server's `{error:{code,message}}`.
 */

export const CSRF_COOKIE = 'nexus_csrf';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Requests that must never trigger a refresh (they are how a session starts or ends). */
const NO_REFRESH_PATHS = ['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout'];

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The server's machine-readable code, e.g. `unauthorized:credentials`, or `network`. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Seconds to wait before retrying (429 Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }

  get isRateLimited(): boolean {
    return this.status === 429;
  }
}

export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export function csrfHeaders(method: string): Record<string, string> {
  if (!UNSAFE_METHODS.has(method.toUpperCase())) return {};
  const token = readCookie(CSRF_COOKIE);
  return token ? { 'X-CSRF-Token': token } : {};
}

function retryAfterSeconds(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Turns a non-2xx response into an ApiError, reading the JSON error body when there is one. */
export async function toApiError(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || `Request failed (${response.status})`;
  let details: unknown;
  try {
    const parsed = errorResponseSchema.safeParse(await response.json());
    if (parsed.success) {
      code = parsed.data.error.code;
      message = parsed.data.error.message;
      details = parsed.data.error.details;
    }
  } catch {
    // Not JSON (a proxy error page, say): keep the status text.
  }
  if (response.status === 413 && code.startsWith('http_')) {
    code = 'payload_too_large';
    message = 'The file is too large to upload.';
  }
  return new ApiError(response.status, code, message, details, retryAfterSeconds(response));
}

export function networkError(): ApiError {
  return new ApiError(0, 'network', 'Nexus could not be reached. Check your connection and try again.');
}

type SessionListener = () => void;
const sessionEndedListeners = new Set<SessionListener>();

/** Called when a refresh fails: the session is over and the app should show sign-in. */
export function onSessionEnded(listener: SessionListener): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

let refreshing: Promise<boolean> | null = null;

/** Rotates the refresh cookie once for however many requests saw a 401 at the same time. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= fetch('/api/v1/auth/refresh', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
  })
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export interface RequestOptions {
  method?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (FormData, Blob…). */
  body?: BodyInit;
  query?: Record<string, string | number | boolean | undefined | null>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const parameters = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') parameters.set(key, String(value));
  }
  const text = parameters.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * fetch with the session handled: returns the Response when it is 2xx, throws ApiError
 * otherwise. A 401 triggers one refresh and one retry.
 */
export async function apiFetch(path: string, options: RequestOptions = {}): Promise<Response> {
  const method = (
    options.method ?? (options.json === undefined && !options.body ? 'GET' : 'POST')
  ).toUpperCase();
  const url = withQuery(path, options.query);
  const send = () => {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      ...csrfHeaders(method),
      ...options.headers,
    };
    let body = options.body;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    return fetch(url, { method, headers, body, credentials: 'same-origin', signal: options.signal });
  };

  let response: Response;
  try {
    response = await send();
    if (response.status === 401 && !NO_REFRESH_PATHS.includes(path)) {
      if (await refreshSession()) {
        response = await send(); // the refresh set a new CSRF cookie too
      } else {
        for (const listener of sessionEndedListeners) listener();
      }
    }
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw networkError();
  }
  if (!response.ok) throw await toApiError(response);
  return response;
}

/** JSON request whose response is checked against a contract schema. */
export async function apiJson<Schema extends z.ZodType>(
  path: string,
  schema: Schema,
  options: RequestOptions = {},
): Promise<z.infer<Schema>> {
  const response = await apiFetch(path, options);
  const parsed = schema.safeParse(await response.json());
  if (!parsed.success) {
    throw new ApiError(
      response.status,
      'bad_response',
      `The server sent an unexpected response to ${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}.`,
    );
  }
  return parsed.data;
}

/** A request whose response body does not matter (204s). */
export async function apiSend(path: string, options: RequestOptions = {}): Promise<void> {
  await apiFetch(path, options);
}

/** A sentence for a person, for any error the app might catch. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.isRateLimited) {
      return error.retryAfterSeconds
        ? `Too many requests. Please wait ${error.retryAfterSeconds} s and try again.`
        : 'Too many requests. Please wait a moment and try again.';
    }
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
