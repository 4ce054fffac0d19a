import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { containsPattern } from '../../platform/db/like.ts';
import type { Role } from '../../platform/db/schema.ts';

export interface UserRow {
  id: string;
  tenantId: string;
  email: string;
  displayName: string;
  role: Role;
  departmentId: string | null;
  isActive: boolean;
}

const USER_COLUMNS = [
  'users.id as id',
  'users.tenant_id as tenantId',
  'users.email as email',
  'users.display_name as displayName',
  'users.role as role',
  'users.department_id as departmentId',
  'users.is_active as isActive',
] as const;

export async function insertUser(
  executor: Executor,
  user: { tenantId: string; email: string; displayName: string; role: Role; departmentId: string | null },
): Promise<UserRow> {
  return executor
    .insertInto('users')
    .values({
      tenant_id: user.tenantId,
      email: user.email,
      display_name: user.displayName,
      role: user.role,
      department_id: user.departmentId,
    })
    .returning(USER_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function upsertPasswordHash(
  executor: Executor,
  entry: { tenantId: string; userId: string; hash: string },
): Promise<void> {
  await executor
    .insertInto('password_hashes')
    .values({ tenant_id: entry.tenantId, user_id: entry.userId, hash: entry.hash })
    .onConflict((conflict) =>
      conflict.column('user_id').doUpdateSet({ hash: entry.hash, updated_at: new Date() }),
    )
    .execute();
}

export async function findUserByEmail(
  executor: Executor,
  tenantId: string,
  email: string,
): Promise<UserRow | undefined> {
  return executor
    .selectFrom('users')
    .select(USER_COLUMNS)
    .where('users.tenant_id', '=', tenantId)
    .where((eb) => eb(eb.fn('lower', ['users.email']), '=', email.toLowerCase()))
    .executeTakeFirst();
}

export async function updateUserRole(
  executor: Executor,
  tenantId: string,
  userId: string,
  role: Role,
): Promise<void> {
  await executor
    .updateTable('users')
    .set({ role, updated_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .execute();
}

export interface UserListRow extends UserRow {
  departmentPath: string | null;
  totpEnabledAt: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
}

export async function listUsers(
  executor: Executor,
  tenantId: string,
  filters: { search?: string | undefined; role?: Role | undefined; id?: string | undefined },
): Promise<UserListRow[]> {
  let query = executor
    .selectFrom('users')
    .leftJoin('departments', 'departments.id', 'users.department_id')
    .leftJoin('regions', 'regions.id', 'departments.region_id')
    .select([
      ...USER_COLUMNS,
      sql<string | null>`regions.code || '/' || departments.code`.as('departmentPath'),
      'users.totp_enabled_at as totpEnabledAt',
      'users.last_login_at as lastLoginAt',
      'users.created_at as createdAt',
    ])
    .where('users.tenant_id', '=', tenantId);
  if (filters.role) query = query.where('users.role', '=', filters.role);
  if (filters.id) query = query.where('users.id', '=', filters.id);
  if (filters.search) {
    const pattern = containsPattern(filters.search);
    query = query.where((eb) =>
      eb.or([eb('users.email', 'ilike', pattern), eb('users.display_name', 'ilike', pattern)]),
    );
  }
  return query.orderBy('users.email').limit(1000).execute();
}

export async function findUserById(
  executor: Executor,
  tenantId: string,
  userId: string,
): Promise<UserRow | undefined> {
  return executor
    .selectFrom('users')
    .select(USER_COLUMNS)
    .where('users.tenant_id', '=', tenantId)
    .where('users.id', '=', userId)
    .executeTakeFirst();
}

export async function updateUser(
  executor: Executor,
  tenantId: string,
  userId: string,
  changes: { role?: Role; departmentId?: string | null; isActive?: boolean; displayName?: string },
): Promise<void> {
  await executor
    .updateTable('users')
    .set({
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      ...(changes.departmentId !== undefined ? { department_id: changes.departmentId } : {}),
      ...(changes.isActive !== undefined ? { is_active: changes.isActive } : {}),
      ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .execute();
}

export async function touchLastLogin(executor: Executor, userId: string): Promise<void> {
  await executor.updateTable('users').set({ last_login_at: new Date() }).where('id', '=', userId).execute();
}
