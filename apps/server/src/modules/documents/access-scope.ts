import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Role } from '../../platform/db/schema.ts';
import type { Principal } from '../auth/access.ts';

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
