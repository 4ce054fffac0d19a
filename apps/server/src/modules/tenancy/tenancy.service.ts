import type { Db, Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { insertAuditEvent } from '../audit/audit.repository.ts';
import { insertDefaultModelSettings } from '../llm/llm.defaults.ts';
import {
  type DepartmentRow,
  findDepartmentByCodes,
  findTenantBySlug,
  insertDepartment,
  insertRegion,
  insertTenant,
  type TenantRow,
} from './tenancy.repository.ts';

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
  await insertAuditEvent(executor, {
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
