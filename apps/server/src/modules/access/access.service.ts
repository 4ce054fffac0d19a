import type { FastifyRequest } from 'fastify';
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { AppError } from '../../platform/errors.ts';
import type { NotebookScope, Principal, Reader, Role, Scope, UserPrincipal } from './access.types.ts';

/**
 * Access decisions in one place: roles, the principal a route needs, what a reader may read
 * (as SQL, so the filter is inside every query that returns document content), and who
 * may put documents in which scope and manage them.
 */

const ROLE_RANK: Record<Role, number> = { user: 1, content_manager: 2, super_admin: 3 };

export function hasRole(role: Role, required: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[required];
}

/** The signed-in user, or a 401 for routes that need one (after authentication ran). */
export function requireUser(request: FastifyRequest): UserPrincipal {
  const principal = request.principal;
  if (principal?.kind !== 'user') throw new AppError('unauthorized:token', 'Sign in to continue.');
  return principal;
}

export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized:token', 'Sign in to continue.');
  return request.principal;
}

export function readerFromPrincipal(principal: Principal): Reader {
  if (principal.kind === 'api_key') {
    return { tenantId: principal.tenantId, role: 'api_key', departmentId: null, regionId: null };
  }
  return {
    tenantId: principal.tenantId,
    role: principal.role,
    departmentId: principal.departmentId,
    regionId: principal.regionId,
  };
}

/**
 * The access condition on the `documents` table for a reader, as an SQL fragment: every
 * query that can return document content (lists, gets, retrieval) includes it.
 */
export function documentAccessFilter(reader: Reader): RawBuilder<SqlBool> {
  if (reader.notebook) return notebookAccessFilter(reader.tenantId, reader.notebook);
  const base = sql<SqlBool>`documents.tenant_id = ${reader.tenantId} AND documents.notebook_session_id IS NULL`;
  if (reader.role === 'super_admin') return base;
  const scopes: RawBuilder<SqlBool>[] = [
    sql<SqlBool>`(cardinality(documents.department_ids) = 0 AND cardinality(documents.region_ids) = 0)`,
  ];
  if (reader.role !== 'api_key' && reader.departmentId) {
    scopes.push(sql<SqlBool>`documents.department_ids && ARRAY[${reader.departmentId}]::uuid[]`);
  }
  if (reader.role !== 'api_key' && reader.regionId) {
    scopes.push(sql<SqlBool>`documents.region_ids && ARRAY[${reader.regionId}]::uuid[]`);
  }
  return sql<SqlBool>`(${base} AND (${sql.join(scopes, sql` OR `)}))`;
}

/**
 * A notebook's documents: those of one session that belongs to the reader and has not
 * expired (a pinned session never does), optionally only the chosen ones.
 */
function notebookAccessFilter(tenantId: string, notebook: NotebookScope): RawBuilder<SqlBool> {
  const chosen = notebook.documentIds
    ? sql<SqlBool>` AND documents.id = ANY(${[...notebook.documentIds]}::uuid[])`
    : sql<SqlBool>``;
  return sql<SqlBool>`(documents.tenant_id = ${tenantId} AND documents.notebook_session_id = ${notebook.sessionId}${chosen}
    AND EXISTS (SELECT 1 FROM notebook_sessions WHERE notebook_sessions.tenant_id = ${tenantId}
      AND notebook_sessions.id = ${notebook.sessionId} AND notebook_sessions.user_id = ${notebook.userId}
      AND (notebook_sessions.is_pinned OR notebook_sessions.expires_at > now())))`;
}

/**
 * Who may put a document in a scope: a super_admin anywhere (empty scope = the whole
 * tenant); a content_manager only within their own department or region, and an
 * empty scope from them means their department.
 */
export function authorizeScope(principal: UserPrincipal, scope: Scope): Scope {
  if (principal.role === 'super_admin') return scope;
  if (principal.role !== 'content_manager')
    throw new AppError('forbidden:role', 'Only content managers can add documents.');
  if (scope.departmentIds.length === 0 && scope.regionIds.length === 0) {
    if (!principal.departmentId) {
      throw new AppError(
        'forbidden:scope',
        'You have no department; ask an admin to set one before uploading.',
      );
    }
    return { departmentIds: [principal.departmentId], regionIds: [] };
  }
  if (!isWithinManagedScope(principal, scope)) {
    throw new AppError(
      'forbidden:scope',
      'Content managers can only share documents with their own department or region.',
    );
  }
  return scope;
}

/** Every department of the scope is the manager's own, every region their region. */
function isWithinManagedScope(principal: UserPrincipal, scope: Scope): boolean {
  const isEmpty = scope.departmentIds.length === 0 && scope.regionIds.length === 0;
  return (
    !isEmpty &&
    scope.departmentIds.every((id) => id === principal.departmentId) &&
    scope.regionIds.every((id) => id === principal.regionId)
  );
}

/**
 * Whether a principal may change (new version) or delete a document: a super_admin any
 * document of the tenant; a content_manager one whose whole scope lies within theirs —
 * what they could have shared themselves. A tenant-wide document, or one shared with
 * another department too, is beyond them even though they can read it.
 */
export function canManageDocument(principal: UserPrincipal, document: Scope): boolean {
  if (principal.role === 'super_admin') return true;
  if (principal.role !== 'content_manager') return false;
  return isWithinManagedScope(principal, document);
}
