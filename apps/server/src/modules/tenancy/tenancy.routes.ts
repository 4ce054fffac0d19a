import {
  departmentCreateSchema,
  departmentListSchema,
  departmentPatchSchema,
  departmentSchema,
  idParamsSchema,
  regionCreateSchema,
  regionListSchema,
  regionPatchSchema,
  regionSchema,
} from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../platform/errors.ts';
import { auditAdminAction } from '../audit/audit.repository.ts';
import { requireUser } from '../auth/access.ts';
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
  updateDepartmentName,
  updateRegionName,
} from './tenancy.repository.ts';

function toDepartment(row: DepartmentRow) {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    region: { id: row.regionId, code: row.regionCode },
    path: `${row.regionCode}/${row.code}`,
  };
}

function describeReferences(counts: { departments: number; documents: number; sources: number }): string {
  return (Object.entries(counts) as [string, number][])
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
}

export const registerTenancyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const admin = { access: { role: 'super_admin' as const } };
  const read = { access: { role: 'user' as const } };
  const audited = auditAdminAction;

  app.get(
    '/api/v1/admin/regions',
    {
      config: read,
      schema: { tags: ['admin'], summary: "The tenant's regions", response: { 200: regionListSchema } },
    },
    async (request) => {
      const principal = requireUser(request);
      return { regions: await listRegions(db.kysely, principal.tenantId) };
    },
  );

  app.post(
    '/api/v1/admin/regions',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Add a region',
        body: regionCreateSchema,
        response: { 201: regionSchema },
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      const region = await db.transaction(async (trx) => {
        if (await findRegion(trx, principal.tenantId, { code: request.body.code })) {
          throw new AppError('conflict:region', `Region ${request.body.code} already exists.`);
        }
        const { id } = await insertRegion(trx, { tenantId: principal.tenantId, ...request.body });
        await audited(trx, request, principal, 'region.created', { type: 'region', id }, null, request.body);
        return { id, ...request.body };
      });
      return reply.status(201).send(region);
    },
  );

  app.patch(
    '/api/v1/admin/regions/:id',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Rename a region',
        params: idParamsSchema,
        body: regionPatchSchema,
        response: { 200: regionSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      return db.transaction(async (trx) => {
        const region = await findRegion(trx, principal.tenantId, { id: request.params.id });
        if (!region) throw new AppError('not_found:region', 'No such region.');
        await updateRegionName(trx, principal.tenantId, region.id, request.body.name);
        await audited(
          trx,
          request,
          principal,
          'region.updated',
          { type: 'region', id: region.id },
          { name: region.name },
          request.body,
        );
        return { ...region, name: request.body.name };
      });
    },
  );

  app.delete(
    '/api/v1/admin/regions/:id',
    {
      config: admin,
      schema: { tags: ['admin'], summary: 'Delete an unused region', params: idParamsSchema },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      await db.transaction(async (trx) => {
        const region = await findRegion(trx, principal.tenantId, { id: request.params.id });
        if (!region) throw new AppError('not_found:region', 'No such region.');
        const references = await countScopeReferences(trx, principal.tenantId, { regionId: region.id });
        if (references.departments + references.documents + references.sources > 0) {
          throw new AppError(
            'conflict:region_in_use',
            `Region ${region.code} is still used by ${describeReferences(references)}.`,
          );
        }
        await deleteRegionRow(trx, principal.tenantId, region.id);
        await audited(
          trx,
          request,
          principal,
          'region.deleted',
          { type: 'region', id: region.id },
          region,
          null,
        );
      });
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/admin/departments',
    {
      config: read,
      schema: {
        tags: ['admin'],
        summary: "The tenant's departments",
        response: { 200: departmentListSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      return { departments: (await listDepartments(db.kysely, principal.tenantId)).map(toDepartment) };
    },
  );

  app.post(
    '/api/v1/admin/departments',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Add a department to a region',
        body: departmentCreateSchema,
        response: { 201: departmentSchema },
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      const department = await db.transaction(async (trx) => {
        const region = await findRegion(trx, principal.tenantId, { code: request.body.region });
        if (!region) throw new AppError('not_found:region', `No region ${request.body.region}.`);
        if (await findDepartmentByCodes(trx, principal.tenantId, region.code, request.body.code)) {
          throw new AppError(
            'conflict:department',
            `Department ${region.code}/${request.body.code} already exists.`,
          );
        }
        const { id } = await insertDepartment(trx, {
          tenantId: principal.tenantId,
          regionId: region.id,
          code: request.body.code,
          name: request.body.name,
        });
        await audited(
          trx,
          request,
          principal,
          'department.created',
          { type: 'department', id },
          null,
          request.body,
        );
        return {
          id,
          code: request.body.code,
          name: request.body.name,
          regionId: region.id,
          regionCode: region.code,
        };
      });
      return reply.status(201).send(toDepartment(department));
    },
  );

  app.patch(
    '/api/v1/admin/departments/:id',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Rename a department',
        params: idParamsSchema,
        body: departmentPatchSchema,
        response: { 200: departmentSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      return db.transaction(async (trx) => {
        const department = await findDepartmentById(trx, principal.tenantId, request.params.id);
        if (!department) throw new AppError('not_found:department', 'No such department.');
        await updateDepartmentName(trx, principal.tenantId, department.id, request.body.name);
        await audited(
          trx,
          request,
          principal,
          'department.updated',
          { type: 'department', id: department.id },
          { name: department.name },
          request.body,
        );
        return toDepartment({ ...department, name: request.body.name });
      });
    },
  );

  app.delete(
    '/api/v1/admin/departments/:id',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Delete a department no document or source uses',
        params: idParamsSchema,
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      await db.transaction(async (trx) => {
        const department = await findDepartmentById(trx, principal.tenantId, request.params.id);
        if (!department) throw new AppError('not_found:department', 'No such department.');
        const references = await countScopeReferences(trx, principal.tenantId, {
          departmentId: department.id,
        });
        if (references.documents + references.sources > 0) {
          throw new AppError(
            'conflict:department_in_use',
            `Department ${department.regionCode}/${department.code} is still used by ${describeReferences(references)}.`,
          );
        }
        await deleteDepartmentRow(trx, principal.tenantId, department.id);
        await audited(
          trx,
          request,
          principal,
          'department.deleted',
          { type: 'department', id: department.id },
          toDepartment(department),
          null,
        );
      });
      return reply.status(204).send();
    },
  );
};
