import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db, Executor } from '../../platform/db/database.ts';
import { runAsTenant, withoutTenantRole } from '../../platform/db/tenant-scope.ts';
import { AppError } from '../../platform/errors.ts';
import type { JobQueue, JobReference } from '../../platform/queue.ts';
import { authorizeScope, canManageDocument } from '../access/access.service.ts';
import type { Reader, Scope, UserPrincipal } from '../access/access.types.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import { recordJob } from '../jobs/jobs.service.ts';
import { ensureSource } from '../sources/sources.service.ts';
import { loadScopeNames, resolveScope } from '../tenancy/tenancy.service.ts';
import {
  activateGeneration,
  allocateGeneration,
  ensureVectorIndex as createVectorIndex,
  type DocumentListFilters,
  type DocumentRow,
  deleteDocumentRow,
  deleteGeneration,
  deleteOlderGenerations,
  findDocumentBlob,
  findDocumentBlobInfo,
  findDocumentById,
  findDocumentBySourceItem,
  findReadableDocument,
  insertChunks,
  insertDocument,
  insertReadyDocuments,
  listChunkTexts,
  listReadableDocuments,
  refreshChunkStatistics,
  storeEmbeddings,
  updateDocument,
  upsertDocumentBlob,
} from './documents.repository.ts';
import type { ChunkBatch, ChunkContent, VersionContent } from './documents.types.ts';

export type { Scope } from '../access/access.types.ts';

/**
 * A document's lifecycle: created (an upload, or an item of a source), given versions
 * (new bytes; the scope never changes with them), ingested (the pipeline turns a version
 * into chunks, written under a new generation and switched to in one short transaction),
 * deleted. This module owns the documents, document_blobs and chunks tables.
 */

export type { DocumentRow } from './documents.repository.ts';

/** A file as received: from an upload, a folder, a web page. */
export interface IncomingFile {
  filename: string;
  mimeType?: string | undefined;
  bytes: Uint8Array;
}

/** The job that ingests a document's latest version (its handler: ingestion/ingestion.jobs.ts). */
export const INGEST_DOCUMENT_JOB: JobReference<{ tenantId: string; documentId: string }> = {
  name: 'ingest-document',
  version: 1,
  payload: z.object({ tenantId: z.uuid(), documentId: z.uuid() }),
};

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function parseCodeList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((code) => code.trim())
    .filter(Boolean);
}

/** A document the principal may read (else 404) and manage (else 403). */
async function findManageableDocument(
  trx: Executor,
  principal: UserPrincipal,
  reader: Reader,
  id: string,
  action: 'change' | 'delete',
): Promise<DocumentRow> {
  const document = await findReadableDocument(trx, reader, id);
  if (!document) throw new AppError('not_found:document', 'No such document.');
  if (!canManageDocument(principal, document)) {
    throw new AppError(
      'forbidden:document',
      `You can read this document but not ${action} it: its scope goes beyond your department or region.`,
    );
  }
  return document;
}

export interface SubmittedDocument {
  document: DocumentRow;
  jobId: string;
  isUnchanged: boolean;
}

const UPLOAD_SOURCE = { kind: 'upload', name: 'Uploads' } as const;

/** An upload: always a new document, stored with its original and queued for ingestion in one transaction. */
export async function createUploadedDocument(
  db: Db,
  queue: JobQueue,
  principal: UserPrincipal,
  upload: {
    file: IncomingFile;
    title?: string | undefined;
    scope: { departments: string[]; regions: string[] };
  },
  ip: string | null,
): Promise<SubmittedDocument> {
  return runAsTenant(db, principal.tenantId, async (trx) => {
    const scope = authorizeScope(principal, await resolveScope(trx, principal.tenantId, upload.scope));
    const sourceId = await ensureSource(trx, { tenantId: principal.tenantId, ...UPLOAD_SOURCE });
    const document = await insertDocument(trx, {
      tenantId: principal.tenantId,
      sourceId,
      sourceItemId: null,
      title: upload.title ?? upload.file.filename,
      url: null,
      ...scope,
      createdBy: principal.userId,
      metadata: { title_is_explicit: upload.title !== undefined },
    });
    await storeOriginal(trx, document, upload.file, contentHash(upload.file.bytes));
    const jobId = await queueIngestion(trx, queue, document, principal.userId);
    await recordAuditEvent(trx, {
      tenantId: principal.tenantId,
      actorUserId: principal.userId,
      action: 'document.uploaded',
      targetType: 'document',
      targetId: document.id,
      after: {
        title: document.title,
        filename: upload.file.filename,
        size_bytes: upload.file.bytes.byteLength,
        department_ids: scope.departmentIds,
        region_ids: scope.regionIds,
      },
      ip,
    });
    return { document, jobId, isUnchanged: false };
  });
}

const NOTEBOOK_SOURCE = { kind: 'notebook', name: 'Notebooks' } as const;

/**
 * A file of a notebook session: a private document with no scope, readable only through its
 * session (documentAccessFilter with a notebook reader), stored with its original. The
 * caller queues its ingestion (queueDocumentJob) in the same transaction.
 */
export async function createNotebookDocument(
  trx: Executor,
  file: {
    tenantId: string;
    sessionId: string;
    userId: string;
    incoming: IncomingFile;
    /** Where citations link to: the notebook's own file route. */
    url: string;
  },
): Promise<DocumentRow> {
  const sourceId = await ensureSource(trx, { tenantId: file.tenantId, ...NOTEBOOK_SOURCE });
  const document = await insertDocument(trx, {
    tenantId: file.tenantId,
    sourceId,
    sourceItemId: null,
    title: file.incoming.filename,
    url: file.url,
    departmentIds: [],
    regionIds: [],
    createdBy: file.userId,
    notebookSessionId: file.sessionId,
    // A notebook file keeps the name its owner knows it by (not a heading found in it).
    metadata: { title_is_explicit: true },
  });
  await storeOriginal(trx, document, file.incoming, contentHash(file.incoming.bytes));
  return document;
}

/**
 * A new version of a document the principal may manage: the content (and the title, if
 * given) changes, the scope never does. The same bytes as the current version are a no-op.
 */
export async function addDocumentVersion(
  db: Db,
  queue: JobQueue,
  principal: UserPrincipal,
  reader: Reader,
  documentId: string,
  version: { file: IncomingFile; title?: string | undefined },
  ip: string | null,
): Promise<SubmittedDocument> {
  return runAsTenant(db, principal.tenantId, async (trx) => {
    const document = await findManageableDocument(trx, principal, reader, documentId, 'change');
    const registered = await registerVersion(trx, document, version);
    const jobId = registered.isUnchanged
      ? await recordFinishedJob(trx, document, principal.userId)
      : await queueIngestion(trx, queue, registered.document, principal.userId);
    await recordAuditEvent(trx, {
      tenantId: principal.tenantId,
      actorUserId: principal.userId,
      action: registered.isUnchanged ? 'document.version_unchanged' : 'document.version_added',
      targetType: 'document',
      targetId: document.id,
      before: { title: document.title, content_hash: document.contentHash },
      after: {
        title: registered.document.title,
        filename: version.file.filename,
        size_bytes: version.file.bytes.byteLength,
      },
      ip,
    });
    return { document: registered.document, jobId, isUnchanged: registered.isUnchanged };
  });
}

/**
 * An item of a source (a folder's file, a web page, a demo document), identified by its
 * id within the source: created on first sight, a new version when its bytes change, a
 * no-op when they do not. The source decides the scope. With a queue the ingestion is
 * queued; without one the caller ingests it (ingestion.service ingestDocument).
 */
export async function submitSourceItem(
  db: Db,
  queue: JobQueue | null,
  item: {
    tenantId: string;
    source: { kind: 'folder' | 'url' | 'demo'; name: string };
    sourceItemId: string;
    file: IncomingFile;
    title?: string | undefined;
    url?: string | null;
    scope: Scope;
  },
): Promise<SubmittedDocument> {
  return db.transaction(async (trx) => {
    const sourceId = await ensureSource(trx, { tenantId: item.tenantId, ...item.source });
    let document = await findDocumentBySourceItem(trx, item.tenantId, sourceId, item.sourceItemId);
    if (!document) {
      document = await insertDocument(trx, {
        tenantId: item.tenantId,
        sourceId,
        sourceItemId: item.sourceItemId,
        title: item.title ?? item.file.filename,
        url: item.url ?? null,
        ...item.scope,
        createdBy: null,
        metadata: { title_is_explicit: item.title !== undefined },
      });
    } else if (
      !sameMembers(document.departmentIds, item.scope.departmentIds) ||
      !sameMembers(document.regionIds, item.scope.regionIds)
    ) {
      // The source's scope changed: its documents follow.
      await updateDocument(trx, item.tenantId, document.id, item.scope);
      document = { ...document, ...item.scope };
    }
    const registered = await registerVersion(trx, document, item);
    if (registered.isUnchanged) {
      return {
        document: registered.document,
        jobId: await recordFinishedJob(trx, document, null),
        isUnchanged: true,
      };
    }
    const jobId = queue ? await queueIngestion(trx, queue, registered.document, null) : randomUUID();
    await recordAuditEvent(trx, {
      tenantId: item.tenantId,
      actorUserId: null,
      action: 'document.submitted',
      targetType: 'document',
      targetId: document.id,
      after: {
        title: registered.document.title,
        source_item_id: item.sourceItemId,
        size_bytes: item.file.bytes.byteLength,
      },
      ip: null,
    });
    return { document: registered.document, jobId, isUnchanged: false };
  });
}

function sameMembers(left: readonly string[], right: readonly string[]): boolean {
  return left.length === right.length && left.every((value) => right.includes(value));
}

/** Stores the bytes of a new version (unless they are the current version's). */
async function registerVersion(
  trx: Executor,
  document: DocumentRow,
  version: { file: IncomingFile; title?: string | undefined },
): Promise<{ document: DocumentRow; isUnchanged: boolean }> {
  const hash = contentHash(version.file.bytes);
  const stored = await findDocumentBlobInfo(trx, document.tenantId, document.id);
  const isTitleUnchanged = version.title === undefined || version.title === document.title;
  if (
    stored?.contentHash === hash &&
    document.contentHash === hash &&
    document.status === 'ready' &&
    isTitleUnchanged
  ) {
    return { document, isUnchanged: true };
  }
  const titleChanges =
    version.title !== undefined
      ? { title: version.title, metadata: { ...document.metadata, title_is_explicit: true } }
      : {};
  await updateDocument(trx, document.tenantId, document.id, {
    ...titleChanges,
    status: document.status === 'ready' ? 'ready' : 'pending',
    error: null,
  });
  await storeOriginal(trx, document, version.file, hash);
  return {
    document: { ...document, ...(version.title !== undefined ? { title: version.title } : {}) },
    isUnchanged: false,
  };
}

function storeOriginal(
  trx: Executor,
  document: DocumentRow,
  file: IncomingFile,
  hash: string,
): Promise<void> {
  return upsertDocumentBlob(trx, {
    tenantId: document.tenantId,
    documentId: document.id,
    filename: file.filename,
    mimeType: file.mimeType ?? null,
    bytes: file.bytes,
    contentHash: hash,
  });
}

function queueIngestion(
  trx: Executor,
  queue: JobQueue,
  document: DocumentRow,
  createdBy: string | null,
): Promise<string> {
  return queueDocumentJob(trx, queue, INGEST_DOCUMENT_JOB, document, createdBy);
}

/**
 * Queues a job over one document (its ingestion, or a module's job that ingests and then
 * does more) with its job record, in the caller's transaction.
 */
export async function queueDocumentJob(
  trx: Executor,
  queue: JobQueue,
  job: JobReference<{ tenantId: string; documentId: string }>,
  document: DocumentRow,
  createdBy: string | null,
): Promise<string> {
  // The queue's tables are not tenant tables: enqueue as the service, in the same transaction.
  const jobId = await withoutTenantRole(trx, () =>
    queue.send(job, { tenantId: document.tenantId, documentId: document.id }, { executor: trx }),
  );
  await recordJob(trx, {
    id: jobId,
    tenantId: document.tenantId,
    kind: job.name,
    documentId: document.id,
    createdBy,
  });
  return jobId;
}

/** A job record for work that needed nothing doing (the same version again). */
async function recordFinishedJob(
  trx: Executor,
  document: DocumentRow,
  createdBy: string | null,
): Promise<string> {
  const jobId = randomUUID();
  await recordJob(trx, {
    id: jobId,
    tenantId: document.tenantId,
    kind: INGEST_DOCUMENT_JOB.name,
    documentId: document.id,
    createdBy,
    isAlreadyDone: true,
  });
  return jobId;
}

/** A stored version waiting to be ingested: the document and its original. */
export interface VersionToIngest {
  document: DocumentRow;
  blob: {
    bytes: Buffer;
    filename: string | null;
    mimeType: string | null;
    contentHash: string;
    sizeBytes: number;
  };
}

/**
 * The document's latest stored version, to hand to the ingestion pipeline: `gone` when the
 * document was deleted, `unchanged` when that version is already its content. A document
 * that is not serving a version yet shows `processing` from here on.
 */
export async function openVersionToIngest(
  db: Db,
  tenantId: string,
  documentId: string,
): Promise<{ status: 'gone' } | { status: 'unchanged' } | { status: 'open'; version: VersionToIngest }> {
  const document = await findDocumentById(db.kysely, tenantId, documentId);
  const blob = await findDocumentBlob(db.kysely, tenantId, documentId);
  if (!document || !blob) return { status: 'gone' };
  if (document.contentHash === blob.contentHash && document.status === 'ready')
    return { status: 'unchanged' };
  if (document.status !== 'ready')
    await updateDocument(db.kysely, tenantId, documentId, { status: 'processing' });
  return { status: 'open', version: { document, blob } };
}

/** The pipeline refused the version: the document says why and keeps serving any earlier one. */
export async function recordRejectedVersion(db: Db, version: VersionToIngest, reason: string): Promise<void> {
  const { document } = version;
  await updateDocument(db.kysely, document.tenantId, document.id, {
    status: document.chunkCount > 0 && document.isActive ? 'ready' : 'failed',
    error: reason,
  });
}

/**
 * Stores a version's chunks: written batch by batch in short transactions under a new
 * generation that retrieval does not see; one short transaction then makes it the
 * document's content and drops the previous version's chunks. Searches keep running
 * meanwhile and keep finding the previous version until the switch. Errors (a provider
 * failing mid-way, say) propagate so the job is retried; a retry first removes what a
 * crashed attempt left. `superseded` when a newer version arrived meanwhile (its own
 * ingestion takes over), `gone` when the document was deleted.
 */
export async function storeVersionChunks(
  db: Db,
  version: VersionToIngest,
  content: VersionContent,
  batches: AsyncIterable<ChunkBatch>,
  onStored?: (chunksWritten: number) => Promise<void> | void,
): Promise<'stored' | 'superseded' | 'gone'> {
  const { document, blob } = version;
  const { tenantId, id: documentId } = document;
  const generation = await allocateGeneration(db.kysely);
  try {
    // What an earlier, interrupted attempt wrote: generations older than this one but the current.
    await deleteOlderGenerations(db.kysely, tenantId, documentId, document.generation, generation);
    let written = 0;
    for await (const batch of batches) {
      await db.transaction(async (trx) => {
        const ids = await insertChunks(
          trx,
          batch.chunks.map((chunk) => ({ ...chunk, tenantId, documentId, generation })),
        );
        if (batch.embeddings) {
          const { embedderId, vectors } = batch.embeddings;
          await storeEmbeddings(
            trx,
            embedderId,
            ids.map((chunkId, index) => ({ chunkId, embedding: vectors[index]! })),
          );
        }
      });
      written += batch.chunks.length;
      await onStored?.(written);
    }
  } catch (error) {
    if (isMissingDocument(error)) return 'gone';
    throw error;
  }
  const isActivated = await db.transaction(async (trx) => {
    const switched = await activateGeneration(trx, tenantId, documentId, {
      generation,
      contentHash: blob.contentHash,
      title: content.title,
      mimeType: content.mimeType,
      sizeBytes: blob.sizeBytes,
      chunkCount: content.chunkCount,
    });
    if (switched) await deleteOlderGenerations(trx, tenantId, documentId, generation);
    else await deleteGeneration(trx, tenantId, documentId, generation);
    return switched;
  });
  if (!isActivated) {
    return (await findDocumentById(db.kysely, tenantId, documentId)) ? 'superseded' : 'gone';
  }
  await db.transaction((trx) => refreshChunkStatistics(trx));
  return 'stored';
}

/** The document row went away under an insert (foreign key violation). */
function isMissingDocument(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23503';
}

/** A document of a batch import, already through the pipeline. */
export interface ImportedDocument {
  sourceItemId: string;
  title: string;
  mimeType: string;
  sizeBytes: number;
  contentHash: string;
  chunks: ChunkContent[];
}

/**
 * Stores many small documents at once (datasets such as BEIR corpora, for evaluation):
 * ready at once, in the caller's transaction, no stored originals.
 */
export async function importDocuments(
  executor: Executor,
  target: {
    tenantId: string;
    source: { kind: 'folder' | 'demo'; name: string };
    departmentIds?: string[];
    regionIds?: string[];
  },
  documents: ImportedDocument[],
  embeddings: { embedderId: string; vectors: number[][] } | null = null,
): Promise<{ documents: number; chunks: number }> {
  if (documents.length === 0) return { documents: 0, chunks: 0 };
  const sourceId = await ensureSource(executor, { tenantId: target.tenantId, ...target.source });
  const idBySourceItem = await insertReadyDocuments(
    executor,
    documents.map((document) => ({
      tenantId: target.tenantId,
      sourceId,
      sourceItemId: document.sourceItemId,
      title: document.title,
      mimeType: document.mimeType,
      sizeBytes: document.sizeBytes,
      contentHash: document.contentHash,
      departmentIds: target.departmentIds ?? [],
      regionIds: target.regionIds ?? [],
      chunkCount: document.chunks.length,
    })),
  );
  const rows = documents.flatMap((document) =>
    document.chunks.map((chunk) => ({
      ...chunk,
      tenantId: target.tenantId,
      documentId: idBySourceItem.get(document.sourceItemId)!,
      generation: 0,
    })),
  );
  const ids = await insertChunks(executor, rows);
  if (embeddings) {
    await storeEmbeddings(
      executor,
      embeddings.embedderId,
      ids.map((chunkId, index) => ({ chunkId, embedding: embeddings.vectors[index]! })),
    );
  }
  return { documents: documents.length, chunks: rows.length };
}

export async function deleteDocument(
  db: Db,
  principal: UserPrincipal,
  reader: Reader,
  id: string,
  ip: string | null,
): Promise<void> {
  await runAsTenant(db, principal.tenantId, async (trx) => {
    const document = await findManageableDocument(trx, principal, reader, id, 'delete');
    await deleteDocumentRow(trx, principal.tenantId, id);
    await recordAuditEvent(trx, {
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

/** Deletes a notebook file's document (the notebook module checked the owner), with its chunks and original. */
export function deleteNotebookDocument(
  trx: Executor,
  tenantId: string,
  documentId: string,
): Promise<boolean> {
  return deleteDocumentRow(trx, tenantId, documentId);
}

/**
 * A document's current title and passages in order (at most `limit`), read through the
 * reader's access filter: nothing when the reader may not read it.
 */
export async function readDocumentPassages(
  executor: Executor,
  reader: Reader,
  documentId: string,
  limit: number,
): Promise<{ title: string; passages: string[] } | null> {
  const document = await findReadableDocument(executor, reader, documentId);
  if (!document?.isActive) return null;
  return {
    title: document.title,
    passages: await listChunkTexts(executor, reader.tenantId, documentId, limit),
  };
}

/** Documents this reader may read, newest first, under row-level security. */
export function listDocuments(
  db: Db,
  reader: Reader,
  filters: DocumentListFilters,
): Promise<{ documents: DocumentRow[]; total: number }> {
  return runAsTenant(db, reader.tenantId, (trx) => listReadableDocuments(trx, reader, filters));
}

export async function getDocument(db: Db, reader: Reader, id: string): Promise<DocumentRow> {
  const document = await runAsTenant(db, reader.tenantId, (trx) => findReadableDocument(trx, reader, id));
  if (!document) throw new AppError('not_found:document', 'No such document.');
  return document;
}

/** A readable document's stored original, with the type to serve it as. */
export async function getDocumentFile(db: Db, reader: Reader, id: string) {
  return runAsTenant(db, reader.tenantId, async (trx) => {
    const document = await findReadableDocument(trx, reader, id);
    if (!document) throw new AppError('not_found:document', 'No such document.');
    const blob = await findDocumentBlob(trx, reader.tenantId, document.id);
    if (!blob) throw new AppError('not_found:document_file', 'The original of this document is not stored.');
    // The sniffed type is stored on the document once parsed; the blob keeps the upload's.
    return {
      bytes: blob.bytes,
      filename: blob.filename,
      mimeType: document.mimeType ?? blob.mimeType,
      title: document.title,
    };
  });
}

/**
 * After the last attempt: a document that never had a version becomes `failed` with the
 * reason; one that had keeps serving it (`ready`) and records why the new one is missing.
 */
export async function markIngestionFailed(
  db: Db,
  tenantId: string,
  documentId: string,
  reason: string,
): Promise<void> {
  const document = await findDocumentById(db.kysely, tenantId, documentId);
  if (!document) return;
  await updateDocument(db.kysely, tenantId, documentId, {
    status: document.chunkCount > 0 && document.isActive ? 'ready' : 'failed',
    error: `The document could not be ingested: ${reason}`,
  });
}

/** Creates dense retrieval's HNSW index for the configured embedding dimension (at start-up). */
export function ensureVectorIndex(db: Db, dimensions: number): Promise<void> {
  return createVectorIndex(db.kysely, dimensions);
}

/** Names (`REGION/DEPT`, region codes) for the scope ids of a tenant's documents. */
export function scopeNamerFor(db: Db, tenantId: string) {
  return loadScopeNames(db.kysely, tenantId);
}
