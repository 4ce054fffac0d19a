import type { FastifyReply } from 'fastify';

/**
 * Sends a stored original (a document's, a notebook file's). Uploaded HTML or SVG must
 * never run on this origin: anything but a PDF is a download, and a sandbox CSP stops
 * scripts even if a browser renders it.
 */
export function sendStoredFile(
  reply: FastifyReply,
  file: { bytes: Uint8Array; filename: string | null; mimeType: string | null; title: string },
) {
  const isPdf = file.mimeType === 'application/pdf';
  const filename = file.filename ?? `${file.title}${isPdf ? '.pdf' : ''}`;
  return reply
    .type(file.mimeType ?? 'application/octet-stream')
    .header(
      'content-disposition',
      `${isPdf ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(filename)}`,
    )
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', isPdf ? "default-src 'none'; object-src 'self'" : 'sandbox')
    .header('cache-control', 'private, max-age=300')
    .send(Buffer.from(file.bytes));
}
