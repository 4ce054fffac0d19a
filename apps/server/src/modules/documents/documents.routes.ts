import {
  documentListQuerySchema,
  documentListSchema,
  documentSchema,
  idParamsSchema,
  uploadAcceptedSchema,
} from '@nexus/contracts';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../platform/errors.ts';
import { readMultipartFiles } from '../../platform/http/multipart.ts';
import { sendStoredFile } from '../../platform/http/stored-file.ts';
import { readerFromPrincipal, requirePrincipal, requireUser } from '../access/access.service.ts';
import {
  addDocumentVersion,
  createUploadedDocument,
  type DocumentRow,
  deleteDocument,
  getDocument,
  getDocumentFile,
  type IncomingFile,
  listDocuments,
  parseCodeList,
  scopeNamerFor,
} from './documents.service.ts';

type ScopeNamer = Awaited<ReturnType<typeof scopeNamerFor>>;

function toDocumentResponse(document: DocumentRow, names: ScopeNamer) {
  return {
    id: document.id,
    title: document.title,
    url: document.url,
    mime_type: document.mimeType,
    size_bytes: document.sizeBytes,
    status: document.status,
    error: document.error,
    chunk_count: document.chunkCount,
    ...names(document),
    created_at: document.createdAt.toISOString(),
    updated_at: document.updatedAt.toISOString(),
  };
}

const UPLOAD_FIELDS = ['title', 'departments', 'regions'] as const;
const VERSION_FIELDS = ['title'] as const;
const MAX_TITLE_LENGTH = 300;

/** A multipart upload of one document: its `file` and the named text fields. */
async function readMultipart<TField extends string>(
  request: FastifyRequest,
  maxBytes: number,
  allowedFields: readonly TField[],
): Promise<{ file: IncomingFile; fields: Partial<Record<TField, string>> }> {
  const { files, fields } = await readMultipartFiles(request, { maxBytes, maxFiles: 1, allowedFields });
  return { file: files[0]!, fields };
}

function titleField(value: string | undefined): string | undefined {
  const title = value?.trim() || undefined;
  if (title && title.length > MAX_TITLE_LENGTH)
    throw new AppError('bad_request:upload', `The title is longer than ${MAX_TITLE_LENGTH} characters.`);
  return title;
}

export const registerDocumentRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, queue } = app.deps;
  const limits = app.config.ingestion;

  app.post(
    '/api/v1/documents',
    {
      config: { access: { role: 'content_manager' } },
      schema: {
        tags: ['documents'],
        summary:
          'Upload a new document (multipart: file, title?, departments? "UK/HR,US/HR", regions? "UK"); ingestion runs as a job',
        description:
          'Always creates a new document, whatever the file is called. To replace the content of an existing document, post a new version to /api/v1/documents/{id}/versions.',
        consumes: ['multipart/form-data'],
        response: { 202: uploadAcceptedSchema },
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      const { file, fields } = await readMultipart(request, limits.maxBytes, UPLOAD_FIELDS);
      const submitted = await createUploadedDocument(
        db,
        queue,
        principal,
        {
          file,
          title: titleField(fields.title),
          scope: { departments: parseCodeList(fields.departments), regions: parseCodeList(fields.regions) },
        },
        request.ip,
      );
      return reply.status(202).send({
        document_id: submitted.document.id,
        job_id: submitted.jobId,
        status: 'queued' as const,
      });
    },
  );

  app.post(
    '/api/v1/documents/:id/versions',
    {
      config: { access: { role: 'content_manager' } },
      schema: {
        tags: ['documents'],
        summary: 'Replace the content of a document you manage (multipart: file, title?); its scope stays',
        description:
          'The same bytes as the current version answer `unchanged` and queue nothing. Content managers may replace documents whose scope lies within their department or region.',
        consumes: ['multipart/form-data'],
        params: idParamsSchema,
        response: { 202: uploadAcceptedSchema },
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      const { file, fields } = await readMultipart(request, limits.maxBytes, VERSION_FIELDS);
      const submitted = await addDocumentVersion(
        db,
        queue,
        principal,
        readerFromPrincipal(principal),
        request.params.id,
        { file, title: titleField(fields.title) },
        request.ip,
      );
      return reply.status(202).send({
        document_id: submitted.document.id,
        job_id: submitted.jobId,
        status: submitted.isUnchanged ? ('unchanged' as const) : ('queued' as const),
      });
    },
  );

  app.get(
    '/api/v1/documents',
    {
      config: { access: { role: 'user' } },
      schema: {
        tags: ['documents'],
        summary: 'Documents you may read, newest first',
        querystring: documentListQuerySchema,
        response: { 200: documentListSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const reader = readerFromPrincipal(principal);
      const [{ documents, total }, names] = await Promise.all([
        listDocuments(db, reader, request.query),
        scopeNamerFor(db, principal.tenantId),
      ]);
      return { documents: documents.map((document) => toDocumentResponse(document, names)), total };
    },
  );

  app.get(
    '/api/v1/documents/:id',
    {
      config: { access: { role: 'user' } },
      schema: {
        tags: ['documents'],
        summary: 'One document',
        params: idParamsSchema,
        response: { 200: documentSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const document = await getDocument(db, readerFromPrincipal(principal), request.params.id);
      return toDocumentResponse(document, await scopeNamerFor(db, principal.tenantId));
    },
  );

  app.get(
    '/api/v1/documents/:id/file',
    {
      config: { access: { role: 'user', apiKey: true } },
      schema: {
        tags: ['documents'],
        summary: 'The stored original of a document (PDFs inline, other types as downloads)',
        params: idParamsSchema,
      },
    },
    async (request, reply) => {
      const reader = readerFromPrincipal(requirePrincipal(request));
      const file = await getDocumentFile(db, reader, request.params.id);
      return sendStoredFile(reply, file);
    },
  );

  app.delete(
    '/api/v1/documents/:id',
    {
      config: { access: { role: 'content_manager' } },
      schema: {
        tags: ['documents'],
        summary: 'Delete a document with its chunks from every index, in one transaction',
        params: idParamsSchema,
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      await deleteDocument(db, principal, readerFromPrincipal(principal), request.params.id, request.ip);
      return reply.status(204).send();
    },
  );
};
