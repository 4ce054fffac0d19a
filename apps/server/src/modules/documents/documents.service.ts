import { randomUUID } from 'node:crypto';
import type { Db, Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import type { JobQueue } from '../../platform/queue.ts';
import { insertAuditEvent } from '../audit/audit.repository.ts';
import type { UserPrincipal } from '../auth/access.ts';
import { createIngestDocumentJob } from '../ingestion/ingestion.jobs.ts';
import { type DocumentVersion, recordJob, registerDocumentVersion } from '../ingestion/ingestion.service.ts';
import type { ParseLimits } from '../ingestion/ingestion.types.ts';
import { findRegion, listDepartments, listRegions } from '../tenancy/tenancy.repository.ts';
import { resolveDepartment } from '../tenancy/tenancy.service.ts';
import type { Reader } from './access-scope.ts';
import { type DocumentRow, deleteDocumentRow, findReadableDocument } from './documents.repository.ts';

export interface Scope {
  departmentIds: string[];
  regionIds: string[];
}

/** Parses `UK/HR,US/Finance` and `UK,APAC` into ids of this tenant (unknown codes are a 400). */
export async function resolveScope(
  executor: Executor,
  tenantId: string,
  codes: { departments: string[]; regions: string[] },
): Promise<Scope> {
  const departmentIds: string[] = [];
  for (const code of codes.departments) {
    try {
      departmentIds.push((await resolveDepartment(executor, tenantId, code)).id);
    } catch (error) {
      if (error instanceof AppError) throw new AppError('bad_request:scope', error.message);
      throw error;
    }
  }
  const regionIds: string[] = [];
  for (const code of codes.regions) {
    const region = await findRegion(executor, tenantId, { code });
    if (!region) throw new AppError('bad_request:scope', `No region "${code}" in this tenant.`);
    regionIds.push(region.id);
  }
  return { departmentIds: [...new Set(departmentIds)], regionIds: [...new Set(regionIds)] };
}

export function parseCodeList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((code) => code.trim())
    .filter(Boolean);
}

/**
 * Who may put a document in a scope: a super_admin anywhere (empty scope = the whole
 * tenant); a content_manager only within their own department or region, and an
 * empty scope from them means their department.
 */
export function authorizeScope(principal: UserPrincipal, scope: Scope): Scope {
  if (principal.role === 'super_admin') return scope;
  if (principal.role !== 'content_manager')
    throw new AppError('forbidden:role', 'Only content managers can add documents.');
  if (scope.departmentIds.length === 0 && scope.regionIds.length === 0) {
    if (!principal.departmentId) {
      throw new AppError(
        'forbidden:scope',
        'You have no department; ask an admin to set one before uploading.',
      );
    }
    return { departmentIds: [principal.departmentId], regionIds: [] };
  }
  const foreignDepartment = scope.departmentIds.some((id) => id !== principal.departmentId);
  const foreignRegion = scope.regionIds.some((id) => id !== principal.regionId);
  if (foreignDepartment || foreignRegion) {
    throw new AppError(
      'forbidden:scope',
      'Content managers can only share documents with their own department or region.',
    );
  }
  return scope;
}

/** Whether a principal may change or delete a document (it must also be readable by them). */
export function canManageDocument(principal: UserPrincipal, document: DocumentRow): boolean {
  if (principal.role === 'super_admin') return true;
  if (principal.role !== 'content_manager') return false;
  const isTenantWide = document.departmentIds.length === 0 && document.regionIds.length === 0;
  if (isTenantWide) return false;
  return (
    (principal.departmentId !== null && document.departmentIds.includes(principal.departmentId)) ||
    (principal.regionId !== null && document.regionIds.includes(principal.regionId))
  );
}

export interface SubmittedDocument {
  document: DocumentRow;
  jobId: string;
  isUnchanged: boolean;
}

/** Stores a document version and queues its ingestion in one transaction. */
export async function submitDocument(
  db: Db,
  queue: JobQueue,
  limits: ParseLimits,
  version: DocumentVersion,
  ip: string | null,
): Promise<SubmittedDocument> {
  const ingestJob = createIngestDocumentJob(limits);
  return db.transaction(async (trx) => {
    const registered = await registerDocumentVersion(trx, version);
    let jobId: string;
    if (registered.isUnchanged) {
      jobId = randomUUID();
    } else {
      jobId = await queue.send(
        ingestJob,
        { tenantId: version.tenantId, documentId: registered.document.id },
        { executor: trx },
      );
    }
    await recordJob(trx, {
      id: jobId,
      tenantId: version.tenantId,
      documentId: registered.document.id,
      createdBy: version.createdBy,
      isAlreadyDone: registered.isUnchanged,
    });
    await insertAuditEvent(trx, {
      tenantId: version.tenantId,
      actorUserId: version.createdBy,
      action: registered.isUnchanged ? 'document.resubmitted_unchanged' : 'document.submitted',
      targetType: 'document',
      targetId: registered.document.id,
      after: {
        title: registered.document.title,
        source_item_id: version.sourceItemId,
        size_bytes: version.bytes.byteLength,
      },
      ip,
    });
    return { document: registered.document, jobId, isUnchanged: registered.isUnchanged };
  });
}

export async function deleteDocument(
  db: Db,
  principal: UserPrincipal,
  reader: Reader,
  id: string,
  ip: string | null,
) {
  await db.transaction(async (trx) => {
    const document = await findReadableDocument(trx, reader, id);
    if (!document) throw new AppError('not_found:document', 'No such document.');
    if (!canManageDocument(principal, document)) {
      throw new AppError('forbidden:document', 'You can read this document but not delete it.');
    }
    await deleteDocumentRow(trx, principal.tenantId, id);
    await insertAuditEvent(trx, {
      tenantId: principal.tenantId,
      actorUserId: principal.userId,
      action: 'document.deleted',
      targetType: 'document',
      targetId: id,
      before: { title: document.title, chunk_count: document.chunkCount },
      ip,
    });
  });
}

/** Maps scope ids to `REGION/DEPT` and region codes for responses. */
export async function loadScopeNames(executor: Executor, tenantId: string) {
  const [departments, regions] = await Promise.all([
    listDepartments(executor, tenantId),
    listRegions(executor, tenantId),
  ]);
  const departmentNames = new Map(
    departments.map((department) => [department.id, `${department.regionCode}/${department.code}`]),
  );
  const regionNames = new Map(regions.map((region) => [region.id, region.code]));
  return (scope: Scope) => ({
    departments: scope.departmentIds.map((id) => departmentNames.get(id) ?? id),
    regions: scope.regionIds.map((id) => regionNames.get(id) ?? id),
  });
}
