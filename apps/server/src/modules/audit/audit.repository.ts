import type { Executor } from '../../platform/db/database.ts';

export interface AuditEvent {
  tenantId: string | null;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  /** Dotted verb, e.g. `user.created`, `user.role_changed`, `api_key.revoked`. */
  action: string;
  targetType?: string;
  targetId?: string;
  before?: unknown;
  after?: unknown;
  ip?: string | null;
}

/** Appends an audit event; call it inside the transaction that makes the change. */
export async function insertAuditEvent(executor: Executor, event: AuditEvent): Promise<void> {
  await executor
    .insertInto('audit_log')
    .values({
      tenant_id: event.tenantId,
      actor_user_id: event.actorUserId ?? null,
      actor_api_key_id: event.actorApiKeyId ?? null,
      action: event.action,
      target_type: event.targetType ?? null,
      target_id: event.targetId ?? null,
      before: event.before === undefined ? null : JSON.stringify(event.before),
      after: event.after === undefined ? null : JSON.stringify(event.after),
      ip: event.ip ?? null,
    })
    .execute();
}

/** An admin's change, recorded with who made it (a signed-in user) and from where. */
export function auditAdminAction(
  executor: Executor,
  request: { ip: string },
  actor: { tenantId: string; userId: string },
  action: string,
  target: { type: string; id: string },
  before: unknown,
  after: unknown,
): Promise<void> {
  return insertAuditEvent(executor, {
    tenantId: actor.tenantId,
    actorUserId: actor.userId,
    action,
    targetType: target.type,
    targetId: target.id,
    before,
    after,
    ip: request.ip,
  });
}
