import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { hasNul, stripControlCharacters } from '../text/control-characters.ts';

/** A file as received in a multipart body. */
export interface ReceivedFile {
  filename: string;
  mimeType?: string | undefined;
  bytes: Uint8Array;
}

/**
 * Reads a multipart body: up to `maxFiles` parts named `file` and the named text fields.
 * Anything else — not multipart, no boundary, a truncated body, an unknown field, a NUL in
 * a name, an empty file — is a 4xx with a message, never a 500.
 */
export async function readMultipartFiles<TField extends string>(
  request: FastifyRequest,
  options: { maxBytes: number; maxFiles: number; allowedFields: readonly TField[] },
): Promise<{ files: ReceivedFile[]; fields: Partial<Record<TField, string>> }> {
  const { maxBytes, maxFiles, allowedFields } = options;
  if (!request.isMultipart()) {
    throw new AppError(
      'unsupported_media_type:upload',
      `Send the ${maxFiles === 1 ? 'document' : 'files'} as multipart/form-data with a "file" field.`,
    );
  }
  const fields: Partial<Record<TField, string>> = {};
  const files: ReceivedFile[] = [];
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: maxFiles, fields: 10 } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file')
          throw new AppError('bad_request:upload', `Unexpected file field "${part.fieldname}".`);
        const bytes = await part.toBuffer();
        const filename = cleanFilename(part.filename);
        if (bytes.byteLength === 0)
          throw new AppError(
            'bad_request:upload',
            `The file${maxFiles === 1 ? '' : ` "${filename}"`} is empty.`,
          );
        files.push({ filename, mimeType: part.mimetype, bytes });
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
    throw multipartError(error, maxBytes, maxFiles);
  }
  if (files.length === 0) throw new AppError('bad_request:upload', 'The upload has no "file" field.');
  return { files, fields };
}

/** A file name as shown and stored: no path, no control characters, at most 255 characters. */
function cleanFilename(filename: string | undefined): string {
  if (filename && hasNul(filename))
    throw new AppError('bad_request:upload', 'The file name contains a NUL character.');
  const base = (filename ?? '').split(/[\\/]/).pop() ?? '';
  const clean = stripControlCharacters(base, { keepLineBreaks: false }).trim().slice(0, 255);
  return clean || 'upload';
}

function multipartError(error: unknown, maxBytes: number, maxFiles: number): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    return new AppError(
      'payload_too_large:upload',
      `The file is larger than the ${Math.round(maxBytes / 1024 / 1024)} MB limit.`,
    );
  }
  if (code === 'FST_FILES_LIMIT') {
    return new AppError(
      'bad_request:upload',
      maxFiles === 1 ? 'Send one file per request.' : `Send at most ${maxFiles} files per request.`,
    );
  }
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT')
    return new AppError('bad_request:upload', 'The form has too many fields.');
  return new AppError(
    'bad_request:multipart',
    `The multipart body could not be read (${(error as Error).message || 'malformed'}); send multipart/form-data with a boundary and a complete body.`,
  );
}
