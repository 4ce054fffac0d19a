import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { containsPattern } from '../../platform/db/like.ts';
import { toVectorLiteral, vectorType } from '../../platform/embeddings.ts';
import { documentAccessFilter } from '../access/access.service.ts';
import type { Reader } from '../access/access.types.ts';
import type { ChunkContent } from './documents.types.ts';

export interface DocumentRow {
  id: string;
  tenantId: string;
  sourceId: string | null;
  sourceItemId: string | null;
  title: string;
  url: string | null;
  mimeType: string | null;
  sizeBytes: number | null;
  contentHash: string | null;
  departmentIds: string[];
  regionIds: string[];
  status: 'pending' | 'processing' | 'ready' | 'failed';
  error: string | null;
  isActive: boolean;
  chunkCount: number;
  /** The chunk generation that is this document's content. */
  generation: number;
  metadata: Record<string, unknown>;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const DOCUMENT_COLUMNS = [
  'documents.id as id',
  'documents.tenant_id as tenantId',
  'documents.source_id as sourceId',
  'documents.source_item_id as sourceItemId',
  'documents.title as title',
  'documents.url as url',
  'documents.mime_type as mimeType',
  'documents.size_bytes as sizeBytes',
  'documents.content_hash as contentHash',
  'documents.department_ids as departmentIds',
  'documents.region_ids as regionIds',
  'documents.status as status',
  'documents.error as error',
  'documents.is_active as isActive',
  'documents.chunk_count as chunkCount',
  'documents.generation as generation',
  'documents.metadata as metadata',
  'documents.created_by as createdBy',
  'documents.created_at as createdAt',
  'documents.updated_at as updatedAt',
] as const;

function selectDocuments(executor: Executor) {
  return executor.selectFrom('documents').select(DOCUMENT_COLUMNS);
}

export async function findDocumentBySourceItem(
  executor: Executor,
  tenantId: string,
  sourceId: string,
  sourceItemId: string,
): Promise<DocumentRow | undefined> {
  return selectDocuments(executor)
    .where('tenant_id', '=', tenantId)
    .where('source_id', '=', sourceId)
    .where('source_item_id', '=', sourceItemId)
    .executeTakeFirst();
}

/** A document by id, only if this reader may read it (the access filter is in the SQL). */
export async function findReadableDocument(
  executor: Executor,
  reader: Reader,
  id: string,
): Promise<DocumentRow | undefined> {
  return selectDocuments(executor)
    .where('documents.id', '=', id)
    .where(documentAccessFilter(reader))
    .executeTakeFirst();
}

export async function findDocumentById(
  executor: Executor,
  tenantId: string,
  id: string,
): Promise<DocumentRow | undefined> {
  return selectDocuments(executor).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export interface DocumentListFilters {
  status?: DocumentRow['status'] | undefined;
  search?: string | undefined;
  limit: number;
  offset: number;
}

export async function listReadableDocuments(
  executor: Executor,
  reader: Reader,
  filters: DocumentListFilters,
): Promise<{ documents: DocumentRow[]; total: number }> {
  let query = executor.selectFrom('documents').where(documentAccessFilter(reader));
  if (filters.status) query = query.where('documents.status', '=', filters.status);
  if (filters.search) {
    const pattern = containsPattern(filters.search);
    query = query.where('documents.title', 'ilike', pattern);
  }
  const [documents, count] = await Promise.all([
    query
      .select(DOCUMENT_COLUMNS)
      .orderBy('documents.updated_at', 'desc')
      .limit(filters.limit)
      .offset(filters.offset)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { documents, total: Number(count.total) };
}

export interface NewDocument {
  tenantId: string;
  sourceId: string | null;
  sourceItemId: string | null;
  title: string;
  url: string | null;
  departmentIds: string[];
  regionIds: string[];
  createdBy: string | null;
  metadata?: Record<string, unknown>;
  /** A notebook file: readable through its session only (never by scope). */
  notebookSessionId?: string;
}

export async function insertDocument(executor: Executor, document: NewDocument): Promise<DocumentRow> {
  return executor
    .insertInto('documents')
    .values({
      tenant_id: document.tenantId,
      source_id: document.sourceId,
      source_item_id: document.sourceItemId,
      title: document.title,
      url: document.url,
      department_ids: document.departmentIds,
      region_ids: document.regionIds,
      created_by: document.createdBy,
      metadata: JSON.stringify(document.metadata ?? {}),
      notebook_session_id: document.notebookSessionId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
    .then(async ({ id }) => (await findDocumentById(executor, document.tenantId, id))!);
}

export async function updateDocument(
  executor: Executor,
  tenantId: string,
  id: string,
  changes: Partial<{
    title: string;
    url: string | null;
    mimeType: string | null;
    sizeBytes: number | null;
    contentHash: string | null;
    departmentIds: string[];
    regionIds: string[];
    status: DocumentRow['status'];
    error: string | null;
    isActive: boolean;
    chunkCount: number;
    metadata: Record<string, unknown>;
  }>,
): Promise<void> {
  await executor
    .updateTable('documents')
    .set({
      ...(changes.title !== undefined ? { title: changes.title } : {}),
      ...(changes.url !== undefined ? { url: changes.url } : {}),
      ...(changes.mimeType !== undefined ? { mime_type: changes.mimeType } : {}),
      ...(changes.sizeBytes !== undefined ? { size_bytes: changes.sizeBytes } : {}),
      ...(changes.contentHash !== undefined ? { content_hash: changes.contentHash } : {}),
      ...(changes.departmentIds !== undefined ? { department_ids: changes.departmentIds } : {}),
      ...(changes.regionIds !== undefined ? { region_ids: changes.regionIds } : {}),
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.error !== undefined ? { error: changes.error } : {}),
      ...(changes.isActive !== undefined ? { is_active: changes.isActive } : {}),
      ...(changes.chunkCount !== undefined ? { chunk_count: changes.chunkCount } : {}),
      ...(changes.metadata !== undefined ? { metadata: JSON.stringify(changes.metadata) } : {}),
      updated_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

export async function deleteDocumentRow(executor: Executor, tenantId: string, id: string): Promise<boolean> {
  // Chunks, blob and notebook links go with it (ON DELETE CASCADE), in this same statement.
  const result = await executor
    .deleteFrom('documents')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** The texts of a document's current chunks, in order (at most `limit`). */
export async function listChunkTexts(
  executor: Executor,
  tenantId: string,
  documentId: string,
  limit: number,
): Promise<string[]> {
  const rows = await executor
    .selectFrom('chunks')
    .innerJoin('documents', (join) =>
      join
        .onRef('documents.id', '=', 'chunks.document_id')
        .onRef('documents.generation', '=', 'chunks.generation'),
    )
    .select('chunks.text')
    .where('chunks.tenant_id', '=', tenantId)
    .where('chunks.document_id', '=', documentId)
    .orderBy('chunks.ordinal')
    .limit(limit)
    .execute();
  return rows.map((row) => row.text);
}

/** Originals are stored in parts of this size (0008). */
const BLOB_PART_BYTES = 1024 * 1024;

/**
 * Stores a document's original, replacing any earlier one, in parts of 1 MiB that travel
 * as base64 and are decoded by the database: one 20 MB bytea parameter took PGlite 11 s
 * to take in and held the server's thread for a fifth of a second; parts keep every
 * step small.
 */
export async function upsertDocumentBlob(
  executor: Executor,
  blob: {
    tenantId: string;
    documentId: string;
    filename: string | null;
    mimeType: string | null;
    bytes: Uint8Array;
    contentHash: string;
  },
): Promise<void> {
  const values = {
    filename: blob.filename,
    mime_type: blob.mimeType,
    size_bytes: blob.bytes.byteLength,
    content_hash: blob.contentHash,
  };
  await executor
    .insertInto('document_blobs')
    .values({ tenant_id: blob.tenantId, document_id: blob.documentId, ...values })
    .onConflict((conflict) => conflict.column('document_id').doUpdateSet(values))
    .execute();
  await executor.deleteFrom('document_blob_parts').where('document_id', '=', blob.documentId).execute();
  const bytes = Buffer.from(blob.bytes.buffer, blob.bytes.byteOffset, blob.bytes.byteLength);
  for (let offset = 0, part = 0; offset < bytes.byteLength || part === 0; offset += BLOB_PART_BYTES, part++) {
    const base64 = bytes.subarray(offset, offset + BLOB_PART_BYTES).toString('base64');
    await sql`
      INSERT INTO document_blob_parts (document_id, tenant_id, part, bytes)
      VALUES (${blob.documentId}, ${blob.tenantId}, ${part}, decode(${base64}, 'base64'))`.execute(executor);
  }
}

export interface BlobInfo {
  filename: string | null;
  mimeType: string | null;
  contentHash: string;
  sizeBytes: number;
}

/** What is stored of a document's original, without its bytes. */
export async function findDocumentBlobInfo(
  executor: Executor,
  tenantId: string,
  documentId: string,
): Promise<BlobInfo | undefined> {
  return executor
    .selectFrom('document_blobs')
    .select(['filename', 'mime_type as mimeType', 'content_hash as contentHash', 'size_bytes as sizeBytes'])
    .where('tenant_id', '=', tenantId)
    .where('document_id', '=', documentId)
    .executeTakeFirst();
}

/** A document's original with its bytes, read part by part (as base64: far faster than bytea on PGlite). */
export async function findDocumentBlob(
  executor: Executor,
  tenantId: string,
  documentId: string,
): Promise<(BlobInfo & { bytes: Buffer }) | undefined> {
  const info = await findDocumentBlobInfo(executor, tenantId, documentId);
  if (!info) return undefined;
  const bytes = Buffer.allocUnsafe(info.sizeBytes);
  let offset = 0;
  for (let part = 0; offset < info.sizeBytes; part++) {
    const row = await sql<{ base64: string }>`
      SELECT encode(bytes, 'base64') AS base64 FROM document_blob_parts
      WHERE tenant_id = ${tenantId} AND document_id = ${documentId} AND part = ${part}`.execute(executor);
    const base64 = row.rows[0]?.base64;
    if (base64 === undefined)
      throw new Error(`Part ${part} of the original of document ${documentId} is missing`);
    offset += bytes.write(base64, offset, 'base64');
  }
  return { ...info, bytes };
}

/** Documents that are ready at once (batch imports); returns their ids by source item id. */
export async function insertReadyDocuments(
  executor: Executor,
  documents: {
    tenantId: string;
    sourceId: string;
    sourceItemId: string;
    title: string;
    mimeType: string;
    sizeBytes: number;
    contentHash: string;
    departmentIds: string[];
    regionIds: string[];
    chunkCount: number;
  }[],
): Promise<Map<string, string>> {
  const inserted = await executor
    .insertInto('documents')
    .values(
      documents.map((document) => ({
        tenant_id: document.tenantId,
        source_id: document.sourceId,
        source_item_id: document.sourceItemId,
        title: document.title,
        mime_type: document.mimeType,
        size_bytes: document.sizeBytes,
        content_hash: document.contentHash,
        department_ids: document.departmentIds,
        region_ids: document.regionIds,
        status: 'ready' as const,
        is_active: true,
        chunk_count: document.chunkCount,
      })),
    )
    .returning(['id', 'source_item_id'])
    .execute();
  return new Map(inserted.map((row) => [row.source_item_id!, row.id]));
}

/** A number no generation of any document had before (a sequence). */
export async function allocateGeneration(executor: Executor): Promise<number> {
  const result = await sql<{
    generation: number;
  }>`SELECT nextval('document_generation_seq')::float8 AS generation`.execute(executor);
  return Number(result.rows[0]!.generation);
}

/** Inserts one batch of a document version's chunks under its generation; returns their ids in order. */
export async function insertChunks(
  executor: Executor,
  chunks: (ChunkContent & { tenantId: string; documentId: string; generation: number })[],
): Promise<string[]> {
  const batchSize = 500;
  const ids: string[] = [];
  for (let start = 0; start < chunks.length; start += batchSize) {
    const batch = chunks.slice(start, start + batchSize);
    const inserted = await executor
      .insertInto('chunks')
      .values(
        batch.map((chunk) => ({
          tenant_id: chunk.tenantId,
          document_id: chunk.documentId,
          generation: chunk.generation,
          ordinal: chunk.ordinal,
          text: chunk.text,
          search_text: chunk.searchText,
          search_grams: chunk.searchGrams,
          page: chunk.page,
          section: chunk.section,
          token_count: chunk.tokenCount,
        })),
      )
      .returning(['id', 'document_id', 'ordinal'])
      .execute();
    // Map back by (document, ordinal) rather than relying on RETURNING's order.
    const idByKey = new Map(inserted.map((row) => [`${row.document_id}:${row.ordinal}`, row.id]));
    for (const chunk of batch) ids.push(idByKey.get(`${chunk.documentId}:${chunk.ordinal}`)!);
  }
  return ids;
}

/**
 * Makes `generation` the document's content, with its metadata, if it is newer than the
 * current one and the stored original is still the one it was made from (otherwise a
 * newer version has arrived and its own ingestion will switch). Returns whether it switched.
 */
export async function activateGeneration(
  executor: Executor,
  tenantId: string,
  documentId: string,
  version: {
    generation: number;
    contentHash: string;
    title: string;
    mimeType: string;
    sizeBytes: number;
    chunkCount: number;
  },
): Promise<boolean> {
  const result = await executor
    .updateTable('documents')
    .set({
      generation: version.generation,
      title: version.title,
      mime_type: version.mimeType,
      size_bytes: version.sizeBytes,
      content_hash: version.contentHash,
      chunk_count: version.chunkCount,
      status: 'ready',
      error: null,
      is_active: true,
      updated_at: new Date(),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', documentId)
    .where('generation', '<', version.generation)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('document_blobs')
          .select(sql.lit(1).as('one'))
          .where('document_blobs.document_id', '=', documentId)
          .where('document_blobs.content_hash', '=', version.contentHash),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Deletes a document's chunks of every generation but `keep` that is older than `below`
 * (default: older than `keep`) — a newer generation may be being written by another job.
 */
export async function deleteOlderGenerations(
  executor: Executor,
  tenantId: string,
  documentId: string,
  keep: number,
  below: number = keep,
): Promise<number> {
  const result = await executor
    .deleteFrom('chunks')
    .where('tenant_id', '=', tenantId)
    .where('document_id', '=', documentId)
    .where('generation', '<>', keep)
    .where('generation', '<', below)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes one generation's chunks (an abandoned or superseded version). */
export async function deleteGeneration(
  executor: Executor,
  tenantId: string,
  documentId: string,
  generation: number,
): Promise<void> {
  await executor
    .deleteFrom('chunks')
    .where('tenant_id', '=', tenantId)
    .where('document_id', '=', documentId)
    .where('generation', '=', generation)
    .execute();
}

/**
 * Refreshes the planner's statistics on chunks when the table has grown or shrunk by a
 * fifth since they were taken. The embedded database has no autovacuum: without this a
 * table that grew from 100 to 20,000 chunks is still planned as tiny. A small sample of
 * the small columns the plans depend on is enough (a full ANALYZE of 10,000 large chunks
 * held the embedded database for 4 s). Run it inside a transaction. Returns whether it ran.
 */
export async function refreshChunkStatistics(executor: Executor): Promise<boolean> {
  const { rows } = await sql<{ estimated: number; actual: number }>`
    SELECT greatest(pg_class.reltuples, 0)::float8 AS estimated,
           (SELECT coalesce(sum(chunk_count), 0) FROM documents)::float8 AS actual
    FROM pg_class WHERE pg_class.oid = 'chunks'::regclass`.execute(executor);
  const { estimated = 0, actual = 0 } = rows[0] ?? {};
  if (Math.abs(actual - estimated) <= 0.2 * Math.max(actual, 1_000)) return false;
  await sql`SET LOCAL default_statistics_target = 10`.execute(executor);
  await sql`ANALYZE chunks (tenant_id, document_id, generation)`.execute(executor);
  await sql`ANALYZE documents`.execute(executor);
  return true;
}

/**
 * Dense retrieval's index on chunks.embedding (pgvector). The column has no fixed dimension
 * (models differ), so the HNSW index is an expression index on the cast to the configured
 * dimension, limited to rows of that dimension; queries use the same cast.
 */
export async function ensureVectorIndex(executor: Executor, dimensions: number): Promise<void> {
  const type = vectorType(dimensions);
  await sql
    .raw(
      `CREATE INDEX IF NOT EXISTS chunks_embedding_${type}_${dimensions}_idx ON chunks
       USING hnsw ((embedding::${type}(${dimensions})) ${type}_cosine_ops)
       WHERE vector_dims(embedding) = ${dimensions}`,
    )
    .execute(executor);
}

export async function storeEmbeddings(
  executor: Executor,
  embedderId: string,
  rows: { chunkId: string; embedding: number[] }[],
): Promise<void> {
  const batchSize = 200;
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    await sql`
      UPDATE chunks SET embedding = data.embedding::vector, embedding_model = ${embedderId}
      FROM unnest(${batch.map((row) => row.chunkId)}::uuid[], ${batch.map((row) => toVectorLiteral(row.embedding))}::text[])
        AS data(id, embedding)
      WHERE chunks.id = data.id`.execute(executor);
  }
}
