import type { Executor } from '../../platform/db/database.ts';
import type { JobStatusValue } from '../../platform/db/schema.ts';

/** Jobs as tenants see them (GET /api/v1/jobs/:id); the queue itself is pg-boss. */
export interface JobRow {
  id: string;
  tenantId: string;
  kind: string;
  documentId: string | null;
  status: JobStatusValue;
  progress: number;
  attempt: number;
  error: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewJobRecord {
  id: string;
  tenantId: string;
  kind: string;
  documentId: string | null;
  createdBy: string | null;
  status?: JobStatusValue;
}

export async function insertJobRecord(executor: Executor, job: NewJobRecord): Promise<void> {
  await executor
    .insertInto('jobs')
    .values({
      id: job.id,
      tenant_id: job.tenantId,
      kind: job.kind,
      document_id: job.documentId,
      created_by: job.createdBy,
      status: job.status ?? 'queued',
      progress: job.status === 'succeeded' ? 1 : 0,
    })
    .execute();
}

export interface JobChanges {
  status?: JobStatusValue;
  progress?: number;
  attempt?: number;
  error?: string | null;
}

export async function updateJobRecord(executor: Executor, id: string, changes: JobChanges): Promise<void> {
  await executor
    .updateTable('jobs')
    .set({
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.progress !== undefined ? { progress: Math.max(0, Math.min(1, changes.progress)) } : {}),
      ...(changes.attempt !== undefined ? { attempt: changes.attempt } : {}),
      ...(changes.error !== undefined ? { error: changes.error } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}

export async function findJobRecord(
  executor: Executor,
  tenantId: string,
  id: string,
): Promise<JobRow | undefined> {
  return executor
    .selectFrom('jobs')
    .select([
      'id',
      'tenant_id as tenantId',
      'kind',
      'document_id as documentId',
      'status',
      'progress',
      'attempt',
      'error',
      'created_by as createdBy',
      'created_at as createdAt',
      'updated_at as updatedAt',
    ])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}
