import { createHash } from 'node:crypto';
import type { Db, Executor } from '../../platform/db/database.ts';
import type { Embedder } from '../../platform/embeddings.ts';
import type { Logger } from '../../platform/logger.ts';
import {
  type DocumentRow,
  findDocumentBlob,
  findDocumentById,
  findDocumentBySourceItem,
  insertChunks,
  insertDocument,
  insertJobRecord,
  type NewChunk,
  replaceChunks,
  updateDocument,
  updateJobRecord,
  upsertDocumentBlob,
} from '../documents/documents.repository.ts';
import { storeEmbeddings } from '../retrieval/vector-index.ts';
import { chunkDocument } from './chunker.ts';
import {
  type Chunk,
  DEFAULT_PARSE_LIMITS,
  type ParsedDocument,
  ParseError,
  type ParseLimits,
} from './ingestion.types.ts';
import { parseDocument } from './parsers/index.ts';

/**
 * Ingestion: register a document version (bytes + scope) → a job parses it, chunks it
 * along its structure and indexes the chunks. Unchanged content (same SHA-256) is a
 * no-op; a changed document keeps its previous chunks searchable until the new ones
 * replace them in one transaction.
 */

export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What lexical retrieval indexes for a chunk: title and section path weigh in with the text. */
export function searchTextOf(title: string, chunk: Pick<Chunk, 'section' | 'text'>): string {
  return [title, chunk.section, chunk.text].filter(Boolean).join('\n');
}

export function toNewChunks(title: string, chunks: Chunk[]): NewChunk[] {
  return chunks.map((chunk) => ({
    ordinal: chunk.ordinal,
    text: chunk.text,
    searchText: searchTextOf(title, chunk),
    page: chunk.page,
    section: chunk.section,
    tokenCount: chunk.tokenCount,
  }));
}

export interface DocumentVersion {
  tenantId: string;
  sourceId: string;
  /** Stable id of the item within its source: file name, relative path or URL. */
  sourceItemId: string;
  /** Explicit title; otherwise the parsed title or the file name. */
  title?: string | undefined;
  filename: string;
  declaredMimeType?: string | undefined;
  url?: string | null;
  bytes: Uint8Array;
  departmentIds: string[];
  regionIds: string[];
  createdBy: string | null;
}

export interface RegisteredVersion {
  document: DocumentRow;
  /** True when the same content was already ingested: nothing to do. */
  isUnchanged: boolean;
}

/**
 * Records a new version of a document (creating the document if needed) and stores the
 * original; the caller queues the ingestion job in the same transaction.
 */
export async function registerDocumentVersion(
  executor: Executor,
  version: DocumentVersion,
): Promise<RegisteredVersion> {
  const hash = contentHash(version.bytes);
  const existing = await findDocumentBySourceItem(
    executor,
    version.tenantId,
    version.sourceId,
    version.sourceItemId,
  );
  const sameScope =
    existing &&
    sameMembers(existing.departmentIds, version.departmentIds) &&
    sameMembers(existing.regionIds, version.regionIds);
  if (existing && existing.contentHash === hash && existing.status === 'ready' && sameScope) {
    return { document: existing, isUnchanged: true };
  }
  const document =
    existing ??
    (await insertDocument(executor, {
      tenantId: version.tenantId,
      sourceId: version.sourceId,
      sourceItemId: version.sourceItemId,
      title: version.title ?? version.filename,
      url: version.url ?? null,
      departmentIds: version.departmentIds,
      regionIds: version.regionIds,
      createdBy: version.createdBy,
    }));
  await updateDocument(executor, version.tenantId, document.id, {
    ...(version.title ? { title: version.title } : {}),
    departmentIds: version.departmentIds,
    regionIds: version.regionIds,
    status: existing?.status === 'ready' ? 'ready' : 'pending',
    error: null,
  });
  await upsertDocumentBlob(executor, {
    tenantId: version.tenantId,
    documentId: document.id,
    filename: version.filename,
    mimeType: version.declaredMimeType ?? null,
    bytes: version.bytes,
    contentHash: hash,
  });
  return {
    document: { ...document, departmentIds: version.departmentIds, regionIds: version.regionIds },
    isUnchanged: false,
  };
}

function sameMembers(left: string[], right: string[]): boolean {
  return left.length === right.length && left.every((value) => right.includes(value));
}

export interface IngestOptions {
  limits?: ParseLimits;
  /** Computes chunk embeddings (dense retrieval) when set. */
  embedder?: Embedder | null;
  log?: Logger;
  /** 0..1 as the work advances. */
  onProgress?: (progress: number) => Promise<void> | void;
}

export type IngestOutcome =
  | { status: 'ingested'; chunkCount: number }
  | { status: 'unchanged' }
  | { status: 'rejected'; code: ParseError['code']; message: string };

/**
 * Parses, chunks and indexes the stored original of a document. A file that cannot be
 * ingested (corrupt, encrypted, empty, unsupported, over a limit) is rejected: the
 * document records the reason and any previous version stays searchable. Other errors
 * are thrown so the job is retried.
 */
export async function ingestStoredDocument(
  db: Db,
  tenantId: string,
  documentId: string,
  options: IngestOptions = {},
): Promise<IngestOutcome> {
  const [document, blob] = await Promise.all([
    findDocumentById(db.kysely, tenantId, documentId),
    findDocumentBlob(db.kysely, tenantId, documentId),
  ]);
  if (!document || !blob) throw new Error(`Document ${documentId} or its stored file no longer exists`);
  if (document.contentHash === blob.contentHash && document.status === 'ready')
    return { status: 'unchanged' };
  await updateDocument(db.kysely, tenantId, documentId, {
    status: document.status === 'ready' ? 'ready' : 'processing',
  });
  await options.onProgress?.(0.1);

  let parsed: ParsedDocument;
  try {
    parsed = await parseDocument(
      {
        bytes: new Uint8Array(blob.bytes),
        ...(blob.filename ? { filename: blob.filename } : {}),
        ...(blob.mimeType ? { declaredMimeType: blob.mimeType } : {}),
      },
      options.limits ?? DEFAULT_PARSE_LIMITS,
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
  await options.onProgress?.(0.4);

  const chunks = chunkDocument(parsed);
  await options.onProgress?.(0.5);
  const isTitleFromFile = document.title === blob.filename;
  const title = isTitleFromFile && parsed.title ? parsed.title : document.title;
  const newChunks = toNewChunks(title, chunks);
  // Provider errors propagate: the job is retried and the previous version stays searchable.
  const embeddings = options.embedder
    ? await options.embedder.embed(newChunks.map((chunk) => chunk.searchText))
    : null;
  await options.onProgress?.(0.85);

  await db.transaction(async (trx) => {
    const ids = await replaceChunks(trx, tenantId, documentId, newChunks);
    if (embeddings && options.embedder) {
      await storeEmbeddings(
        trx,
        options.embedder.id,
        ids.map((chunkId, index) => ({ chunkId, embedding: embeddings[index]! })),
      );
    }
    await updateDocument(trx, tenantId, documentId, {
      title,
      mimeType: parsed.mimeType,
      sizeBytes: blob.sizeBytes,
      contentHash: blob.contentHash,
      status: 'ready',
      error: null,
      isActive: true,
      chunkCount: chunks.length,
    });
  });
  options.log?.info({ documentId, chunks: chunks.length, format: parsed.format }, 'document ingested');
  return { status: 'ingested', chunkCount: chunks.length };
}

/** Creates the job record users poll (GET /api/v1/jobs/:id). */
export async function recordJob(
  executor: Executor,
  job: {
    id: string;
    tenantId: string;
    documentId: string;
    createdBy: string | null;
    isAlreadyDone?: boolean;
  },
): Promise<void> {
  await insertJobRecord(executor, {
    id: job.id,
    tenantId: job.tenantId,
    kind: 'ingest-document',
    documentId: job.documentId,
    createdBy: job.createdBy,
    status: job.isAlreadyDone ? 'succeeded' : 'queued',
  });
}

export { updateJobRecord };

export interface TextItem {
  sourceItemId: string;
  title: string;
  bytes: Uint8Array;
  filename?: string;
}

/**
 * Ingests many small documents at once through the same parse → chunk → index steps
 * (used for datasets such as BEIR corpora): one transaction per batch, no stored
 * originals. Items that cannot be parsed are skipped and counted.
 */
export async function ingestBatch(
  executor: Executor,
  target: { tenantId: string; sourceId: string; departmentIds?: string[]; regionIds?: string[] },
  items: TextItem[],
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
  embedder: Embedder | null = null,
): Promise<{ documents: number; chunks: number; rejected: number }> {
  const prepared: { item: TextItem; parsed: ParsedDocument; chunks: Chunk[] }[] = [];
  let rejected = 0;
  for (const item of items) {
    try {
      const parsed = await parseDocument(
        { bytes: item.bytes, filename: item.filename ?? `${item.sourceItemId}.txt` },
        limits,
      );
      prepared.push({ item, parsed, chunks: chunkDocument(parsed) });
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      rejected++;
    }
  }
  if (prepared.length === 0) return { documents: 0, chunks: 0, rejected };
  const inserted = await executor
    .insertInto('documents')
    .values(
      prepared.map(({ item, parsed, chunks }) => ({
        tenant_id: target.tenantId,
        source_id: target.sourceId,
        source_item_id: item.sourceItemId,
        title: item.title || parsed.title || item.sourceItemId,
        mime_type: parsed.mimeType,
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
  const rows = prepared.flatMap(({ item, parsed, chunks }) =>
    toNewChunks(item.title || parsed.title || item.sourceItemId, chunks).map((chunk) => ({
      ...chunk,
      tenantId: target.tenantId,
      documentId: idBySourceItem.get(item.sourceItemId)!,
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
