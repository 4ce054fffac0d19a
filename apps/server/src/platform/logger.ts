import pino, { type LoggerOptions } from 'pino';
import type { Config } from '../config.ts';

/**
 * Paths never written to logs: credentials in headers and bodies. Customer content
 * (document text, prompts) is simply never logged at info level.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'password',
  'token',
  'access_token',
  'refresh_token',
  'api_key',
  'secret',
  '*.password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.api_key',
  '*.secret',
  '*.client_secret',
  '*.totp',
];

/** Query parameters that carry credentials (WebSockets take `?access_token=`). */
const SECRET_QUERY_PARAMETER = /([?&](?:access_token|token|api_key|code|state)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY_PARAMETER, '$1[redacted]');
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  hostname?: string;
  ip?: string;
}

export function loggerOptions(config: Pick<Config, 'logLevel'>): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (request: LoggedRequest) => ({
        method: request.method,
        url: request.url === undefined ? undefined : redactUrl(request.url),
        host: request.host ?? request.hostname,
        remoteAddress: request.ip,
      }),
    },
    base: { service: 'nexus' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: pino.DestinationStream) {
  return pino(loggerOptions(config), destination);
}

export type Logger = pino.Logger;
