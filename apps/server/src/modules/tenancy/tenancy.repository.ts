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

export async function listDepartments(executor: Executor, tenantId: string): Promise<DepartmentRow[]> {
  return executor
    .selectFrom('departments')
    .innerJoin('regions', 'regions.id', 'departments.region_id')
    .select([
      'departments.id as id',
      'departments.code as code',
      'departments.name as name',
      'regions.id as regionId',
      'regions.code as regionCode',
    ])
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
  return executor
    .selectFrom('departments')
    .innerJoin('regions', 'regions.id', 'departments.region_id')
    .select([
      'departments.id as id',
      'departments.code as code',
      'departments.name as name',
      'regions.id as regionId',
      'regions.code as regionCode',
    ])
    .where('departments.tenant_id', '=', tenantId)
    .where((eb) => eb(eb.fn('upper', ['regions.code']), '=', regionCode.toUpperCase()))
    .where((eb) => eb(eb.fn('upper', ['departments.code']), '=', departmentCode.toUpperCase()))
    .executeTakeFirst();
}
