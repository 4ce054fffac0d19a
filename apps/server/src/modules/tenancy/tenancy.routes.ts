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
import { requireUser } from '../access/access.service.ts';
import {
  addDepartment,
  addRegion,
  type DepartmentRow,
  deleteDepartment,
  deleteRegion,
  listTenantDepartments,
  listTenantRegions,
  renameDepartment,
  renameRegion,
  type TaxonomyActor,
} from './taxonomy.service.ts';

function toDepartment(row: DepartmentRow) {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    region: { id: row.regionId, code: row.regionCode },
    path: `${row.regionCode}/${row.code}`,
  };
}

export const registerTenancyRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const read = { access: { role: 'user' as const } };

  const actorOf = (request: Parameters<typeof requireUser>[0]): TaxonomyActor => {
    const user = requireUser(request);
    return { tenantId: user.tenantId, userId: user.userId, ip: request.ip };
  };

  app.get(
    '/regions',
    {
      config: read,
      schema: { tags: ['admin'], summary: "The tenant's regions", response: { 200: regionListSchema } },
    },
    async (request) => ({ regions: await listTenantRegions(db, requireUser(request).tenantId) }),
  );

  app.post(
    '/regions',
    {
      schema: {
        tags: ['admin'],
        summary: 'Add a region',
        body: regionCreateSchema,
        response: { 201: regionSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await addRegion(db, actorOf(request), request.body)),
  );

  app.patch(
    '/regions/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Rename a region',
        params: idParamsSchema,
        body: regionPatchSchema,
        response: { 200: regionSchema },
      },
    },
    async (request) => renameRegion(db, actorOf(request), request.params.id, request.body.name),
  );

  app.delete(
    '/regions/:id',
    {
      schema: { tags: ['admin'], summary: 'Delete an unused region', params: idParamsSchema },
    },
    async (request, reply) => {
      await deleteRegion(db, actorOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  app.get(
    '/departments',
    {
      config: read,
      schema: {
        tags: ['admin'],
        summary: "The tenant's departments",
        response: { 200: departmentListSchema },
      },
    },
    async (request) => ({
      departments: (await listTenantDepartments(db, requireUser(request).tenantId)).map(toDepartment),
    }),
  );

  app.post(
    '/departments',
    {
      schema: {
        tags: ['admin'],
        summary: 'Add a department to a region',
        body: departmentCreateSchema,
        response: { 201: departmentSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(toDepartment(await addDepartment(db, actorOf(request), request.body))),
  );

  app.patch(
    '/departments/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Rename a department',
        params: idParamsSchema,
        body: departmentPatchSchema,
        response: { 200: departmentSchema },
      },
    },
    async (request) =>
      toDepartment(await renameDepartment(db, actorOf(request), request.params.id, request.body.name)),
  );

  app.delete(
    '/departments/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Delete a department no document or source uses',
        params: idParamsSchema,
      },
    },
    async (request, reply) => {
      await deleteDepartment(db, actorOf(request), request.params.id, toDepartment);
      return reply.status(204).send();
    },
  );
};
