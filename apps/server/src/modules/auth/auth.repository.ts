import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Role } from '../../platform/db/schema.ts';

/** A user as authentication and access checks see them. */
export interface AccountRow {
  id: string;
  tenantId: string;
  tenantSlug: string;
  email: string;
  displayName: string;
  role: Role;
  departmentId: string | null;
  departmentCode: string | null;
  regionId: string | null;
  regionCode: string | null;
  isActive: boolean;
  totpSecret: string | null;
  totpEnabledAt: Date | null;
  failedLoginCount: number;
  lockedUntil: Date | null;
  passwordHash: string | null;
}

function accounts(executor: Executor) {
  return executor
    .selectFrom('users')
    .innerJoin('tenants', 'tenants.id', 'users.tenant_id')
    .leftJoin('departments', 'departments.id', 'users.department_id')
    .leftJoin('regions', 'regions.id', 'departments.region_id')
    .leftJoin('password_hashes', 'password_hashes.user_id', 'users.id')
    .select([
      'users.id as id',
      'users.tenant_id as tenantId',
      'tenants.slug as tenantSlug',
      'users.email as email',
      'users.display_name as displayName',
      'users.role as role',
      'users.department_id as departmentId',
      'departments.code as departmentCode',
      'regions.id as regionId',
      'regions.code as regionCode',
      'users.is_active as isActive',
      'users.totp_secret as totpSecret',
      'users.totp_enabled_at as totpEnabledAt',
      'users.failed_login_count as failedLoginCount',
      'users.locked_until as lockedUntil',
      'password_hashes.hash as passwordHash',
    ]);
}

/** Accounts with this email, in one tenant (by slug) or across all tenants. */
export async function findAccountsByEmail(
  executor: Executor,
  email: string,
  tenantSlug?: string,
): Promise<AccountRow[]> {
  let query = accounts(executor).where(sql<string>`lower(users.email)`, '=', email.toLowerCase());
  if (tenantSlug) query = query.where('tenants.slug', '=', tenantSlug);
  return query.limit(2).execute();
}

export async function findAccountById(
  executor: Executor,
  tenantId: string,
  userId: string,
): Promise<AccountRow | undefined> {
  return accounts(executor)
    .where('users.tenant_id', '=', tenantId)
    .where('users.id', '=', userId)
    .executeTakeFirst();
}

export async function recordSuccessfulLogin(executor: Executor, userId: string): Promise<void> {
  await executor
    .updateTable('users')
    .set({ failed_login_count: 0, locked_until: null, last_login_at: new Date() })
    .where('id', '=', userId)
    .execute();
}

export async function setTotpSecret(
  executor: Executor,
  userId: string,
  encryptedSecret: string | null,
  isEnabled: boolean,
) {
  await executor
    .updateTable('users')
    .set({
      totp_secret: encryptedSecret,
      totp_enabled_at: isEnabled ? new Date() : null,
      updated_at: new Date(),
    })
    .where('id', '=', userId)
    .execute();
}

export interface RefreshTokenRow {
  id: string;
  tenantId: string;
  userId: string;
  familyId: string;
  expiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
}

export async function insertRefreshToken(
  executor: Executor,
  token: {
    tenantId: string;
    userId: string;
    tokenHash: string;
    familyId: string;
    parentId: string | null;
    expiresAt: Date;
    userAgent: string | null;
    ip: string | null;
  },
): Promise<void> {
  await executor
    .insertInto('refresh_tokens')
    .values({
      tenant_id: token.tenantId,
      user_id: token.userId,
      token_hash: token.tokenHash,
      family_id: token.familyId,
      parent_id: token.parentId,
      expires_at: token.expiresAt,
      user_agent: token.userAgent,
      ip: token.ip,
    })
    .execute();
}

export async function findRefreshTokenByHash(
  executor: Executor,
  tokenHash: string,
): Promise<RefreshTokenRow | undefined> {
  return executor
    .selectFrom('refresh_tokens')
    .select([
      'id',
      'tenant_id as tenantId',
      'user_id as userId',
      'family_id as familyId',
      'expires_at as expiresAt',
      'rotated_at as rotatedAt',
      'revoked_at as revokedAt',
    ])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Marks a token used; false when it had been used already (a concurrent or replayed refresh). */
export async function markRefreshTokenRotated(executor: Executor, id: string): Promise<boolean> {
  const result = await executor
    .updateTable('refresh_tokens')
    .set({ rotated_at: new Date() })
    .where('id', '=', id)
    .where('rotated_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function revokeRefreshTokenFamily(executor: Executor, familyId: string): Promise<number> {
  const result = await executor
    .updateTable('refresh_tokens')
    .set({ revoked_at: new Date() })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function isRefreshFamilyActive(executor: Executor, familyId: string): Promise<boolean> {
  const row = await executor
    .selectFrom('refresh_tokens')
    .select('id')
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Deletes refresh tokens that expired before `cutoff`; returns how many. */
export async function deleteExpiredRefreshTokens(executor: Executor, cutoff: Date): Promise<number> {
  const result = await executor
    .deleteFrom('refresh_tokens')
    .where('expires_at', '<', cutoff)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
