import path from 'node:path';
import { z } from 'zod';

/**
 * The only reader of process.env. Parsed once at start-up, frozen, passed down.
 * Every variable is documented in README.md ("Configuration").
 */

/** Limits on ingested files unless NEXUS_MAX_* say otherwise (ingestion reads them from here). */
export const DEFAULT_PARSE_LIMITS = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxPages: 2_000,
  maxDecompressedBytes: 200 * 1024 * 1024,
});

const booleanFromString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\/.+/.test(value), 'must be a postgres:// or postgresql:// URL');

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  NEXUS_DATA_DIR: z.string().trim().min(1).default('./data'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,47}$/, 'must be a lower-case SQL identifier')
    .default('public'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z
    .string()
    .trim()
    .refine((value) => /^rediss?:\/\/.+/.test(value), 'must be a redis:// or rediss:// URL')
    .optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NEXUS_DEMO: z.enum(['auto', 'on', 'off']).default('auto'),
  NEXUS_DEMO_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  NEXUS_SERVE_WORKER: booleanFromString.default(true),
  NEXUS_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  NEXUS_JOB_STALL_SECONDS: z.coerce.number().min(2).max(3_600).default(60),
  NEXUS_TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value): boolean | number | string[] => {
      if (['true', 'false'].includes(value)) return value === 'true';
      if (/^\d+$/.test(value)) return Number(value);
      return value.split(/[\s,]+/).filter(Boolean);
    }),
  NEXUS_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  NEXUS_METRICS_ALLOW: z
    .string()
    .default('127.0.0.1,::1')
    .transform((value) => value.split(/[\s,]+/).filter(Boolean))
    .refine(
      (entries) => entries.every((entry) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry)),
      'must be IP addresses or CIDR ranges, comma-separated',
    ),
  NEXUS_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  NEXUS_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  NEXUS_REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 86_400)
    .default(7 * 86_400),
  NEXUS_PASSWORD_LOGIN: booleanFromString.default(true),
  NEXUS_ADMIN_TOTP: z.enum(['optional', 'required']).default('optional'),
  NEXUS_COOKIE_SECURE: booleanFromString.default(true),
  NEXUS_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
  NEXUS_LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  NEXUS_LOGIN_ADDRESS_MAX_FAILURES: z.coerce.number().int().min(1).max(100_000).default(30),
  NEXUS_RATE_LIMIT_USER_PER_MINUTE: z.coerce.number().int().min(1).default(300),
  NEXUS_RATE_LIMIT_API_KEY_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  NEXUS_STREAM_HEARTBEAT_SECONDS: z.coerce.number().min(0.05).max(300).default(15),
  NEXUS_CHAT_PASSAGES: z.coerce.number().int().min(1).max(50).default(8),
  NEXUS_NOTEBOOK_TTL_HOURS: z.coerce
    .number()
    .min(0.01)
    .max(24 * 365)
    .default(24),
  NEXUS_NOTEBOOK_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(100 * 1024 * 1024),
  NEXUS_NOTEBOOK_MAX_SESSIONS: z.coerce.number().int().min(1).max(10_000).default(20),
  NEXUS_NOTEBOOK_CLEANUP_CRON: z.string().trim().min(9).default('0 2 * * *'),
  NEXUS_SSO_ISSUER_URL: z.url().optional(),
  NEXUS_SSO_CLIENT_ID: z.string().min(1).optional(),
  NEXUS_SSO_CLIENT_SECRET: z.string().min(1).optional(),
  NEXUS_SSO_REDIRECT_URL: z.url().optional(),
  NEXUS_SSO_SCOPES: z.string().default('openid profile email'),
  NEXUS_SSO_PROVIDER_NAME: z.string().min(1).default('Microsoft'),
  NEXUS_SSO_TENANT: z.string().min(1).default('default'),
  NEXUS_SSO_ALLOW_INSECURE_HTTP: booleanFromString.default(false),
  NEXUS_GRAPH_BASE_URL: z.url().default('https://graph.microsoft.com'),
  NEXUS_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_PARSE_LIMITS.maxBytes),
  NEXUS_MAX_PAGES: z.coerce.number().int().min(1).default(DEFAULT_PARSE_LIMITS.maxPages),
  NEXUS_MAX_DECOMPRESSED_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(DEFAULT_PARSE_LIMITS.maxDecompressedBytes),
  NEXUS_EMBEDDING_PROVIDER: z.enum(['openai', 'azure_openai', 'google', 'openai_compatible']).optional(),
  NEXUS_EMBEDDING_MODEL: z.string().min(1).optional(),
  NEXUS_EMBEDDING_DIMENSIONS: z.coerce.number().int().min(1).max(16_000).optional(),
  NEXUS_EMBEDDING_BASE_URL: z.url().optional(),
  NEXUS_EMBEDDING_API_KEY: z.string().min(1).optional(),
  NEXUS_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(50 * 1024 * 1024),
});

export type DatabaseConfig =
  | {
      kind: 'embedded';
      dataDir: string /** Start from this dumped data directory (PGlite dumpDataDir). */;
      snapshot?: Blob;
    }
  | { kind: 'postgres'; url: string; schema: string; poolMax: number };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly redisUrl: string | undefined;
  readonly logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  /** Load demo data on first start: `auto` means only for the embedded database. */
  readonly demo: 'auto' | 'on' | 'off';
  readonly demoPassword: string | undefined;
  /** Whether `nexus serve` also runs the job worker (embedded mode always does). */
  readonly serveWorker: boolean;
  readonly shutdownTimeoutMs: number;
  /** A running job silent this long is taken for dead (its worker crashed) and retried. */
  readonly jobStallSeconds: number;
  /** Who may read /metrics: these addresses (IPs or CIDR ranges), or a bearer token. */
  readonly metrics: { token: string | undefined; allow: readonly string[] };
  readonly bodyLimitBytes: number;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (rate limits, sign-in
   * throttling, audit, /metrics): false (none), true (any), a hop count, or addresses/CIDRs.
   */
  readonly trustProxy: boolean | number | readonly string[];
  readonly auth: AuthConfig;
  readonly rateLimits: { userPerMinute: number; apiKeyPerMinute: number };
  /** Chat streams: heartbeat interval, and how many passages a grounded answer is given. */
  readonly chat: { heartbeatMs: number; passages: number };
  /**
   * Notebook sessions: hours until an unpinned session expires, bytes of files per session,
   * live sessions per user, and when the cleanup job runs (cron, UTC).
   */
  readonly notebook: {
    ttlHours: number;
    quotaBytes: number;
    maxSessionsPerUser: number;
    cleanupCron: string;
  };
  /** Limits on ingested files (uploads, folders, URLs). */
  readonly ingestion: { maxBytes: number; maxPages: number; maxDecompressedBytes: number };
  /** Dense retrieval: the embedding model, or null for lexical retrieval only. */
  readonly embeddings: EmbeddingConfig | null;
  /** OpenID Connect single sign-on (Entra ID or any OIDC IdP), when configured. */
  readonly sso: SsoConfig | null;
  /**
   * Reads a secret by the name of the environment variable that holds it — the API key a
   * model config names in `api_key_env`. The environment is read here, once, like every
   * other setting; tests pass their own map to loadConfig.
   */
  readonly readSecret: (name: string) => string | undefined;
}

export interface EmbeddingConfig {
  provider: 'openai' | 'azure_openai' | 'google' | 'openai_compatible';
  model: string;
  dimensions: number;
  baseUrl: string | undefined;
  apiKey: string | undefined;
}

export interface SsoConfig {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  scopes: string[];
  providerName: string;
  /** Tenant (slug) that signed-in users are provisioned into. */
  tenantSlug: string;
  graphBaseUrl: string;
  allowInsecureRequests: boolean;
}

export interface AuthConfig {
  /** Signs tokens and encrypts TOTP secrets; generated and kept in the database when unset. */
  secret: string | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  isPasswordLoginEnabled: boolean;
  /** `required`: super_admin and content_manager must use TOTP. */
  adminTotp: 'optional' | 'required';
  isCookieSecure: boolean;
  /** Failed sign-ins per account and client address before each attempt must wait (1 s, 2 s, 4 s …). */
  loginMaxFailures: number;
  /** How long failures are remembered, and the longest wait. */
  loginLockoutSeconds: number;
  /** Failed sign-ins per client address, across accounts, before each attempt must wait. */
  loginAddressMaxFailures: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses configuration from an environment map (process.env by default). Throws ConfigError. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  // Treat empty strings as unset, as shells and .env files often leave them empty.
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const given = cleaned[name];
        const shown =
          given === undefined || /PASSWORD|SECRET|KEY|METRICS_TOKEN/.test(name) ? '' : ` (got "${given}")`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const env = parsed.data;
  const ssoVariables = {
    NEXUS_SSO_ISSUER_URL: env.NEXUS_SSO_ISSUER_URL,
    NEXUS_SSO_CLIENT_ID: env.NEXUS_SSO_CLIENT_ID,
    NEXUS_SSO_CLIENT_SECRET: env.NEXUS_SSO_CLIENT_SECRET,
    NEXUS_SSO_REDIRECT_URL: env.NEXUS_SSO_REDIRECT_URL,
  };
  if (env.NEXUS_EMBEDDING_PROVIDER && (!env.NEXUS_EMBEDDING_MODEL || !env.NEXUS_EMBEDDING_DIMENSIONS)) {
    throw new ConfigError([
      'NEXUS_EMBEDDING_MODEL and NEXUS_EMBEDDING_DIMENSIONS: required when NEXUS_EMBEDDING_PROVIDER is set',
    ]);
  }
  const missingSso = Object.entries(ssoVariables).filter(([, value]) => !value);
  if (missingSso.length > 0 && missingSso.length < 4) {
    throw new ConfigError(missingSso.map(([name]) => `${name}: required when single sign-on is configured`));
  }
  const dataDir = path.resolve(env.NEXUS_DATA_DIR);
  const database: DatabaseConfig = env.DATABASE_URL
    ? { kind: 'postgres', url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA, poolMax: env.DATABASE_POOL_MAX }
    : { kind: 'embedded', dataDir };
  const secrets = new Map(
    Object.entries(cleaned).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  return Object.freeze({
    readSecret: (name: string) => secrets.get(name),
    port: env.PORT,
    host: env.HOST,
    dataDir,
    database,
    redisUrl: env.REDIS_URL,
    logLevel: env.LOG_LEVEL,
    demo: env.NEXUS_DEMO,
    demoPassword: env.NEXUS_DEMO_PASSWORD,
    serveWorker: database.kind === 'embedded' ? true : env.NEXUS_SERVE_WORKER,
    shutdownTimeoutMs: env.NEXUS_SHUTDOWN_TIMEOUT_MS,
    jobStallSeconds: env.NEXUS_JOB_STALL_SECONDS,
    metrics: Object.freeze({ token: env.NEXUS_METRICS_TOKEN, allow: Object.freeze(env.NEXUS_METRICS_ALLOW) }),
    bodyLimitBytes: env.NEXUS_BODY_LIMIT_BYTES,
    trustProxy: env.NEXUS_TRUST_PROXY,
    auth: Object.freeze({
      secret: env.NEXUS_SECRET,
      accessTokenTtlSeconds: env.NEXUS_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: env.NEXUS_REFRESH_TOKEN_TTL_SECONDS,
      isPasswordLoginEnabled: env.NEXUS_PASSWORD_LOGIN,
      adminTotp: env.NEXUS_ADMIN_TOTP,
      isCookieSecure: env.NEXUS_COOKIE_SECURE,
      loginMaxFailures: env.NEXUS_LOGIN_MAX_FAILURES,
      loginLockoutSeconds: env.NEXUS_LOGIN_LOCKOUT_SECONDS,
      loginAddressMaxFailures: env.NEXUS_LOGIN_ADDRESS_MAX_FAILURES,
    }),
    sso:
      missingSso.length === 0
        ? Object.freeze({
            issuerUrl: env.NEXUS_SSO_ISSUER_URL!,
            clientId: env.NEXUS_SSO_CLIENT_ID!,
            clientSecret: env.NEXUS_SSO_CLIENT_SECRET!,
            redirectUrl: env.NEXUS_SSO_REDIRECT_URL!,
            scopes: env.NEXUS_SSO_SCOPES.split(/[\s,]+/).filter(Boolean),
            providerName: env.NEXUS_SSO_PROVIDER_NAME,
            tenantSlug: env.NEXUS_SSO_TENANT,
            graphBaseUrl: env.NEXUS_GRAPH_BASE_URL,
            allowInsecureRequests: env.NEXUS_SSO_ALLOW_INSECURE_HTTP,
          })
        : null,
    embeddings: env.NEXUS_EMBEDDING_PROVIDER
      ? Object.freeze({
          provider: env.NEXUS_EMBEDDING_PROVIDER,
          model: env.NEXUS_EMBEDDING_MODEL!,
          dimensions: env.NEXUS_EMBEDDING_DIMENSIONS!,
          baseUrl: env.NEXUS_EMBEDDING_BASE_URL,
          apiKey: env.NEXUS_EMBEDDING_API_KEY,
        })
      : null,
    ingestion: Object.freeze({
      maxBytes: env.NEXUS_MAX_UPLOAD_BYTES,
      maxPages: env.NEXUS_MAX_PAGES,
      maxDecompressedBytes: env.NEXUS_MAX_DECOMPRESSED_BYTES,
    }),
    rateLimits: Object.freeze({
      userPerMinute: env.NEXUS_RATE_LIMIT_USER_PER_MINUTE,
      apiKeyPerMinute: env.NEXUS_RATE_LIMIT_API_KEY_PER_MINUTE,
    }),
    notebook: Object.freeze({
      ttlHours: env.NEXUS_NOTEBOOK_TTL_HOURS,
      quotaBytes: env.NEXUS_NOTEBOOK_QUOTA_BYTES,
      maxSessionsPerUser: env.NEXUS_NOTEBOOK_MAX_SESSIONS,
      cleanupCron: env.NEXUS_NOTEBOOK_CLEANUP_CRON,
    }),
    chat: Object.freeze({
      heartbeatMs: Math.round(env.NEXUS_STREAM_HEARTBEAT_SECONDS * 1000),
      passages: env.NEXUS_CHAT_PASSAGES,
    }),
  });
}

/** Whether demo data should be loaded on first start. */
export function shouldLoadDemo(config: Config): boolean {
  return config.demo === 'on' || (config.demo === 'auto' && config.database.kind === 'embedded');
}

/** A URL with any password replaced, safe to log. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
