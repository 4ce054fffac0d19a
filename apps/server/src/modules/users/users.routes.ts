import {
  adminUserListQuerySchema,
  adminUserListSchema,
  adminUserPatchSchema,
  adminUserSchema,
  idParamsSchema,
} from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireUser } from '../access/access.service.ts';
import { changeUser, listTenantUsers, type UserListRow } from './users.service.ts';

function toAdminUser(row: UserListRow) {
  return {
    id: row.id,
    email: row.email,
    display_name: row.displayName,
    role: row.role,
    department: row.departmentPath,
    is_active: row.isActive,
    totp_enabled: row.totpEnabledAt !== null,
    last_login_at: row.lastLoginAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

export const registerUserRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;

  app.get(
    '/users',
    {
      schema: {
        tags: ['admin'],
        summary: "The tenant's users",
        querystring: adminUserListQuerySchema,
        response: { 200: adminUserListSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const rows = await listTenantUsers(db, principal.tenantId, request.query);
      return { users: rows.map(toAdminUser) };
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        tags: ['admin'],
        summary: "Change a user's role, department, name or active state",
        params: idParamsSchema,
        body: adminUserPatchSchema,
        response: { 200: adminUserSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const { id } = request.params;
      const body = request.body;
      const updated = await changeUser(db, {
        tenantId: principal.tenantId,
        userId: id,
        actorUserId: principal.userId,
        changes: {
          role: body.role,
          department: body.department,
          isActive: body.is_active,
          displayName: body.display_name,
        },
        ip: request.ip,
      });
      return toAdminUser(updated);
    },
  );
};
