import {
  createNotebookSessionSchema,
  idParamsSchema,
  notebookFileParamsSchema,
  notebookSessionListSchema,
  notebookSessionSchema,
  notebookUploadAcceptedSchema,
  updateNotebookSessionSchema,
} from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { readMultipartFiles } from '../../platform/http/multipart.ts';
import { sendStoredFile } from '../../platform/http/stored-file.ts';
import { requireUser } from '../access/access.service.ts';
import {
  addFiles,
  createSession,
  deleteFile,
  deleteSession,
  getFileContent,
  getSession,
  listSessions,
  type NotebookSettings,
  pinSession,
  renameSession,
  requireSession,
  type SessionView,
  tenantNotebookUsage,
  unpinSession,
} from './notebook.service.ts';

/** People only (no API keys): a notebook is its owner's, and never reachable by a key. */
const NOTEBOOK_ACCESS = { role: 'user' } as const;
const MAX_FILES_PER_UPLOAD = 20;

function toSessionResponse({ session, files }: SessionView, settings: NotebookSettings) {
  return {
    id: session.id,
    title: session.title,
    is_pinned: session.isPinned,
    expires_at: session.isPinned ? null : session.expiresAt.toISOString(),
    total_size_bytes: session.totalSizeBytes,
    quota_bytes: settings.quotaBytes,
    files: files.map((file) => ({
      id: file.id,
      name: file.name,
      mime_type: file.mimeType,
      size_bytes: file.sizeBytes,
      status: file.status,
      error: file.error,
      chunk_count: file.chunkCount,
      guide: file.guide,
      created_at: file.createdAt.toISOString(),
    })),
    created_at: session.createdAt.toISOString(),
    updated_at: session.updatedAt.toISOString(),
  };
}

export const registerNotebookRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, queue } = app.deps;
  const settings = app.config.notebook;
  const respond = (view: SessionView) => toSessionResponse(view, settings);
  const tags = ['notebook'];

  app.post(
    '/api/v1/notebook/sessions',
    {
      config: { access: NOTEBOOK_ACCESS },
      schema: {
        tags,
        summary: 'Start a private notebook session (expires 24 h after creation unless pinned)',
        body: createNotebookSessionSchema.optional(),
        response: { 201: notebookSessionSchema },
      },
    },
    async (request, reply) => {
      const view = await createSession(db, settings, requireUser(request), request.body?.title);
      return reply.code(201).send(respond(view));
    },
  );

  app.get(
    '/api/v1/notebook/sessions',
    {
      config: { access: NOTEBOOK_ACCESS },
      schema: {
        tags,
        summary: 'Your live notebook sessions, newest first',
        response: { 200: notebookSessionListSchema },
      },
    },
    async (request) => ({ sessions: (await listSessions(db, requireUser(request))).map(respond) }),
  );

  app.get(
    '/api/v1/notebook/sessions/:id',
    {
      config: { access: NOTEBOOK_ACCESS },
      schema: {
        tags,
        summary: 'A session with its files, their indexing status and guides (404 once expired)',
        params: idParamsSchema,
        response: { 200: notebookSessionSchema },
      },
    },
    async (request) => respond(await getSession(db, requireUser(request), request.params.id)),
  );

  app.patch(
    '/api/v1/notebook/sessions/:id',
    {
      config: { access: NOTEBOOK_ACCESS },
      schema: {
        tags,
        summary: 'Rename a session',
        params: idParamsSchema,
        body: updateNotebookSessionSchema,
        response: { 200: notebookSessionSchema },
      },
    },
    async (request) =>
      respond(await renameSession(db, requireUser(request), request.params.id, request.body.title)),
  );

  app.delete(
    '/api/v1/notebook/sessions/:id',
    {
      config: { access: NOTEBOOK_ACCESS },
      schema: {
        tags,
        summary: 'Delete a session with its files, passages and conversation, in one transaction',
        params: idParamsSchema,
      },
    },
    async (request, reply) => {
      await deleteSession(db, requireUser(request), request.params.id, request.ip);
      return reply.code(204).send();
    },
  );

  const pinRoute = (summary: string) => ({
    config: { access: NOTEBOOK_ACCESS },
    schema: { tags, summary, params: idParamsSchema, response: { 200: notebookSessionSchema } },
  });
  app.post(
    '/api/v1/notebook/sessions/:id/pin',
    pinRoute('Pin a session: it no longer expires'),
    async (request) => respond(await pinSession(db, requireUser(request), request.params.id)),
  );
  app.post(
    '/api/v1/notebook/sessions/:id/unpin',
    pinRoute('Unpin a session: it expires 24 h from now'),
    async (request) => respond(await unpinSession(db, settings, requireUser(request), request.params.id)),
  );

  app.post(
    '/api/v1/notebook/sessions/:id/upload',
    {
      config: { access: NOTEBOOK_ACCESS },
      schema: {
        tags,
        summary: 'Add files to a session (multipart, one or more "file" parts); each is indexed as a job',
        description:
          'The same types and size limit as document uploads; all files of a request together must fit in what is left of the session quota (413 otherwise, saying how much is left).',
        consumes: ['multipart/form-data'],
        params: idParamsSchema,
        response: { 202: notebookUploadAcceptedSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      // Refuse before reading the body when the session is not the caller's.
      await requireSession(db, user, request.params.id);
      const { files } = await readMultipartFiles(request, {
        maxBytes: app.config.ingestion.maxBytes,
        maxFiles: MAX_FILES_PER_UPLOAD,
        allowedFields: [],
      });
      const accepted = await addFiles(db, queue, settings, user, request.params.id, files);
      return reply.code(202).send({
        files: accepted.map((file) => ({ file_id: file.fileId, name: file.name, job_id: file.jobId })),
      });
    },
  );

  app.delete(
    '/api/v1/notebook/sessions/:id/files/:file_id',
    {
      config: { access: NOTEBOOK_ACCESS },
      schema: { tags, summary: 'Delete a file with its passages', params: notebookFileParamsSchema },
    },
    async (request, reply) => {
      await deleteFile(db, requireUser(request), request.params.id, request.params.file_id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/notebook/sessions/:id/files/:file_id/content',
    {
      config: { access: NOTEBOOK_ACCESS },
      schema: {
        tags,
        summary: 'The original of a notebook file (what its citations open)',
        params: notebookFileParamsSchema,
      },
    },
    async (request, reply) =>
      sendStoredFile(
        reply,
        await getFileContent(db, requireUser(request), request.params.id, request.params.file_id),
      ),
  );
};

/** Admin (under /api/v1/admin): notebook usage of the tenant — counts and bytes, never content. */
export const registerNotebookAdminRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/notebooks/usage',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Live notebook sessions, pinned sessions, files and bytes of the tenant (never their content)',
        response: {
          200: z.object({ sessions: z.number(), pinned: z.number(), files: z.number(), bytes: z.number() }),
        },
      },
    },
    async (request) => tenantNotebookUsage(app.deps.db, requireUser(request).tenantId),
  );
};
