import { z } from 'zod';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../platform/crypto/passwords.ts';
import type { Db, Executor } from '../../platform/db/database.ts';
import type { Role } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import { resolveDepartment } from '../tenancy/tenancy.service.ts';
import {
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  touchLastLogin,
  type UserListRow,
  type UserRow,
  updateUser,
  updateUserRole,
  upsertPasswordHash,
} from './users.repository.ts';

export const ROLES = ['super_admin', 'content_manager', 'user'] as const satisfies readonly Role[];
export const roleSchema = z.enum(ROLES);

const emailSchema = z.email();

export interface CreateUserInput {
  tenantId: string;
  email: string;
  password?: string;
  role: Role;
  /** `REGION/DEPT`, e.g. `UK/HR`; omitted for users without a department. */
  department?: string;
  displayName?: string;
  actorUserId?: string | null;
}

export async function createUser(executor: Executor, input: CreateUserInput): Promise<UserRow> {
  const email = input.email.trim();
  if (!emailSchema.safeParse(email).success) {
    throw new AppError('bad_request:email', `"${input.email}" is not a valid email address.`);
  }
  if (input.password !== undefined && input.password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError(
      'bad_request:password',
      `Passwords must be at least ${MIN_PASSWORD_LENGTH} characters long.`,
    );
  }
  if (await findUserByEmail(executor, input.tenantId, email)) {
    throw new AppError('conflict:user', `A user with email ${email} already exists in this tenant.`);
  }
  const department = input.department
    ? await resolveDepartment(executor, input.tenantId, input.department)
    : null;
  const user = await insertUser(executor, {
    tenantId: input.tenantId,
    email,
    displayName: input.displayName ?? email.split('@')[0]!,
    role: input.role,
    departmentId: department?.id ?? null,
  });
  if (input.password !== undefined) {
    await upsertPasswordHash(executor, {
      tenantId: input.tenantId,
      userId: user.id,
      hash: await hashPassword(input.password),
    });
  }
  await recordAuditEvent(executor, {
    tenantId: input.tenantId,
    actorUserId: input.actorUserId ?? null,
    action: 'user.created',
    targetType: 'user',
    targetId: user.id,
    after: { email, role: input.role, department: input.department ?? null },
  });
  return user;
}

export async function setUserRole(
  executor: Executor,
  input: { tenantId: string; email: string; role: Role; actorUserId?: string | null },
): Promise<{ user: UserRow; previousRole: Role }> {
  const user = await findUserByEmail(executor, input.tenantId, input.email);
  if (!user) throw new AppError('not_found:user', `No user with email ${input.email} in this tenant.`);
  await updateUserRole(executor, input.tenantId, user.id, input.role);
  await recordAuditEvent(executor, {
    tenantId: input.tenantId,
    actorUserId: input.actorUserId ?? null,
    action: 'user.role_changed',
    targetType: 'user',
    targetId: user.id,
    before: { role: user.role },
    after: { role: input.role },
  });
  return { user: { ...user, role: input.role }, previousRole: user.role };
}

export interface UserChanges {
  role?: Role | undefined;
  /** `REGION/DEPT`, or null to clear. */
  department?: string | null | undefined;
  isActive?: boolean | undefined;
  displayName?: string | undefined;
}

/** An admin changes a user; each kind of change is audited; deactivation ends their sessions. */
export async function updateUserAsAdmin(
  executor: Executor,
  input: { tenantId: string; userId: string; actorUserId: string; changes: UserChanges; ip: string | null },
): Promise<void> {
  const user = await findUserById(executor, input.tenantId, input.userId);
  if (!user) throw new AppError('not_found:user', 'No such user.');
  const { changes } = input;
  if (input.userId === input.actorUserId && (changes.role !== undefined || changes.isActive === false)) {
    if (changes.role !== user.role || changes.isActive === false) {
      throw new AppError(
        'conflict:self',
        'You cannot change your own role or deactivate yourself; ask another admin.',
      );
    }
  }
  let departmentId: string | null | undefined;
  if (changes.department !== undefined) {
    departmentId =
      changes.department === null
        ? null
        : (await resolveDepartment(executor, input.tenantId, changes.department)).id;
  }
  await updateUser(executor, input.tenantId, input.userId, {
    ...(changes.role !== undefined ? { role: changes.role } : {}),
    ...(departmentId !== undefined ? { departmentId } : {}),
    ...(changes.isActive !== undefined ? { isActive: changes.isActive } : {}),
    ...(changes.displayName !== undefined ? { displayName: changes.displayName } : {}),
  });
  const audit = (action: string, before: unknown, after: unknown) =>
    recordAuditEvent(executor, {
      tenantId: input.tenantId,
      actorUserId: input.actorUserId,
      action,
      targetType: 'user',
      targetId: input.userId,
      before,
      after,
      ip: input.ip,
    });
  if (changes.role !== undefined && changes.role !== user.role) {
    await audit('user.role_changed', { role: user.role }, { role: changes.role });
  }
  if (departmentId !== undefined && departmentId !== user.departmentId) {
    await audit(
      'user.department_changed',
      { department_id: user.departmentId },
      { department: changes.department },
    );
  }
  if (changes.isActive !== undefined && changes.isActive !== user.isActive) {
    await audit(changes.isActive ? 'user.activated' : 'user.deactivated', null, null);
    if (!changes.isActive) {
      await executor
        .updateTable('refresh_tokens')
        .set({ revoked_at: new Date() })
        .where('user_id', '=', input.userId)
        .where('revoked_at', 'is', null)
        .execute();
    }
  }
}

export type { UserListRow } from './users.repository.ts';

/** The tenant's users (or one, by id) with their department path. */
export function listTenantUsers(
  db: Db,
  tenantId: string,
  filters: Parameters<typeof listUsers>[2],
): Promise<UserListRow[]> {
  return listUsers(db.kysely, tenantId, filters);
}

/** An admin changes a user (audited, in one transaction); returns the user as listed. */
export async function changeUser(
  db: Db,
  input: Parameters<typeof updateUserAsAdmin>[1],
): Promise<UserListRow> {
  await db.transaction((trx) => updateUserAsAdmin(trx, input));
  const [updated] = await listUsers(db.kysely, input.tenantId, { id: input.userId });
  if (!updated) throw new AppError('not_found:user', 'No such user.');
  return updated;
}

/** The user of this email in the tenant (case-insensitive), if any. */
export async function findUserIdByEmail(
  executor: Executor,
  tenantId: string,
  email: string,
): Promise<string | undefined> {
  return (await findUserByEmail(executor, tenantId, email))?.id;
}

/** A user created on first single sign-on: role `user`, no password. */
export async function provisionUser(
  executor: Executor,
  user: { tenantId: string; email: string; displayName: string; departmentId: string | null },
): Promise<UserRow> {
  return insertUser(executor, { ...user, role: 'user' });
}

export function setUserDepartment(
  executor: Executor,
  tenantId: string,
  userId: string,
  departmentId: string,
): Promise<void> {
  return updateUser(executor, tenantId, userId, { departmentId });
}

/** Records a sign-in (shown to admins as "last sign-in"). */
export function markSignedIn(executor: Executor, userId: string): Promise<void> {
  return touchLastLogin(executor, userId);
}
