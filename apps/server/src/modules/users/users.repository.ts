import type { Executor } from '../../platform/db/database.ts';
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
