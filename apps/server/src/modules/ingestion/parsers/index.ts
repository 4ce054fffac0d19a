/**
 * Document parsing entry point: detects the format from the content, enforces the
 * limits and hands the bytes to the parser for that format. Every failure is a
 * ParseError whose message can be shown to the person who uploaded the file.
 */
import { Buffer } from 'node:buffer';
import { fileTypeFromBuffer } from 'file-type';
import { stripControlCharacters } from '../../../platform/text/control-characters.ts';
import {
  DEFAULT_PARSE_LIMITS,
  type DocumentFormat,
  type ParsedDocument,
  ParseError,
  type ParseLimits,
} from '../ingestion.types.ts';
import { type Detection, isCompoundFile, sniffDocument } from './detect.ts';
import { parseDocx } from './docx.ts';
import { parseHtml } from './html.ts';
import { parseJson } from './json.ts';
import { parseMarkdown } from './markdown.ts';
import { parsePdf } from './pdf.ts';
import { parsePptx } from './pptx.ts';
import { parseText } from './text.ts';
import { parseCsv, parseXlsx } from './xlsx.ts';
import { formatByteSize, isZip } from './zip-guard.ts';

export { MIME_TYPES } from './detect.ts';

export interface DocumentInput {
  bytes: Uint8Array;
  filename?: string;
  declaredMimeType?: string;
}

const SUPPORTED =
  'Upload a PDF, Word (.docx), Excel (.xlsx), CSV, PowerPoint (.pptx), HTML, Markdown, JSON or plain-text file.';

const EMPTY_MESSAGES: Record<DocumentFormat, string> = {
  pdf: 'This PDF has no text to index.',
  docx: 'This Word document has no text to index.',
  xlsx: 'This workbook has no data to index.',
  csv: 'This CSV file has no data to index.',
  pptx: 'This presentation has no text to index.',
  html: 'This web page has no text to index.',
  markdown: 'This Markdown file has no text to index.',
  json: 'This JSON file has no values to index.',
  text: 'This file has no text to index.',
};

/** Detects a document's format from its content; the file name only breaks ties between text formats. */
export function detectFormat(
  bytes: Uint8Array,
  filename?: string,
): { format: DocumentFormat; mimeType: string } | null {
  const detection = sniffDocument(bytes, filename === undefined ? {} : { filename });
  return detection === null ? null : { format: detection.format, mimeType: detection.mimeType };
}

/** Words for the unsupported-type message, from the sniffed type or the container. */
async function describeUnsupported(bytes: Uint8Array): Promise<string> {
  if (isCompoundFile(bytes)) {
    const names = latin1(bytes);
    // Stream names, most specific first (Word text may well contain "Book").
    if (names.includes(utf16('WordDocument'))) return 'Word 97–2003 document (.doc); save it as .docx';
    if (names.includes(utf16('PowerPoint Document'))) {
      return 'PowerPoint 97–2003 presentation (.ppt); save it as .pptx';
    }
    if (names.includes(utf16('Workbook')) || names.includes(utf16('Book\u0000'))) {
      return 'Excel 97–2003 workbook (.xls); save it as .xlsx';
    }
    return 'a legacy Office or OLE file';
  }
  try {
    const type = await fileTypeFromBuffer(bytes);
    if (type !== undefined) return `${type.ext.toUpperCase()} file (${type.mime})`;
  } catch {
    // An unrecognised type is described generically below.
  }
  return isZip(bytes) ? 'a ZIP archive' : 'unrecognised binary content';
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4 * 1024 * 1024)).toString(
    'latin1',
  );
}

function utf16(text: string): string {
  return Buffer.from(text, 'utf16le').toString('latin1');
}

/** Password-protected OOXML files are OLE containers holding `EncryptionInfo` and `EncryptedPackage`. */
function isEncryptedOffice(bytes: Uint8Array): boolean {
  const names = latin1(bytes);
  return names.includes(utf16('EncryptedPackage')) || names.includes(utf16('EncryptionInfo'));
}

async function parseDetected(
  detection: Detection,
  bytes: Uint8Array,
  limits: ParseLimits,
): Promise<ParsedDocument> {
  const text = detection.text ?? '';
  switch (detection.format) {
    case 'pdf':
      return parsePdf(bytes, limits);
    case 'docx':
      return parseDocx(bytes, limits);
    case 'xlsx':
      return parseXlsx(bytes, limits);
    case 'pptx':
      return parsePptx(bytes, limits);
    case 'csv':
      return parseCsv(text, detection.delimiter);
    case 'html':
      return parseHtml(text);
    case 'markdown':
      return parseMarkdown(text);
    case 'json':
      return parseJson(text);
    case 'text':
      return parseText(text);
  }
}

/**
 * Parses a document into text blocks. Throws ParseError: `too_large`, `empty`,
 * `unsupported`, `encrypted`, `corrupt`, `too_many_pages` or `decompressed_too_large`.
 */
export async function parseDocument(
  input: DocumentInput,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): Promise<ParsedDocument> {
  const { bytes } = input;
  if (bytes.byteLength > limits.maxBytes) {
    throw new ParseError(
      'too_large',
      `This file is ${formatByteSize(bytes.byteLength)}; the largest file accepted is ${formatByteSize(limits.maxBytes)}.`,
    );
  }
  if (bytes.byteLength === 0) throw new ParseError('empty', 'This file is empty.');
  if (isCompoundFile(bytes) && isEncryptedOffice(bytes)) {
    throw new ParseError(
      'encrypted',
      'This is a password-protected Office document; remove the password and upload it again.',
    );
  }

  const hints = {
    ...(input.filename === undefined ? {} : { filename: input.filename }),
    ...(input.declaredMimeType === undefined ? {} : { declaredMimeType: input.declaredMimeType }),
  };
  const detection = sniffDocument(bytes, hints);
  if (detection === null) {
    throw new ParseError(
      'unsupported',
      `This file type is not supported: ${await describeUnsupported(bytes)}. ${SUPPORTED}`,
    );
  }

  let document: ParsedDocument;
  try {
    document = await parseDetected(detection, bytes, limits);
  } catch (error) {
    if (error instanceof ParseError) throw error;
    throw Object.assign(
      new ParseError(
        'corrupt',
        'This file could not be read; it may be damaged. Try saving or exporting it again.',
      ),
      { cause: error },
    );
  }
  document = withoutControlCharacters(document);
  if (document.blocks.length === 0) throw new ParseError('empty', EMPTY_MESSAGES[document.format]);
  return document;
}

/**
 * Postgres text cannot hold NUL, and the other control characters are noise in passages
 * and snippets: extracted text is stored without them (a block left empty is dropped).
 */
function withoutControlCharacters(document: ParsedDocument): ParsedDocument {
  const clean = (text: string) => stripControlCharacters(text);
  return {
    ...document,
    title: document.title === null ? null : clean(document.title).trim() || null,
    blocks: document.blocks
      .map((block) => ({ ...block, text: clean(block.text) }))
      .filter((block) => block.text.trim() !== ''),
  };
}
