import {
  adminUserListQuerySchema,
  adminUserListSchema,
  adminUserPatchSchema,
  adminUserSchema,
  idParamsSchema,
} from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../platform/errors.ts';
import { requireUser } from '../auth/access.ts';
import { listUsers, type UserListRow } from './users.repository.ts';
import { updateUserAsAdmin } from './users.service.ts';

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
  const admin = { access: { role: 'super_admin' as const } };

  app.get(
    '/api/v1/admin/users',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: "The tenant's users",
        querystring: adminUserListQuerySchema,
        response: { 200: adminUserListSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const rows = await listUsers(db.kysely, principal.tenantId, request.query);
      return { users: rows.map(toAdminUser) };
    },
  );

  app.patch(
    '/api/v1/admin/users/:id',
    {
      config: admin,
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
      await db.transaction((trx) =>
        updateUserAsAdmin(trx, {
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
        }),
      );
      const [updated] = await listUsers(db.kysely, principal.tenantId, { id });
      if (!updated) throw new AppError('not_found:user', 'No such user.');
      return toAdminUser(updated);
    },
  );
};
