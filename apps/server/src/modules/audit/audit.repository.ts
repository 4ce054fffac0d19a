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

export interface AuditEventRow {
  id: number;
  action: string;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  targetType: string | null;
  targetId: string | null;
  before: unknown;
  after: unknown;
  ip: string | null;
  createdAt: Date;
}

/** A tenant's events, newest first: `limit` of them before id `before`, by exact action or `prefix.`. */
export async function listAuditEvents(
  executor: Executor,
  tenantId: string,
  filters: { limit: number; before?: number | undefined; action?: string | undefined },
): Promise<AuditEventRow[]> {
  let query = executor
    .selectFrom('audit_log')
    .select([
      'id',
      'action',
      'actor_user_id as actorUserId',
      'actor_api_key_id as actorApiKeyId',
      'target_type as targetType',
      'target_id as targetId',
      'before',
      'after',
      'ip',
      'created_at as createdAt',
    ])
    .where('tenant_id', '=', tenantId)
    .orderBy('id', 'desc')
    .limit(filters.limit);
  if (filters.before) query = query.where('id', '<', filters.before);
  if (filters.action) {
    query = filters.action.endsWith('.')
      ? query.where('action', 'like', `${filters.action.replace(/[\\%_]/g, '\\$&')}%`)
      : query.where('action', '=', filters.action);
  }
  return (await query.execute()) as AuditEventRow[];
}
