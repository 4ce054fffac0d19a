import type { Db, Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import type { Scope } from '../access/access.types.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import { insertDefaultModelSettings } from '../llm/llm.service.ts';
import {
  type DepartmentRow,
  findDepartmentByCodes,
  findRegion,
  findTenantById,
  findTenantBySlug,
  insertDepartment,
  insertRegion,
  insertTenant,
  listDepartments,
  listRegions,
  type TenantRow,
} from './tenancy.repository.ts';

export type { TenantRow } from './tenancy.repository.ts';

export interface TaxonomyRegion {
  code: string;
  name: string;
  departments: { code: string; name: string }[];
}

/** The demo company's taxonomy; new tenants get it too unless told otherwise. */
export const DEFAULT_TAXONOMY: readonly TaxonomyRegion[] = [
  {
    code: 'UK',
    name: 'United Kingdom',
    departments: [
      { code: 'HR', name: 'Human Resources' },
      { code: 'IT', name: 'Information Technology' },
    ],
  },
  {
    code: 'US',
    name: 'United States',
    departments: [
      { code: 'HR', name: 'Human Resources' },
      { code: 'Finance', name: 'Finance' },
    ],
  },
  {
    code: 'APAC',
    name: 'Asia-Pacific',
    departments: [
      { code: 'Sales', name: 'Sales' },
      { code: 'Ops', name: 'Operations' },
    ],
  },
];

export const TENANT_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface CreateTenantInput {
  slug: string;
  name: string;
  /** Defaults to DEFAULT_TAXONOMY; pass [] for a tenant with no regions. */
  taxonomy?: readonly TaxonomyRegion[];
}

/** Creates a tenant with its taxonomy and default model settings, atomically. */
export async function createTenant(executor: Executor, input: CreateTenantInput): Promise<TenantRow> {
  if (!TENANT_SLUG_PATTERN.test(input.slug)) {
    throw new AppError(
      'bad_request:tenant_slug',
      `Tenant slug "${input.slug}" must be lower-case letters, digits and hyphens (at most 63 characters).`,
    );
  }
  if (!input.name.trim()) throw new AppError('bad_request:tenant_name', 'Tenant name must not be empty.');
  if (await findTenantBySlug(executor, input.slug)) {
    throw new AppError('conflict:tenant', `A tenant with slug "${input.slug}" already exists.`);
  }
  const tenant = await insertTenant(executor, { slug: input.slug, name: input.name.trim() });
  for (const region of input.taxonomy ?? DEFAULT_TAXONOMY) {
    const { id: regionId } = await insertRegion(executor, {
      tenantId: tenant.id,
      code: region.code,
      name: region.name,
    });
    for (const department of region.departments) {
      await insertDepartment(executor, {
        tenantId: tenant.id,
        regionId,
        code: department.code,
        name: department.name,
      });
    }
  }
  await insertDefaultModelSettings(executor, tenant.id);
  await recordAuditEvent(executor, {
    tenantId: tenant.id,
    action: 'tenant.created',
    targetType: 'tenant',
    targetId: tenant.id,
    after: { slug: tenant.slug, name: tenant.name },
  });
  return tenant;
}

export function createTenantInTransaction(db: Db, input: CreateTenantInput): Promise<TenantRow> {
  return db.transaction((trx) => createTenant(trx, input));
}

export async function getTenant(executor: Executor, id: string): Promise<TenantRow> {
  const tenant = await findTenantById(executor, id);
  if (!tenant) throw new AppError('not_found:tenant', 'No such tenant.');
  return tenant;
}

export async function requireTenant(executor: Executor, slug: string): Promise<TenantRow> {
  const tenant = await findTenantBySlug(executor, slug);
  if (!tenant) throw new AppError('not_found:tenant', `No tenant with slug "${slug}".`);
  return tenant;
}

/** Resolves a `REGION/DEPT` code (case-insensitive) within a tenant. */
export async function resolveDepartment(
  executor: Executor,
  tenantId: string,
  code: string,
): Promise<DepartmentRow> {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(code.trim());
  if (!match) {
    throw new AppError(
      'bad_request:department',
      `Department "${code}" must be written REGION/DEPT, e.g. UK/HR.`,
    );
  }
  const department = await findDepartmentByCodes(executor, tenantId, match[1]!, match[2]!);
  if (!department) throw new AppError('not_found:department', `No department "${code}" in this tenant.`);
  return department;
}

/** Parses `UK/HR,US/Finance` and `UK,APAC` into ids of this tenant (unknown codes are a 400). */
export async function resolveScope(
  executor: Executor,
  tenantId: string,
  codes: { departments: string[]; regions: string[] },
): Promise<Scope> {
  const departmentIds: string[] = [];
  for (const code of codes.departments) {
    try {
      departmentIds.push((await resolveDepartment(executor, tenantId, code)).id);
    } catch (error) {
      if (error instanceof AppError) throw new AppError('bad_request:scope', error.message);
      throw error;
    }
  }
  const regionIds: string[] = [];
  for (const code of codes.regions) {
    const region = await findRegion(executor, tenantId, { code });
    if (!region) throw new AppError('bad_request:scope', `No region "${code}" in this tenant.`);
    regionIds.push(region.id);
  }
  return { departmentIds: [...new Set(departmentIds)], regionIds: [...new Set(regionIds)] };
}

/** Maps scope ids to `REGION/DEPT` and region codes for responses. */
export async function loadScopeNames(executor: Executor, tenantId: string) {
  const [departments, regions] = await Promise.all([
    listDepartments(executor, tenantId),
    listRegions(executor, tenantId),
  ]);
  const departmentNames = new Map(
    departments.map((department) => [department.id, `${department.regionCode}/${department.code}`]),
  );
  const regionNames = new Map(regions.map((region) => [region.id, region.code]));
  return (scope: Scope) => ({
    departments: scope.departmentIds.map((id) => departmentNames.get(id) ?? id),
    regions: scope.regionIds.map((id) => regionNames.get(id) ?? id),
  });
}
