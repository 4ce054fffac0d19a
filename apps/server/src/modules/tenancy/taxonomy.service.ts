import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { auditAdminAction } from '../audit/audit.service.ts';
import {
  countScopeReferences,
  type DepartmentRow,
  deleteDepartmentRow,
  deleteRegionRow,
  findDepartmentByCodes,
  findDepartmentById,
  findRegion,
  insertDepartment,
  insertRegion,
  listDepartments,
  listRegions,
  type RegionRow,
  updateDepartmentName,
  updateRegionName,
} from './tenancy.repository.ts';

/**
 * A tenant's regions and departments (UK/HR ≠ US/HR), managed by super admins: every
 * change audited, and nothing deleted that documents, sources or departments still use.
 */

export type { DepartmentRow, RegionRow } from './tenancy.repository.ts';

/** Who changes the taxonomy, for the audit log. */
export interface TaxonomyActor {
  tenantId: string;
  userId: string;
  ip: string;
}

function describeReferences(counts: { departments: number; documents: number; sources: number }): string {
  return (Object.entries(counts) as [string, number][])
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
}

export function listTenantRegions(db: Db, tenantId: string): Promise<RegionRow[]> {
  return listRegions(db.kysely, tenantId);
}

export function addRegion(
  db: Db,
  actor: TaxonomyActor,
  input: { code: string; name: string },
): Promise<RegionRow> {
  return db.transaction(async (trx) => {
    if (await findRegion(trx, actor.tenantId, { code: input.code })) {
      throw new AppError('conflict:region', `Region ${input.code} already exists.`);
    }
    const { id } = await insertRegion(trx, { tenantId: actor.tenantId, ...input });
    await auditAdminAction(trx, actor, 'region.created', { type: 'region', id }, { after: input });
    return { id, ...input };
  });
}

export function renameRegion(db: Db, actor: TaxonomyActor, id: string, name: string): Promise<RegionRow> {
  return db.transaction(async (trx) => {
    const region = await findRegion(trx, actor.tenantId, { id });
    if (!region) throw new AppError('not_found:region', 'No such region.');
    await updateRegionName(trx, actor.tenantId, region.id, name);
    await auditAdminAction(
      trx,
      actor,
      'region.updated',
      { type: 'region', id: region.id },
      { before: { name: region.name }, after: { name } },
    );
    return { ...region, name };
  });
}

export async function deleteRegion(db: Db, actor: TaxonomyActor, id: string): Promise<void> {
  await db.transaction(async (trx) => {
    const region = await findRegion(trx, actor.tenantId, { id });
    if (!region) throw new AppError('not_found:region', 'No such region.');
    const references = await countScopeReferences(trx, actor.tenantId, { regionId: region.id });
    if (references.departments + references.documents + references.sources > 0) {
      throw new AppError(
        'conflict:region_in_use',
        `Region ${region.code} is still used by ${describeReferences(references)}.`,
      );
    }
    await deleteRegionRow(trx, actor.tenantId, region.id);
    await auditAdminAction(
      trx,
      actor,
      'region.deleted',
      { type: 'region', id: region.id },
      { before: region },
    );
  });
}

export function listTenantDepartments(db: Db, tenantId: string): Promise<DepartmentRow[]> {
  return listDepartments(db.kysely, tenantId);
}

export function addDepartment(
  db: Db,
  actor: TaxonomyActor,
  input: { region: string; code: string; name: string },
): Promise<DepartmentRow> {
  return db.transaction(async (trx) => {
    const region = await findRegion(trx, actor.tenantId, { code: input.region });
    if (!region) throw new AppError('not_found:region', `No region ${input.region}.`);
    if (await findDepartmentByCodes(trx, actor.tenantId, region.code, input.code)) {
      throw new AppError('conflict:department', `Department ${region.code}/${input.code} already exists.`);
    }
    const { id } = await insertDepartment(trx, {
      tenantId: actor.tenantId,
      regionId: region.id,
      code: input.code,
      name: input.name,
    });
    await auditAdminAction(trx, actor, 'department.created', { type: 'department', id }, { after: input });
    return { id, code: input.code, name: input.name, regionId: region.id, regionCode: region.code };
  });
}

export function renameDepartment(
  db: Db,
  actor: TaxonomyActor,
  id: string,
  name: string,
): Promise<DepartmentRow> {
  return db.transaction(async (trx) => {
    const department = await findDepartmentById(trx, actor.tenantId, id);
    if (!department) throw new AppError('not_found:department', 'No such department.');
    await updateDepartmentName(trx, actor.tenantId, department.id, name);
    await auditAdminAction(
      trx,
      actor,
      'department.updated',
      { type: 'department', id: department.id },
      { before: { name: department.name }, after: { name } },
    );
    return { ...department, name };
  });
}

export async function deleteDepartment(
  db: Db,
  actor: TaxonomyActor,
  id: string,
  describe: (department: DepartmentRow) => unknown,
): Promise<void> {
  await db.transaction(async (trx) => {
    const department = await findDepartmentById(trx, actor.tenantId, id);
    if (!department) throw new AppError('not_found:department', 'No such department.');
    const references = await countScopeReferences(trx, actor.tenantId, { departmentId: department.id });
    if (references.documents + references.sources > 0) {
      throw new AppError(
        'conflict:department_in_use',
        `Department ${department.regionCode}/${department.code} is still used by ${describeReferences(references)}.`,
      );
    }
    await deleteDepartmentRow(trx, actor.tenantId, department.id);
    await auditAdminAction(
      trx,
      actor,
      'department.deleted',
      { type: 'department', id: department.id },
      { before: describe(department) },
    );
  });
}
