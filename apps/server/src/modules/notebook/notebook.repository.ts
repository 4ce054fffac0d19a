import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { NotebookGuide } from './notebook.types.ts';

/**
 * The notebook_sessions and notebook_files tables. Every read of a session names its owner
 * and counts only live sessions (pinned, or not yet expired): an expired session is gone
 * for its owner at once, before any cleanup runs.
 */

export interface SessionRow {
  id: string;
  tenantId: string;
  userId: string;
  title: string;
  isPinned: boolean;
  expiresAt: Date;
  totalSizeBytes: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface FileRow {
  id: string;
  sessionId: string;
  documentId: string | null;
  name: string;
  mimeType: string | null;
  sizeBytes: number;
  guide: NotebookGuide | null;
  createdAt: Date;
  /** The document's indexing state. */
  status: 'pending' | 'processing' | 'ready' | 'failed';
  error: string | null;
  chunkCount: number;
}

export interface SessionOwner {
  tenantId: string;
  userId: string;
}

const SESSION_COLUMNS = [
  'notebook_sessions.id as id',
  'notebook_sessions.tenant_id as tenantId',
  'notebook_sessions.user_id as userId',
  'notebook_sessions.title as title',
  'notebook_sessions.is_pinned as isPinned',
  'notebook_sessions.expires_at as expiresAt',
  'notebook_sessions.total_size_bytes as totalSizeBytes',
  'notebook_sessions.created_at as createdAt',
  'notebook_sessions.updated_at as updatedAt',
] as const;

const isLive = sql<boolean>`(notebook_sessions.is_pinned OR notebook_sessions.expires_at > now())`;

function liveSessionsOf(executor: Executor, owner: SessionOwner) {
  return executor
    .selectFrom('notebook_sessions')
    .select(SESSION_COLUMNS)
    .where('notebook_sessions.tenant_id', '=', owner.tenantId)
    .where('notebook_sessions.user_id', '=', owner.userId)
    .where(isLive);
}

function toSession(row: SessionRow): SessionRow {
  return { ...row, totalSizeBytes: Number(row.totalSizeBytes) };
}

export async function insertSession(
  executor: Executor,
  owner: SessionOwner,
  values: { title: string; ttlHours: number },
): Promise<SessionRow> {
  const { id } = await executor
    .insertInto('notebook_sessions')
    .values({
      tenant_id: owner.tenantId,
      user_id: owner.userId,
      title: values.title,
      expires_at: sql`now() + make_interval(secs => ${values.ttlHours * 3600})`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return (await findLiveSession(executor, owner, id, { forUpdate: false }))!;
}

export async function findLiveSession(
  executor: Executor,
  owner: SessionOwner,
  id: string,
  options: { forUpdate: boolean },
): Promise<SessionRow | undefined> {
  let query = liveSessionsOf(executor, owner).where('notebook_sessions.id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? toSession(row) : undefined;
}

export async function listLiveSessions(executor: Executor, owner: SessionOwner): Promise<SessionRow[]> {
  const rows = await liveSessionsOf(executor, owner)
    .orderBy('notebook_sessions.created_at', 'desc')
    .orderBy('notebook_sessions.id')
    .execute();
  return rows.map(toSession);
}

export async function countLiveSessions(executor: Executor, owner: SessionOwner): Promise<number> {
  const row = await executor
    .selectFrom('notebook_sessions')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('tenant_id', '=', owner.tenantId)
    .where('user_id', '=', owner.userId)
    .where(isLive)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function updateSession(
  executor: Executor,
  owner: SessionOwner,
  id: string,
  changes: { title?: string; isPinned?: boolean; expiresInHours?: number; addBytes?: number },
): Promise<void> {
  await executor
    .updateTable('notebook_sessions')
    .set({
      ...(changes.title !== undefined ? { title: changes.title } : {}),
      ...(changes.isPinned !== undefined ? { is_pinned: changes.isPinned } : {}),
      ...(changes.expiresInHours !== undefined
        ? { expires_at: sql`now() + make_interval(secs => ${changes.expiresInHours * 3600})` }
        : {}),
      ...(changes.addBytes !== undefined
        ? { total_size_bytes: sql`greatest(total_size_bytes + ${changes.addBytes}, 0)` }
        : {}),
      updated_at: sql`now()`,
    })
    .where('tenant_id', '=', owner.tenantId)
    .where('user_id', '=', owner.userId)
    .where('id', '=', id)
    .execute();
}

/** Who owns a session, live or not (the guide job, which has no user). */
export async function findSessionOwnerId(
  executor: Executor,
  tenantId: string,
  sessionId: string,
): Promise<string | null> {
  const row = await executor
    .selectFrom('notebook_sessions')
    .select('user_id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', sessionId)
    .executeTakeFirst();
  return row?.user_id ?? null;
}

/** Deletes a session; its files, documents, chunks, blobs and conversation go with it (ON DELETE CASCADE). */
export async function deleteSessionRow(executor: Executor, tenantId: string, id: string): Promise<boolean> {
  const result = await executor
    .deleteFrom('notebook_sessions')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function insertFile(
  executor: Executor,
  file: {
    id: string;
    tenantId: string;
    sessionId: string;
    documentId: string;
    name: string;
    mimeType: string | null;
    sizeBytes: number;
  },
): Promise<void> {
  await executor
    .insertInto('notebook_files')
    .values({
      id: file.id,
      tenant_id: file.tenantId,
      session_id: file.sessionId,
      document_id: file.documentId,
      filename: file.name,
      mime_type: file.mimeType,
      size_bytes: file.sizeBytes,
    })
    .execute();
}

/** The files of sessions (already checked to be the caller's), oldest first, with their indexing state. */
export async function listFiles(
  executor: Executor,
  tenantId: string,
  sessionIds: readonly string[],
): Promise<FileRow[]> {
  if (sessionIds.length === 0) return [];
  const rows = await executor
    .selectFrom('notebook_files')
    .leftJoin('documents', (join) =>
      join
        .onRef('documents.id', '=', 'notebook_files.document_id')
        .onRef('documents.tenant_id', '=', 'notebook_files.tenant_id'),
    )
    .select([
      'notebook_files.id as id',
      'notebook_files.session_id as sessionId',
      'notebook_files.document_id as documentId',
      'notebook_files.filename as name',
      // The type the parser found, once it has run; the upload's until then.
      sql<string | null>`coalesce(documents.mime_type, notebook_files.mime_type)`.as('mimeType'),
      'notebook_files.size_bytes as sizeBytes',
      'notebook_files.guide as guide',
      'notebook_files.created_at as createdAt',
      'documents.status as status',
      'documents.error as error',
      'documents.chunk_count as chunkCount',
    ])
    .where('notebook_files.tenant_id', '=', tenantId)
    .where('notebook_files.session_id', 'in', [...sessionIds])
    .orderBy('notebook_files.created_at')
    .orderBy('notebook_files.id')
    .execute();
  return rows.map((row) => ({
    ...row,
    sizeBytes: Number(row.sizeBytes),
    guide: (row.guide as NotebookGuide | null) ?? null,
    status: row.status ?? 'failed',
    error: row.status ? row.error : 'The file is no longer stored.',
    chunkCount: row.chunkCount ?? 0,
  }));
}

export async function findFileByDocument(
  executor: Executor,
  tenantId: string,
  documentId: string,
): Promise<{ id: string; sessionId: string } | undefined> {
  return executor
    .selectFrom('notebook_files')
    .select(['id', 'session_id as sessionId'])
    .where('tenant_id', '=', tenantId)
    .where('document_id', '=', documentId)
    .executeTakeFirst();
}

export async function updateFileGuide(
  executor: Executor,
  tenantId: string,
  fileId: string,
  guide: NotebookGuide,
): Promise<void> {
  await executor
    .updateTable('notebook_files')
    .set({ guide: JSON.stringify(guide) })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', fileId)
    .execute();
}

/** Deletes a file's row; returns its document (deleted by the caller through the documents service). */
export async function deleteFileRow(
  executor: Executor,
  tenantId: string,
  sessionId: string,
  fileId: string,
): Promise<{ documentId: string | null; sizeBytes: number } | undefined> {
  const row = await executor
    .deleteFrom('notebook_files')
    .where('tenant_id', '=', tenantId)
    .where('session_id', '=', sessionId)
    .where('id', '=', fileId)
    .returning(['document_id as documentId', 'size_bytes as sizeBytes'])
    .executeTakeFirst();
  return row ? { documentId: row.documentId, sizeBytes: Number(row.sizeBytes) } : undefined;
}

/** Expired, unpinned sessions of every tenant (the cleanup job, as the service role), oldest first. */
export async function listExpiredSessions(
  executor: Executor,
  limit: number,
): Promise<{ id: string; tenantId: string; userId: string; totalSizeBytes: number }[]> {
  const rows = await executor
    .selectFrom('notebook_sessions')
    .select(['id', 'tenant_id as tenantId', 'user_id as userId', 'total_size_bytes as totalSizeBytes'])
    .where('is_pinned', '=', false)
    .where('expires_at', '<=', sql<Date>`now()`)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...row, totalSizeBytes: Number(row.totalSizeBytes) }));
}

/** Notebook usage of a tenant without content: for admins (counts and bytes only). */
export async function summarizeTenantNotebooks(
  executor: Executor,
  tenantId: string,
): Promise<{ sessions: number; pinned: number; files: number; bytes: number }> {
  const result = await sql<{ sessions: number; pinned: number; files: number; bytes: number }>`
    SELECT count(*)::int AS sessions, count(*) FILTER (WHERE is_pinned)::int AS pinned,
      (SELECT count(*) FROM notebook_files WHERE tenant_id = ${tenantId})::int AS files,
      coalesce(sum(total_size_bytes), 0)::float8 AS bytes
    FROM notebook_sessions WHERE tenant_id = ${tenantId} AND (is_pinned OR expires_at > now())`.execute(
    executor,
  );
  return result.rows[0]!;
}
