import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db, Executor } from '../../platform/db/database.ts';
import { runAsTenant } from '../../platform/db/tenant-scope.ts';
import { AppError } from '../../platform/errors.ts';
import type { JobQueue, JobReference } from '../../platform/queue.ts';
import type { Reader, UserPrincipal } from '../access/access.types.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import {
  createNotebookDocument,
  deleteNotebookDocument,
  getDocumentFile,
  type IncomingFile,
  queueDocumentJob,
  readDocumentPassages,
} from '../documents/documents.service.ts';
import {
  countLiveSessions,
  deleteFileRow,
  deleteSessionRow,
  type FileRow,
  findFileByDocument,
  findLiveSession,
  findSessionOwnerId,
  insertFile,
  insertSession,
  listExpiredSessions,
  listFiles,
  listLiveSessions,
  type SessionOwner,
  type SessionRow,
  summarizeTenantNotebooks,
  updateFileGuide,
  updateSession,
} from './notebook.repository.ts';
import type { GuideWriter } from './notebook.types.ts';

/**
 * Notebook sessions: a user's private space over files of their own. A session is its
 * owner's alone — every query names the owner, anyone else (an admin included) gets 404 —
 * and lives `ttlHours` unless pinned; an expired session is 404 at once and the cleanup
 * job deletes it with everything in it. Its files are documents with no scope, readable
 * only through a notebook reader of this session (access.documentAccessFilter), never
 * through the library, search, knowledge chat or an API key. This module owns the
 * notebook_sessions and notebook_files tables.
 */

export type { FileRow, SessionRow } from './notebook.repository.ts';

export interface NotebookSettings {
  ttlHours: number;
  quotaBytes: number;
  maxSessionsPerUser: number;
}

export interface SessionView {
  session: SessionRow;
  files: FileRow[];
}

/** Ingests a notebook file, then writes its guide (handler: notebook.jobs.ts). */
export const NOTEBOOK_FILE_JOB: JobReference<{ tenantId: string; documentId: string }> = {
  name: 'notebook-file',
  version: 1,
  payload: z.object({ tenantId: z.uuid(), documentId: z.uuid() }),
};

const DEFAULT_TITLE = 'Untitled notebook';

function ownerOf(user: UserPrincipal): SessionOwner {
  return { tenantId: user.tenantId, userId: user.userId };
}

async function requireLiveSession(
  trx: Executor,
  owner: SessionOwner,
  id: string,
  options: { forUpdate: boolean } = { forUpdate: false },
): Promise<SessionRow> {
  const session = await findLiveSession(trx, owner, id, options);
  // Someone else's, expired or deleted: all look the same from outside.
  if (!session) throw new AppError('not_found:notebook_session', 'No such notebook session.');
  return session;
}

async function viewOf(trx: Executor, session: SessionRow): Promise<SessionView> {
  return { session, files: await listFiles(trx, session.tenantId, [session.id]) };
}

export async function createSession(
  db: Db,
  settings: NotebookSettings,
  user: UserPrincipal,
  title: string | undefined,
): Promise<SessionView> {
  const owner = ownerOf(user);
  return runAsTenant(db, owner.tenantId, async (trx) => {
    const live = await countLiveSessions(trx, owner);
    if (live >= settings.maxSessionsPerUser) {
      throw new AppError(
        'conflict:notebook_limit',
        `You have ${live} notebooks, the most one person may keep; delete one (or unpin one and let it expire) to start another.`,
      );
    }
    const session = await insertSession(trx, owner, {
      title: title ?? DEFAULT_TITLE,
      ttlHours: settings.ttlHours,
    });
    return { session, files: [] };
  });
}

/** The user's live sessions, newest first, with their files. */
export function listSessions(db: Db, user: UserPrincipal): Promise<SessionView[]> {
  const owner = ownerOf(user);
  return runAsTenant(db, owner.tenantId, async (trx) => {
    const sessions = await listLiveSessions(trx, owner);
    const files = await listFiles(
      trx,
      owner.tenantId,
      sessions.map((session) => session.id),
    );
    return sessions.map((session) => ({
      session,
      files: files.filter((file) => file.sessionId === session.id),
    }));
  });
}

export function getSession(db: Db, user: UserPrincipal, id: string): Promise<SessionView> {
  const owner = ownerOf(user);
  return runAsTenant(db, owner.tenantId, async (trx) =>
    viewOf(trx, await requireLiveSession(trx, owner, id)),
  );
}

export function renameSession(db: Db, user: UserPrincipal, id: string, title: string): Promise<SessionView> {
  return changeSession(db, user, id, { title });
}

/** Pinned: never expires. */
export function pinSession(db: Db, user: UserPrincipal, id: string): Promise<SessionView> {
  return changeSession(db, user, id, { isPinned: true });
}

/** Unpinned: expires `ttlHours` from now. */
export function unpinSession(
  db: Db,
  settings: NotebookSettings,
  user: UserPrincipal,
  id: string,
): Promise<SessionView> {
  return changeSession(db, user, id, { isPinned: false, expiresInHours: settings.ttlHours });
}

function changeSession(
  db: Db,
  user: UserPrincipal,
  id: string,
  changes: { title?: string; isPinned?: boolean; expiresInHours?: number },
): Promise<SessionView> {
  const owner = ownerOf(user);
  return runAsTenant(db, owner.tenantId, async (trx) => {
    await requireLiveSession(trx, owner, id, { forUpdate: true });
    await updateSession(trx, owner, id, changes);
    return viewOf(trx, await requireLiveSession(trx, owner, id));
  });
}

/** Deletes a session with its files, chunks, originals and conversation, in one transaction. */
export async function deleteSession(
  db: Db,
  user: UserPrincipal,
  id: string,
  ip: string | null,
): Promise<void> {
  const owner = ownerOf(user);
  await runAsTenant(db, owner.tenantId, async (trx) => {
    const { session, files } = await viewOf(
      trx,
      await requireLiveSession(trx, owner, id, { forUpdate: true }),
    );
    await deleteSessionRow(trx, owner.tenantId, session.id);
    await recordAuditEvent(trx, {
      tenantId: owner.tenantId,
      actorUserId: owner.userId,
      action: 'notebook.deleted',
      targetType: 'notebook_session',
      targetId: session.id,
      // Counts only: what was in a notebook is its owner's business.
      before: contentCounts(session, files),
      ip,
    });
  });
}

function contentCounts(session: { totalSizeBytes: number }, files: readonly FileRow[]) {
  return {
    files: files.length,
    chunks: files.reduce((sum, file) => sum + file.chunkCount, 0),
    bytes: session.totalSizeBytes,
  };
}

export interface AcceptedFile {
  fileId: string;
  name: string;
  jobId: string;
}

/**
 * Adds files to a session, each stored and queued for indexing in the same transaction;
 * all of them or none. Over the session's quota: 413 saying how much room is left.
 */
export async function addFiles(
  db: Db,
  queue: JobQueue,
  settings: NotebookSettings,
  user: UserPrincipal,
  id: string,
  files: readonly IncomingFile[],
): Promise<AcceptedFile[]> {
  const owner = ownerOf(user);
  return runAsTenant(db, owner.tenantId, async (trx) => {
    // Locked, so two uploads at once cannot both fit into the same remaining room.
    const session = await requireLiveSession(trx, owner, id, { forUpdate: true });
    const adding = files.reduce((sum, file) => sum + file.bytes.byteLength, 0);
    const left = Math.max(settings.quotaBytes - session.totalSizeBytes, 0);
    if (adding > left) {
      throw new AppError(
        'payload_too_large:notebook_quota',
        `These files need ${formatMegabytes(adding)} but this notebook has ${formatMegabytes(left)} left of its ${formatMegabytes(settings.quotaBytes)}; delete a file or start another notebook.`,
        { quota_bytes: settings.quotaBytes, used_bytes: session.totalSizeBytes, left_bytes: left },
      );
    }
    const accepted: AcceptedFile[] = [];
    for (const file of files) {
      const fileId = randomUUID();
      const document = await createNotebookDocument(trx, {
        tenantId: owner.tenantId,
        sessionId: session.id,
        userId: owner.userId,
        incoming: file,
        url: notebookFileUrl(session.id, fileId),
      });
      await insertFile(trx, {
        id: fileId,
        tenantId: owner.tenantId,
        sessionId: session.id,
        documentId: document.id,
        name: file.filename,
        mimeType: file.mimeType ?? null,
        sizeBytes: file.bytes.byteLength,
      });
      const jobId = await queueDocumentJob(trx, queue, NOTEBOOK_FILE_JOB, document, owner.userId);
      accepted.push({ fileId, name: file.filename, jobId });
    }
    await updateSession(trx, owner, session.id, { addBytes: adding });
    return accepted;
  });
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

/** Where a notebook file's citations link to (served by its owner only). */
export function notebookFileUrl(sessionId: string, fileId: string): string {
  return `/api/v1/notebook/sessions/${sessionId}/files/${fileId}/content`;
}

export async function deleteFile(db: Db, user: UserPrincipal, id: string, fileId: string): Promise<void> {
  const owner = ownerOf(user);
  await runAsTenant(db, owner.tenantId, async (trx) => {
    await requireLiveSession(trx, owner, id, { forUpdate: true });
    const deleted = await deleteFileRow(trx, owner.tenantId, id, fileId);
    if (!deleted) throw new AppError('not_found:notebook_file', 'No such file in this notebook.');
    if (deleted.documentId) await deleteNotebookDocument(trx, owner.tenantId, deleted.documentId);
    await updateSession(trx, owner, id, { addBytes: -deleted.sizeBytes });
  });
}

/** The user's live session (404 for anyone else's, an expired or a deleted one): one query. */
export function requireSession(db: Db, user: UserPrincipal, id: string): Promise<SessionRow> {
  return runAsTenant(db, user.tenantId, (trx) => requireLiveSession(trx, ownerOf(user), id));
}

/** A notebook reader: this session's documents (or some of them), for its owner. */
function readerOf(user: UserPrincipal, sessionId: string, documentIds?: string[]): Reader {
  return {
    tenantId: user.tenantId,
    role: user.role,
    departmentId: user.departmentId,
    regionId: user.regionId,
    notebook: { sessionId, userId: user.userId, ...(documentIds ? { documentIds } : {}) },
  };
}

/**
 * The reader that answers from this session: its owner's, over its files (or the chosen
 * ones). 404 for anyone else's or an expired session; 400 for a file it does not hold.
 */
export async function notebookReader(
  db: Db,
  user: UserPrincipal,
  id: string,
  fileIds?: readonly string[],
): Promise<Reader> {
  if (!fileIds) return readerOf(user, (await requireSession(db, user, id)).id);
  const byId = new Map((await getSession(db, user, id)).files.map((file) => [file.id, file]));
  const unknown = fileIds.filter((fileId) => !byId.has(fileId));
  if (unknown.length > 0) {
    throw new AppError('bad_request:notebook_file', `This notebook has no file ${unknown.join(', ')}.`);
  }
  return readerOf(
    user,
    id,
    fileIds.map((fileId) => byId.get(fileId)!.documentId).filter((value) => value !== null),
  );
}

/** A file's original, for its owner (what a citation opens). */
export async function getFileContent(db: Db, user: UserPrincipal, id: string, fileId: string) {
  const file = (await getSession(db, user, id)).files.find((candidate) => candidate.id === fileId);
  if (!file?.documentId) throw new AppError('not_found:notebook_file', 'No such file in this notebook.');
  return getDocumentFile(db, readerOf(user, id, [file.documentId]), file.documentId);
}

const GUIDE_PASSAGES = 200;

/**
 * Writes a file's guide once it is indexed (the notebook-file job, as the service). A
 * file whose session was deleted meanwhile has nothing to write to.
 */
export async function writeFileGuide(
  db: Db,
  tenantId: string,
  documentId: string,
  writeGuide: GuideWriter,
): Promise<boolean> {
  const found = await runAsTenant(db, tenantId, async (trx) => {
    const file = await findFileByDocument(trx, tenantId, documentId);
    if (!file) return null;
    // The guide job reads as the file's own session would.
    const owner = await findSessionOwnerId(trx, tenantId, file.sessionId);
    if (!owner) return null;
    const reader: Reader = {
      tenantId,
      role: 'user',
      departmentId: null,
      regionId: null,
      notebook: { sessionId: file.sessionId, userId: owner, documentIds: [documentId] },
    };
    const content = await readDocumentPassages(trx, reader, documentId, GUIDE_PASSAGES);
    return content ? { file, content } : null;
  });
  if (!found) return false;
  const guide = await writeGuide({ title: found.content.title, passages: found.content.passages });
  await runAsTenant(db, tenantId, (trx) => updateFileGuide(trx, tenantId, found.file.id, guide));
  return true;
}

/**
 * Deletes expired, unpinned sessions of every tenant, one transaction each (so one failure
 * leaves the others done), each audited with counts only.
 */
export async function deleteExpiredSessions(
  db: Db,
  options: { batch?: number; onDeleted?: (removed: { bytes: number }) => void } = {},
): Promise<{ sessions: number; files: number; bytes: number }> {
  const totals = { sessions: 0, files: 0, bytes: 0 };
  const batch = options.batch ?? 200;
  for (;;) {
    const expired = await listExpiredSessions(db.kysely, batch);
    for (const session of expired) {
      const removed = await runAsTenant(db, session.tenantId, async (trx) => {
        const files = await listFiles(trx, session.tenantId, [session.id]);
        if (!(await deleteSessionRow(trx, session.tenantId, session.id))) return null;
        const counts = contentCounts(session, files);
        await recordAuditEvent(trx, {
          tenantId: session.tenantId,
          actorUserId: null,
          action: 'notebook.expired',
          targetType: 'notebook_session',
          targetId: session.id,
          before: counts,
          ip: null,
        });
        return counts;
      });
      if (!removed) continue;
      totals.sessions += 1;
      totals.files += removed.files;
      totals.bytes += removed.bytes;
      options.onDeleted?.({ bytes: removed.bytes });
    }
    if (expired.length < batch) return totals;
  }
}

/** A tenant's notebook usage for admins: counts and bytes, never content. */
export function tenantNotebookUsage(db: Db, tenantId: string) {
  return runAsTenant(db, tenantId, (trx) => summarizeTenantNotebooks(trx, tenantId));
}
