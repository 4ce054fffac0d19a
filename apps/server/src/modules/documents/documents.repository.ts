import type { Executor } from '../../platform/db/database.ts';
import { containsPattern } from '../../platform/db/like.ts';
import type { JobStatusValue } from '../../platform/db/schema.ts';
import { distinctGrams } from '../retrieval/char-grams.ts';
import { documentAccessFilter, type Reader } from './access-scope.ts';

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
    bytes: Buffer.from(blob.bytes.buffer, blob.bytes.byteOffset, blob.bytes.byteLength),
  };
  await executor
    .insertInto('document_blobs')
    .values({ tenant_id: blob.tenantId, document_id: blob.documentId, ...values })
    .onConflict((conflict) => conflict.column('document_id').doUpdateSet(values))
    .execute();
}

export async function findDocumentBlob(executor: Executor, tenantId: string, documentId: string) {
  return executor
    .selectFrom('document_blobs')
    .select([
      'filename',
      'mime_type as mimeType',
      'content_hash as contentHash',
      'bytes',
      'size_bytes as sizeBytes',
    ])
    .where('tenant_id', '=', tenantId)
    .where('document_id', '=', documentId)
    .executeTakeFirst();
}

export interface NewChunk {
  ordinal: number;
  text: string;
  searchText: string;
  page: number | null;
  section: string | null;
  tokenCount: number;
}

/** Replaces a document's chunks (call inside the transaction that marks the new version ready); returns their ids. */
export async function replaceChunks(
  executor: Executor,
  tenantId: string,
  documentId: string,
  chunks: NewChunk[],
): Promise<string[]> {
  await executor
    .deleteFrom('chunks')
    .where('tenant_id', '=', tenantId)
    .where('document_id', '=', documentId)
    .execute();
  return insertChunks(
    executor,
    chunks.map((chunk) => ({ ...chunk, tenantId, documentId })),
  );
}

/** Inserts chunks of one or many documents in batches; returns their ids in the same order. */
export async function insertChunks(
  executor: Executor,
  chunks: (NewChunk & { tenantId: string; documentId: string })[],
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
          ordinal: chunk.ordinal,
          text: chunk.text,
          search_text: chunk.searchText,
          search_grams: distinctGrams(chunk.searchText),
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

export interface JobRow {
  id: string;
  tenantId: string;
  kind: string;
  documentId: string | null;
  status: JobStatusValue;
  progress: number;
  error: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export async function insertJobRecord(
  executor: Executor,
  job: {
    id: string;
    tenantId: string;
    kind: string;
    documentId: string | null;
    createdBy: string | null;
    status?: JobStatusValue;
  },
): Promise<void> {
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

export async function updateJobRecord(
  executor: Executor,
  id: string,
  changes: { status?: JobStatusValue; progress?: number; error?: string | null },
): Promise<void> {
  await executor
    .updateTable('jobs')
    .set({
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.progress !== undefined ? { progress: Math.max(0, Math.min(1, changes.progress)) } : {}),
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
      'error',
      'created_by as createdBy',
      'created_at as createdAt',
      'updated_at as updatedAt',
    ])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findOrCreateSource(
  executor: Executor,
  source: {
    tenantId: string;
    kind: 'upload' | 'folder' | 'url' | 'demo';
    name: string;
    config?: Record<string, unknown>;
  },
): Promise<string> {
  const existing = await executor
    .selectFrom('sources')
    .select('id')
    .where('tenant_id', '=', source.tenantId)
    .where('kind', '=', source.kind)
    .where('name', '=', source.name)
    .executeTakeFirst();
  if (existing) return existing.id;
  const created = await executor
    .insertInto('sources')
    .values({
      tenant_id: source.tenantId,
      kind: source.kind,
      name: source.name,
      config: JSON.stringify(source.config ?? {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return created.id;
}
