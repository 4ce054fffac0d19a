import type { Db, Executor } from '../../platform/db/database.ts';
import {
  type AuditEvent,
  type AuditEventRow,
  insertAuditEvent,
  listAuditEvents,
} from './audit.repository.ts';

/**
 * The audit log: every module records its security and admin events here, inside the
 * transaction that makes the change, and super admins read them back.
 */

export type { AuditEvent, AuditEventRow } from './audit.repository.ts';

/** Appends an audit event; call it inside the transaction that makes the change. */
export function recordAuditEvent(executor: Executor, event: AuditEvent): Promise<void> {
  return insertAuditEvent(executor, event);
}

/** An admin's change, recorded with who made it (a signed-in user) and from where. */
export function auditAdminAction(
  executor: Executor,
  actor: { ip: string; tenantId: string; userId: string },
  action: string,
  target: { type: string; id: string },
  change: { before?: unknown; after?: unknown },
): Promise<void> {
  return recordAuditEvent(executor, {
    tenantId: actor.tenantId,
    actorUserId: actor.userId,
    action,
    targetType: target.type,
    targetId: target.id,
    before: change.before ?? null,
    after: change.after ?? null,
    ip: actor.ip,
  });
}

/** A page of the tenant's events, newest first, and the id to continue before (null: last page). */
export async function pageAuditEvents(
  db: Db,
  tenantId: string,
  filters: { limit: number; before?: number | undefined; action?: string | undefined },
): Promise<{ events: AuditEventRow[]; nextBefore: number | null }> {
  const rows = await listAuditEvents(db.kysely, tenantId, { ...filters, limit: filters.limit + 1 });
  const events = rows.slice(0, filters.limit);
  return { events, nextBefore: rows.length > filters.limit ? (events.at(-1)?.id ?? null) : null };
}
