import type { Role } from '../../platform/db/schema.ts';

/**
 * Who is calling and what they may reach: the types every route and service share. A leaf
 * of the module graph — authentication (auth/) produces principals, everyone else reads them.
 */

export type { Role } from '../../platform/db/schema.ts';

/**
 * Who may call a route, declared in its `config.access`:
 * - `public`: anyone.
 * - `{ role }`: a signed-in user with at least this role (user < content_manager < super_admin).
 * - `{ role, apiKey: true }`: the same, or an API key of the tenant.
 * - `api_key`: API keys only (the public developer API).
 * `allowLimited` lets a user who still has to enrol TOTP through (enrolment, /me, logout).
 */
export type AccessRule = 'public' | 'api_key' | { role: Role; apiKey?: boolean; allowLimited?: boolean };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: AccessRule;
    /** On a public route: never read credentials (static files need no principal). */
    isAnonymous?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface UserPrincipal {
  kind: 'user';
  userId: string;
  tenantId: string;
  tenantSlug: string;
  email: string;
  displayName: string;
  role: Role;
  departmentId: string | null;
  departmentCode: string | null;
  regionId: string | null;
  regionCode: string | null;
  sessionId: string;
  isLimited: boolean;
  isTotpEnabled: boolean;
  via: 'bearer' | 'cookie';
}

export interface ApiKeyPrincipal {
  kind: 'api_key';
  apiKeyId: string;
  tenantId: string;
  botId: string | null;
  rateLimitPerMinute: number | null;
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

/** Declared access of every route, for the route table test and docs. */
export interface RouteAccess {
  method: string;
  url: string;
  access: AccessRule;
}

/**
 * Who is reading, as the SQL access filter needs it (DESIGN.md §5):
 * - super_admin: every document of the tenant;
 * - user / content_manager: documents with an empty scope, or whose scope contains
 *   their department or their department's region;
 * - API key without a bot: documents of the tenant with an empty scope.
 * Notebook documents are never visible here (only to their session's owner).
 */
export interface Reader {
  tenantId: string;
  role: Role | 'api_key';
  departmentId: string | null;
  regionId: string | null;
  /**
   * A notebook reader sees the files of this one live session of its owner — optionally
   * only some of them — and nothing of the company library.
   */
  notebook?: NotebookScope;
}

export interface NotebookScope {
  sessionId: string;
  userId: string;
  /** Only these documents of the session (the files chosen for a question). */
  documentIds?: readonly string[];
}

/** A document's scope: department and region ids (both empty = the whole tenant). */
export interface Scope {
  departmentIds: string[];
  regionIds: string[];
}
