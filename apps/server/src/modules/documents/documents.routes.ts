import {
  documentListQuerySchema,
  documentListSchema,
  documentSchema,
  idParamsSchema,
  jobSchema,
  uploadAcceptedSchema,
} from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { runAsTenant } from '../../platform/db/tenant-scope.ts';
import { AppError } from '../../platform/errors.ts';
import { requirePrincipal, requireUser } from '../auth/access.ts';
import { readerFromPrincipal } from './access-scope.ts';
import {
  type DocumentRow,
  findDocumentBlob,
  findJobRecord,
  findOrCreateSource,
  findReadableDocument,
  listReadableDocuments,
} from './documents.repository.ts';
import {
  authorizeScope,
  deleteDocument,
  loadScopeNames,
  parseCodeList,
  resolveScope,
  submitDocument,
} from './documents.service.ts';

type ScopeNamer = Awaited<ReturnType<typeof loadScopeNames>>;

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

const UPLOAD_FIELDS = new Set(['title', 'departments', 'regions']);

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
          'Upload a document (multipart: file, title?, departments? "UK/HR,US/HR", regions? "UK"); ingestion runs as a job',
        consumes: ['multipart/form-data'],
        response: { 202: uploadAcceptedSchema },
      },
    },
    async (request, reply) => {
      const principal = requireUser(request);
      if (!request.isMultipart()) {
        throw new AppError(
          'unsupported_media_type:upload',
          'Send the document as multipart/form-data with a "file" field.',
        );
      }
      const fields: Record<string, string> = {};
      let file: { filename: string; mimeType: string; bytes: Buffer } | undefined;
      for await (const part of request.parts({
        limits: { fileSize: limits.maxBytes, files: 1, fields: 10 },
      })) {
        if (part.type === 'file') {
          if (part.fieldname !== 'file')
            throw new AppError('bad_request:upload', `Unexpected file field "${part.fieldname}".`);
          let bytes: Buffer;
          try {
            bytes = await part.toBuffer();
          } catch (error) {
            if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
              throw new AppError(
                'payload_too_large:upload',
                `The file is larger than the ${Math.round(limits.maxBytes / 1024 / 1024)} MB limit.`,
              );
            }
            throw error;
          }
          file = { filename: part.filename || 'upload', mimeType: part.mimetype, bytes };
        } else if (UPLOAD_FIELDS.has(part.fieldname)) {
          fields[part.fieldname] = String(part.value ?? '');
        } else {
          throw new AppError(
            'bad_request:upload',
            `Unknown field "${part.fieldname}"; use file, title, departments, regions.`,
          );
        }
      }
      if (!file) throw new AppError('bad_request:upload', 'The upload has no "file" field.');
      if (file.bytes.byteLength === 0) throw new AppError('bad_request:upload', 'The file is empty.');
      const title = fields.title?.trim() || undefined;
      if (title && title.length > 300)
        throw new AppError('bad_request:upload', 'The title is longer than 300 characters.');
      const scope = authorizeScope(
        principal,
        await resolveScope(db.kysely, principal.tenantId, {
          departments: parseCodeList(fields.departments),
          regions: parseCodeList(fields.regions),
        }),
      );
      const sourceId = await findOrCreateSource(db.kysely, {
        tenantId: principal.tenantId,
        kind: 'upload',
        name: 'Uploads',
      });
      const submitted = await submitDocument(
        db,
        queue,
        limits,
        {
          tenantId: principal.tenantId,
          sourceId,
          sourceItemId: file.filename,
          title,
          filename: file.filename,
          declaredMimeType: file.mimeType,
          bytes: file.bytes,
          ...scope,
          createdBy: principal.userId,
        },
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
        listReadableDocuments(db.kysely, reader, request.query),
        loadScopeNames(db.kysely, principal.tenantId),
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
      const document = await findReadableDocument(
        db.kysely,
        readerFromPrincipal(principal),
        request.params.id,
      );
      if (!document) throw new AppError('not_found:document', 'No such document.');
      return toDocumentResponse(document, await loadScopeNames(db.kysely, principal.tenantId));
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
      const file = await runAsTenant(db, reader.tenantId, async (trx) => {
        const document = await findReadableDocument(trx, reader, request.params.id);
        if (!document) throw new AppError('not_found:document', 'No such document.');
        const blob = await findDocumentBlob(trx, reader.tenantId, document.id);
        if (!blob)
          throw new AppError('not_found:document_file', 'The original of this document is not stored.');
        // The sniffed type is stored on the document once parsed; the blob keeps the upload's.
        return { ...blob, mimeType: document.mimeType ?? blob.mimeType, title: document.title };
      });
      const isPdf = file.mimeType === 'application/pdf';
      const filename = file.filename ?? `${file.title}${isPdf ? '.pdf' : ''}`;
      // Uploaded HTML or SVG must never run on this origin: anything but a PDF is a download,
      // and a sandbox CSP stops scripts even if a browser renders it.
      reply
        .type(file.mimeType ?? 'application/octet-stream')
        .header(
          'content-disposition',
          `${isPdf ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(filename)}`,
        )
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', isPdf ? "default-src 'none'; object-src 'self'" : 'sandbox')
        .header('cache-control', 'private, max-age=300');
      return reply.send(Buffer.from(file.bytes));
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

  app.get(
    '/api/v1/jobs/:id',
    {
      config: { access: { role: 'user' } },
      schema: {
        tags: ['documents'],
        summary: 'Progress of a background job',
        params: idParamsSchema,
        response: { 200: jobSchema },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const job = await findJobRecord(db.kysely, principal.tenantId, request.params.id);
      const isVisible = job && (job.createdBy === principal.userId || principal.role !== 'user');
      if (!job || !isVisible) throw new AppError('not_found:job', 'No such job.');
      return {
        id: job.id,
        kind: job.kind,
        status: job.status,
        progress: job.progress,
        ...(job.error ? { error: job.error } : {}),
        document_id: job.documentId,
        created_at: job.createdAt.toISOString(),
        updated_at: job.updatedAt.toISOString(),
      };
    },
  );
};
