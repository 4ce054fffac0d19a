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
import { hasNul, stripControlCharacters } from '../../platform/text/control-characters.ts';
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

/**
 * Reads a multipart body: one `file` part and the named text fields. Anything else —
 * not multipart, no boundary, a truncated body, an unknown field, a NUL in a name — is a
 * 4xx with a message, never a 500.
 */
async function readMultipart<TField extends string>(
  request: FastifyRequest,
  maxBytes: number,
  allowedFields: readonly TField[],
): Promise<{ file: IncomingFile; fields: Partial<Record<TField, string>> }> {
  if (!request.isMultipart()) {
    throw new AppError(
      'unsupported_media_type:upload',
      'Send the document as multipart/form-data with a "file" field.',
    );
  }
  const fields: Partial<Record<TField, string>> = {};
  let file: IncomingFile | undefined;
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 10 } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file')
          throw new AppError('bad_request:upload', `Unexpected file field "${part.fieldname}".`);
        const bytes = await part.toBuffer();
        file = { filename: cleanFilename(part.filename), mimeType: part.mimetype, bytes };
      } else if ((allowedFields as readonly string[]).includes(part.fieldname)) {
        const value = String(part.value ?? '');
        if (hasNul(value))
          throw new AppError('bad_request:upload', `The "${part.fieldname}" field contains a NUL character.`);
        fields[part.fieldname as TField] = value;
      } else {
        throw new AppError(
          'bad_request:upload',
          `Unknown field "${part.fieldname}"; use file${allowedFields.map((name) => `, ${name}`).join('')}.`,
        );
      }
    }
  } catch (error) {
    throw multipartError(error, maxBytes);
  }
  if (!file) throw new AppError('bad_request:upload', 'The upload has no "file" field.');
  if (file.bytes.byteLength === 0) throw new AppError('bad_request:upload', 'The file is empty.');
  return { file, fields };
}

/** A file name as shown and stored: no path, no control characters, at most 255 characters. */
function cleanFilename(filename: string | undefined): string {
  if (filename && hasNul(filename))
    throw new AppError('bad_request:upload', 'The file name contains a NUL character.');
  const base = (filename ?? '').split(/[\\/]/).pop() ?? '';
  const clean = stripControlCharacters(base, { keepLineBreaks: false }).trim().slice(0, 255);
  return clean || 'upload';
}

function multipartError(error: unknown, maxBytes: number): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    return new AppError(
      'payload_too_large:upload',
      `The file is larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit.`,
    );
  }
  if (code === 'FST_FILES_LIMIT') return new AppError('bad_request:upload', 'Send one file per request.');
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT')
    return new AppError('bad_request:upload', 'The form has too many fields.');
  return new AppError(
    'bad_request:multipart',
    `The multipart body could not be read (${(error as Error).message || 'malformed'}); send multipart/form-data with a boundary and a complete body.`,
  );
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
};
