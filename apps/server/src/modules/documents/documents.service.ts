import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db, Executor } from '../../platform/db/database.ts';
import { runAsTenant, withoutTenantRole } from '../../platform/db/tenant-scope.ts';
import type { Embedder } from '../../platform/embeddings.ts';
import { AppError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { JobQueue, JobReference } from '../../platform/queue.ts';
import { authorizeScope, canManageDocument } from '../access/access.service.ts';
import type { Reader, Scope, UserPrincipal } from '../access/access.types.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import {
  type PreparedInThread,
  prepareDocument,
  prepareDocumentInThread,
} from '../ingestion/ingestion.service.ts';
import {
  DEFAULT_PARSE_LIMITS,
  ParseError,
  type ParseLimits,
  type PreparedChunk,
} from '../ingestion/ingestion.types.ts';
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
  listReadableDocuments,
  refreshChunkStatistics,
  storeEmbeddings,
  updateDocument,
  upsertDocumentBlob,
} from './documents.repository.ts';

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

/** The job that ingests a document's latest version (its handler: documents.jobs.ts). */
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
 * queued; without one the caller ingests it (ingestDocumentVersion).
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

async function queueIngestion(
  trx: Executor,
  queue: JobQueue,
  document: DocumentRow,
  createdBy: string | null,
): Promise<string> {
  // The queue's tables are not tenant tables: enqueue as the service, in the same transaction.
  const jobId = await withoutTenantRole(trx, () =>
    queue.send(
      INGEST_DOCUMENT_JOB,
      { tenantId: document.tenantId, documentId: document.id },
      { executor: trx },
    ),
  );
  await recordJob(trx, {
    id: jobId,
    tenantId: document.tenantId,
    kind: INGEST_DOCUMENT_JOB.name,
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

export interface IngestOptions {
  limits?: ParseLimits;
  /** Computes chunk embeddings (dense retrieval) when set. */
  embedder?: Embedder | null;
  log?: Logger;
  /** 0..1 as the work advances. */
  onProgress?: (progress: number) => Promise<void> | void;
  /** Chunks written per transaction (default 50): searches wait at most one batch. */
  batchSize?: number;
}

export type IngestOutcome =
  | { status: 'ingested'; chunkCount: number }
  | { status: 'unchanged' }
  /** A newer version arrived meanwhile; its own ingestion takes over. */
  | { status: 'superseded' }
  /** The document was deleted meanwhile. */
  | { status: 'gone' }
  | { status: 'rejected'; code: ParseError['code']; message: string };

/** Chunks written per transaction: a search waits behind at most one batch (~0.1–0.2 s embedded). */
const DEFAULT_BATCH_SIZE = 50;

/**
 * Ingests a document's stored latest version: the pipeline (in a worker thread) parses and
 * chunks it; the chunks are written in short transactions under a new generation that
 * retrieval does not see; one short transaction then makes it the document's content and
 * drops the previous version's chunks. Searches keep running meanwhile and keep finding
 * the previous version until the switch. A file that cannot be ingested is rejected: the
 * document records why, and any previous version stays searchable. Other errors are
 * thrown so the job is retried; a retry first removes what a crashed attempt left.
 */
export async function ingestDocumentVersion(
  db: Db,
  tenantId: string,
  documentId: string,
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const document = await findDocumentById(db.kysely, tenantId, documentId);
  const blob = await findDocumentBlob(db.kysely, tenantId, documentId);
  if (!document || !blob) return { status: 'gone' };
  if (document.contentHash === blob.contentHash && document.status === 'ready')
    return { status: 'unchanged' };
  if (document.status !== 'ready')
    await updateDocument(db.kysely, tenantId, documentId, { status: 'processing' });
  await options.onProgress?.(0.1);

  let prepared: PreparedInThread;
  try {
    prepared = await prepareDocumentInThread(
      {
        bytes: blob.bytes,
        ...(blob.filename ? { filename: blob.filename } : {}),
        ...(blob.mimeType ? { declaredMimeType: blob.mimeType } : {}),
      },
      {
        limits: options.limits ?? DEFAULT_PARSE_LIMITS,
        title: document.title,
        isTitleFromFile: document.metadata.title_is_explicit !== true,
      },
    );
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    await updateDocument(db.kysely, tenantId, documentId, {
      status: document.chunkCount > 0 && document.isActive ? 'ready' : 'failed',
      error: error.message,
    });
    options.log?.info({ documentId, code: error.code }, 'document rejected');
    return { status: 'rejected', code: error.code, message: error.message };
  }
  await options.onProgress?.(0.3);

  const generation = await allocateGeneration(db.kysely);
  try {
    // What an earlier, interrupted attempt wrote: generations older than this one but the current.
    await deleteOlderGenerations(db.kysely, tenantId, documentId, document.generation, generation);
    let written = 0;
    for await (const batch of prepared.batches(Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE))) {
      // Provider errors propagate: the job is retried and the previous version stays searchable.
      const embeddings = options.embedder
        ? await options.embedder.embed(batch.map((chunk) => chunk.searchText))
        : null;
      await db.transaction(async (trx) => {
        const ids = await insertChunks(
          trx,
          batch.map((chunk) => ({ ...chunk, tenantId, documentId, generation })),
        );
        if (embeddings && options.embedder) {
          await storeEmbeddings(
            trx,
            options.embedder.id,
            ids.map((chunkId, index) => ({ chunkId, embedding: embeddings[index]! })),
          );
        }
      });
      written += batch.length;
      await options.onProgress?.(0.3 + 0.65 * (written / prepared.chunkCount));
    }
  } catch (error) {
    if (isMissingDocument(error)) return { status: 'gone' };
    throw error;
  } finally {
    await prepared.release();
  }
  const isActivated = await db.transaction(async (trx) => {
    const switched = await activateGeneration(trx, tenantId, documentId, {
      generation,
      contentHash: blob.contentHash,
      title: prepared.title,
      mimeType: prepared.mimeType,
      sizeBytes: blob.sizeBytes,
      chunkCount: prepared.chunkCount,
    });
    if (switched) await deleteOlderGenerations(trx, tenantId, documentId, generation);
    else await deleteGeneration(trx, tenantId, documentId, generation);
    return switched;
  });
  if (!isActivated) {
    const exists = await findDocumentById(db.kysely, tenantId, documentId);
    options.log?.info(
      { documentId },
      exists ? 'document version superseded' : 'document deleted during ingestion',
    );
    return exists ? { status: 'superseded' } : { status: 'gone' };
  }
  await db.transaction((trx) => refreshChunkStatistics(trx));
  options.log?.info(
    { documentId, chunks: prepared.chunkCount, format: prepared.format },
    'document ingested',
  );
  return { status: 'ingested', chunkCount: prepared.chunkCount };
}

/** The document row went away under an insert (foreign key violation). */
function isMissingDocument(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23503';
}

export interface BatchItem {
  sourceItemId: string;
  title: string;
  bytes: Uint8Array;
  filename?: string;
}

/**
 * Imports many small documents at once through the same pipeline (datasets such as BEIR
 * corpora, for evaluation): parsed in this thread, one transaction per batch, no stored
 * originals. Items that cannot be parsed are skipped and counted.
 */
export async function importDocuments(
  executor: Executor,
  target: {
    tenantId: string;
    source: { kind: 'folder' | 'demo'; name: string };
    departmentIds?: string[];
    regionIds?: string[];
  },
  items: BatchItem[],
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
  embedder: Embedder | null = null,
): Promise<{ documents: number; chunks: number; rejected: number }> {
  const sourceId = await ensureSource(executor, { tenantId: target.tenantId, ...target.source });
  const prepared: { item: BatchItem; title: string; mimeType: string; chunks: PreparedChunk[] }[] = [];
  let rejected = 0;
  for (const item of items) {
    try {
      const document = await prepareDocument(
        { bytes: item.bytes, filename: item.filename ?? `${item.sourceItemId}.txt` },
        { limits, title: item.title || item.sourceItemId, isTitleFromFile: !item.title },
      );
      prepared.push({ item, title: document.title, mimeType: document.mimeType, chunks: document.chunks });
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      rejected++;
    }
  }
  if (prepared.length === 0) return { documents: 0, chunks: 0, rejected };
  const inserted = await executor
    .insertInto('documents')
    .values(
      prepared.map(({ item, title, mimeType, chunks }) => ({
        tenant_id: target.tenantId,
        source_id: sourceId,
        source_item_id: item.sourceItemId,
        title,
        mime_type: mimeType,
        size_bytes: item.bytes.byteLength,
        content_hash: contentHash(item.bytes),
        department_ids: target.departmentIds ?? [],
        region_ids: target.regionIds ?? [],
        status: 'ready' as const,
        is_active: true,
        chunk_count: chunks.length,
      })),
    )
    .returning(['id', 'source_item_id'])
    .execute();
  const idBySourceItem = new Map(inserted.map((row) => [row.source_item_id, row.id]));
  const rows = prepared.flatMap(({ item, chunks }) =>
    chunks.map((chunk) => ({
      ...chunk,
      tenantId: target.tenantId,
      documentId: idBySourceItem.get(item.sourceItemId)!,
      generation: 0,
    })),
  );
  const embeddings = embedder ? await embedder.embed(rows.map((row) => row.searchText)) : null;
  const ids = await insertChunks(executor, rows);
  if (embeddings && embedder) {
    await storeEmbeddings(
      executor,
      embedder.id,
      ids.map((chunkId, index) => ({ chunkId, embedding: embeddings[index]! })),
    );
  }
  return { documents: prepared.length, chunks: rows.length, rejected };
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
