import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** SSO identities (issuer + subject → user) and the IdP group → department mappings. */

export async function findIdentity(
  executor: Executor,
  issuer: string,
  subject: string,
): Promise<{ userId: string; tenantId: string } | undefined> {
  return executor
    .selectFrom('identities')
    .select(['user_id as userId', 'tenant_id as tenantId'])
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
}

export async function insertIdentity(
  executor: Executor,
  identity: {
    tenantId: string;
    userId: string;
    issuer: string;
    subject: string;
    claims: Record<string, unknown>;
  },
): Promise<void> {
  await executor
    .insertInto('identities')
    .values({
      tenant_id: identity.tenantId,
      user_id: identity.userId,
      issuer: identity.issuer,
      subject: identity.subject,
      claims: JSON.stringify(identity.claims),
      last_seen_at: new Date(),
    })
    .execute();
}

export async function touchIdentity(
  executor: Executor,
  identity: { issuer: string; subject: string; claims: Record<string, unknown> },
): Promise<void> {
  await executor
    .updateTable('identities')
    .set({ last_seen_at: new Date(), claims: JSON.stringify(identity.claims) })
    .where('issuer', '=', identity.issuer)
    .where('subject', '=', identity.subject)
    .execute();
}

/** The department of the first mapped claim value (in claim order), if any. */
export async function findMappedDepartment(
  executor: Executor,
  tenantId: string,
  values: readonly string[],
): Promise<string | null> {
  const mapping = await executor
    .selectFrom('idp_group_mappings')
    .select(['department_id', 'claim_value'])
    .where('tenant_id', '=', tenantId)
    .where('claim_value', 'in', values)
    .orderBy('claim_value')
    .executeTakeFirst();
  return mapping?.department_id ?? null;
}

export interface GroupMappingRow {
  id: string;
  claim_value: string;
  department: string;
}

export function listGroupMappings(executor: Executor, tenantId: string): Promise<GroupMappingRow[]> {
  return executor
    .selectFrom('idp_group_mappings')
    .innerJoin('departments', 'departments.id', 'idp_group_mappings.department_id')
    .innerJoin('regions', 'regions.id', 'departments.region_id')
    .select([
      'idp_group_mappings.id as id',
      'idp_group_mappings.claim_value as claim_value',
      sql<string>`regions.code || '/' || departments.code`.as('department'),
    ])
    .where('idp_group_mappings.tenant_id', '=', tenantId)
    .orderBy('idp_group_mappings.claim_value')
    .execute();
}

export async function findGroupMappingByClaim(executor: Executor, tenantId: string, claimValue: string) {
  return executor
    .selectFrom('idp_group_mappings')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('claim_value', '=', claimValue)
    .executeTakeFirst();
}

export async function insertGroupMapping(
  executor: Executor,
  mapping: { tenantId: string; claimValue: string; departmentId: string },
): Promise<string> {
  const row = await executor
    .insertInto('idp_group_mappings')
    .values({
      tenant_id: mapping.tenantId,
      claim_value: mapping.claimValue,
      department_id: mapping.departmentId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function deleteGroupMapping(executor: Executor, tenantId: string, id: string): Promise<boolean> {
  const result = await executor
    .deleteFrom('idp_group_mappings')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
