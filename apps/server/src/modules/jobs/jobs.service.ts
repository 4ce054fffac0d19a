import type { Db, Executor } from '../../platform/db/database.ts';
import { runAsTenant } from '../../platform/db/tenant-scope.ts';
import { AppError } from '../../platform/errors.ts';
import {
  findJobRecord,
  insertJobRecord,
  type JobChanges,
  type JobRow,
  updateJobRecord,
} from './jobs.repository.ts';

export type { JobRow } from './jobs.repository.ts';

/** Who asks about a job: its creator, or anyone above the `user` role in the tenant. */
export interface JobViewer {
  tenantId: string;
  userId: string;
  role: 'user' | 'content_manager' | 'super_admin';
}

/** Creates the record users poll (GET /api/v1/jobs/:id) for a queued — or already finished — job. */
export function recordJob(
  executor: Executor,
  job: {
    id: string;
    tenantId: string;
    kind: string;
    documentId: string | null;
    createdBy: string | null;
    isAlreadyDone?: boolean;
  },
): Promise<void> {
  return insertJobRecord(executor, {
    id: job.id,
    tenantId: job.tenantId,
    kind: job.kind,
    documentId: job.documentId,
    createdBy: job.createdBy,
    status: job.isAlreadyDone ? 'succeeded' : 'queued',
  });
}

export function updateJob(executor: Executor, id: string, changes: JobChanges): Promise<void> {
  return updateJobRecord(executor, id, changes);
}

/** Jobs over someone's private files (a notebook's): their creator's alone, admins included. */
const PRIVATE_JOB_PREFIX = 'notebook-';

/** A job the viewer may see (row-level security around it), or 404. */
export async function getVisibleJob(db: Db, viewer: JobViewer, id: string): Promise<JobRow> {
  const job = await runAsTenant(db, viewer.tenantId, (trx) => findJobRecord(trx, viewer.tenantId, id));
  const isVisible =
    job &&
    (job.createdBy === viewer.userId || (viewer.role !== 'user' && !job.kind.startsWith(PRIVATE_JOB_PREFIX)));
  if (!job || !isVisible) throw new AppError('not_found:job', 'No such job.');
  return job;
}
