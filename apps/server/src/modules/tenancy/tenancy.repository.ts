import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

export interface TenantRow {
  id: string;
  slug: string;
  name: string;
}

export async function insertTenant(
  executor: Executor,
  tenant: { slug: string; name: string },
): Promise<TenantRow> {
  return executor
    .insertInto('tenants')
    .values(tenant)
    .returning(['id', 'slug', 'name'])
    .executeTakeFirstOrThrow();
}

export async function findTenantBySlug(executor: Executor, slug: string): Promise<TenantRow | undefined> {
  return executor
    .selectFrom('tenants')
    .select(['id', 'slug', 'name'])
    .where('slug', '=', slug)
    .executeTakeFirst();
}

export async function findTenantById(executor: Executor, id: string): Promise<TenantRow | undefined> {
  return executor
    .selectFrom('tenants')
    .select(['id', 'slug', 'name'])
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertRegion(
  executor: Executor,
  region: { tenantId: string; code: string; name: string },
): Promise<{ id: string }> {
  return executor
    .insertInto('regions')
    .values({ tenant_id: region.tenantId, code: region.code, name: region.name })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export async function insertDepartment(
  executor: Executor,
  department: { tenantId: string; regionId: string; code: string; name: string },
): Promise<{ id: string }> {
  return executor
    .insertInto('departments')
    .values({
      tenant_id: department.tenantId,
      region_id: department.regionId,
      code: department.code,
      name: department.name,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

export interface DepartmentRow {
  id: string;
  code: string;
  name: string;
  regionId: string;
  regionCode: string;
}

/** Departments joined with their region, as DepartmentRow columns. */
function departmentsWithRegion(executor: Executor) {
  return executor
    .selectFrom('departments')
    .innerJoin('regions', 'regions.id', 'departments.region_id')
    .select([
      'departments.id as id',
      'departments.code as code',
      'departments.name as name',
      'regions.id as regionId',
      'regions.code as regionCode',
    ]);
}

export async function listDepartments(executor: Executor, tenantId: string): Promise<DepartmentRow[]> {
  return departmentsWithRegion(executor)
    .where('departments.tenant_id', '=', tenantId)
    .orderBy('regions.code')
    .orderBy('departments.code')
    .execute();
}

export async function findDepartmentByCodes(
  executor: Executor,
  tenantId: string,
  regionCode: string,
  departmentCode: string,
): Promise<DepartmentRow | undefined> {
  return departmentsWithRegion(executor)
    .where('departments.tenant_id', '=', tenantId)
    .where((eb) => eb(eb.fn('upper', ['regions.code']), '=', regionCode.toUpperCase()))
    .where((eb) => eb(eb.fn('upper', ['departments.code']), '=', departmentCode.toUpperCase()))
    .executeTakeFirst();
}

export interface RegionRow {
  id: string;
  code: string;
  name: string;
}

export async function listRegions(executor: Executor, tenantId: string): Promise<RegionRow[]> {
  return executor
    .selectFrom('regions')
    .select(['id', 'code', 'name'])
    .where('tenant_id', '=', tenantId)
    .orderBy('code')
    .execute();
}

export async function findRegion(
  executor: Executor,
  tenantId: string,
  by: { id: string } | { code: string },
): Promise<RegionRow | undefined> {
  let query = executor.selectFrom('regions').select(['id', 'code', 'name']).where('tenant_id', '=', tenantId);
  query =
    'id' in by
      ? query.where('id', '=', by.id)
      : query.where(sql<string>`upper(code)`, '=', by.code.toUpperCase());
  return query.executeTakeFirst();
}

export async function updateRegionName(
  executor: Executor,
  tenantId: string,
  id: string,
  name: string,
): Promise<void> {
  await executor
    .updateTable('regions')
    .set({ name })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function deleteRegionRow(executor: Executor, tenantId: string, id: string): Promise<void> {
  await executor.deleteFrom('regions').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function findDepartmentById(
  executor: Executor,
  tenantId: string,
  id: string,
): Promise<DepartmentRow | undefined> {
  return departmentsWithRegion(executor)
    .where('departments.tenant_id', '=', tenantId)
    .where('departments.id', '=', id)
    .executeTakeFirst();
}

export async function updateDepartmentName(
  executor: Executor,
  tenantId: string,
  id: string,
  name: string,
): Promise<void> {
  await executor
    .updateTable('departments')
    .set({ name })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function deleteDepartmentRow(executor: Executor, tenantId: string, id: string): Promise<void> {
  await executor.deleteFrom('departments').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/** How many departments, documents and sources refer to a region or department (blocks deletion). */
export async function countScopeReferences(
  executor: Executor,
  tenantId: string,
  scope: { regionId: string } | { departmentId: string },
): Promise<{ departments: number; documents: number; sources: number }> {
  const column = 'regionId' in scope ? 'region_ids' : 'department_ids';
  const id = 'regionId' in scope ? scope.regionId : scope.departmentId;
  const countScoped = (table: 'documents' | 'sources') =>
    executor
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where(sql<boolean>`${sql.ref(column)} @> ARRAY[${id}]::uuid[]`)
      .executeTakeFirstOrThrow();
  const [departments, documents, sources] = await Promise.all([
    'regionId' in scope
      ? executor
          .selectFrom('departments')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('tenant_id', '=', tenantId)
          .where('region_id', '=', scope.regionId)
          .executeTakeFirstOrThrow()
      : Promise.resolve({ n: 0 }),
    countScoped('documents'),
    countScoped('sources'),
  ]);
  return { departments: Number(departments.n), documents: Number(documents.n), sources: Number(sources.n) };
}
