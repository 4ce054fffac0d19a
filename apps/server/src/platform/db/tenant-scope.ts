import { sql, type Transaction } from 'kysely';
import type { Db, Executor } from './database.ts';
import type { Database } from './schema.ts';

const TENANT_ROLE = 'nexus_tenant';
const roleAvailability = new WeakMap<Db, Promise<boolean>>();

/** Whether this connection's user may switch to the row-level-security role. */
export function isTenantRoleAvailable(db: Db): Promise<boolean> {
  let available = roleAvailability.get(db);
  if (!available) {
    available = db
      .executeSql(
        `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${TENANT_ROLE}')
           AND pg_has_role(current_user, '${TENANT_ROLE}', 'MEMBER') AS available`,
      )
      .then(({ rows }) => rows[0]?.available === true)
      .catch(() => false);
    roleAvailability.set(db, available);
  }
  return available;
}

/**
 * Runs fn in a transaction bound to one tenant: `nexus.tenant_id` is set and, where the
 * role exists, queries run as `nexus_tenant`, so row-level security hides every other
 * tenant's documents, chunks, conversations and messages even if a query forgot its
 * tenant filter. Use it for every request-scoped query over tenant content.
 */
export async function runAsTenant<T>(
  db: Db,
  tenantId: string,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const useRole = await isTenantRoleAvailable(db);
  return db.transaction(async (trx) => {
    await sql`SELECT set_config('nexus.tenant_id', ${tenantId}, true)`.execute(trx);
    if (useRole) await sql.raw(`SET LOCAL ROLE ${TENANT_ROLE}`).execute(trx);
    return fn(trx);
  });
}

/**
 * Runs fn inside a runAsTenant transaction as the connection's own role again — for the
 * few writes to tables that are not tenant tables (the job queue's) that must commit or
 * roll back with the tenant's — then switches back to the tenant role.
 */
export async function withoutTenantRole<T>(trx: Executor, fn: () => Promise<T>): Promise<T> {
  const { rows } = await sql<{ role: string }>`SELECT current_user AS role`.execute(trx);
  const isTenantRole = rows[0]?.role === TENANT_ROLE;
  if (!isTenantRole) return fn();
  await sql`RESET ROLE`.execute(trx);
  try {
    return await fn();
  } finally {
    await sql.raw(`SET LOCAL ROLE ${TENANT_ROLE}`).execute(trx);
  }
}
