/**
 * Format detection from content. Binary formats are recognised by signature (PDF,
 * ZIP-based Office files by their internal parts, OLE/CFB containers); anything else
 * must be valid text, which is then classified as JSON, HTML, CSV, Markdown or plain
 * text. The file name and declared MIME type only break ties between CSV, Markdown
 * and plain text; they never turn binary content into text or one binary format into
 * another.
 */
import type { DocumentFormat } from '../ingestion.types.ts';
import { isZip, listZipNames } from './zip-guard.ts';

export const MIME_TYPES: Record<DocumentFormat, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  csv: 'text/csv',
  html: 'text/html',
  markdown: 'text/markdown',
  json: 'application/json',
  text: 'text/plain',
};

export interface DetectionHints {
  filename?: string;
  declaredMimeType?: string;
}

export interface Detection {
  format: DocumentFormat;
  mimeType: string;
  /** The decoded text, for text formats. */
  text?: string;
  /** The field delimiter, for CSV. */
  delimiter?: string;
}

const CFB_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** An OLE compound file: legacy Office formats and password-protected OOXML files. */
export function isCompoundFile(bytes: Uint8Array): boolean {
  return CFB_SIGNATURE.every((byte, index) => bytes[index] === byte);
}

function startsWithAscii(bytes: Uint8Array, offset: number, text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (bytes[offset + index] !== text.charCodeAt(index)) return false;
  }
  return true;
}

/** `%PDF-` at the start, after an optional byte-order mark or leading whitespace. */
export function isPdf(bytes: Uint8Array): boolean {
  let offset = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) offset = 3;
  while (offset < 64 && (bytes[offset] === 0x20 || bytes[offset] === 0x0a || bytes[offset] === 0x0d))
    offset++;
  return startsWithAscii(bytes, offset, '%PDF-');
}

/** DOCX, XLSX or PPTX by their main parts; null for any other ZIP. */
function detectOfficeZip(bytes: Uint8Array): DocumentFormat | null {
  const names = new Set(listZipNames(bytes).map((name) => name.toLowerCase()));
  if (names.has('word/document.xml')) return 'docx';
  if (names.has('xl/workbook.xml')) return 'xlsx';
  if (names.has('ppt/presentation.xml')) return 'pptx';
  if (!names.has('[content_types].xml')) return null;
  for (const name of names) {
    if (name.startsWith('word/')) return 'docx';
    if (name.startsWith('xl/')) return 'xlsx';
    if (name.startsWith('ppt/')) return 'pptx';
  }
  return null;
}

/** C0 controls other than tab, line breaks, form feed and escape, plus DEL: rare in real text. */
function countControlCharacters(text: string): number {
  let count = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (
      (code < 0x20 &&
        code !== 0x09 &&
        code !== 0x0a &&
        code !== 0x0b &&
        code !== 0x0c &&
        code !== 0x0d &&
        code !== 0x1b) ||
      code === 0x7f
    ) {
      count++;
    }
  }
  return count;
}

/** Decodes text (UTF-8, or UTF-16 with a byte-order mark); null for binary or invalid UTF-8. */
export function decodeText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) {
      text = new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
      text = new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    } else {
      if (bytes.includes(0)) return null;
      // TextDecoder strips a UTF-8 byte-order mark by default.
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    }
  } catch {
    return null;
  }
  if (text.includes('\u0000')) return null;
  const sample = text.slice(0, 65_536);
  if (countControlCharacters(sample) > sample.length * 0.01) return null;
  // RTF is text on the surface but its content is markup we do not parse.
  if (/^\s*\{\\rtf/.test(sample)) return null;
  return text;
}

type TextHint = 'csv' | 'markdown' | 'text' | null;

function hintFrom(hints: DetectionHints): TextHint {
  const extension = hints.filename?.toLowerCase().match(/\.([a-z0-9]+)$/)?.[1] ?? '';
  const mime = hints.declaredMimeType?.toLowerCase().split(';')[0]?.trim() ?? '';
  if (['csv', 'tsv', 'tab'].includes(extension) || ['text/csv', 'text/tab-separated-values'].includes(mime)) {
    return 'csv';
  }
  if (
    ['md', 'markdown', 'mdown', 'mkd', 'mkdn'].includes(extension) ||
    /^text\/(?:x-)?markdown$/.test(mime)
  ) {
    return 'markdown';
  }
  if (['txt', 'text', 'log'].includes(extension) || mime === 'text/plain') return 'text';
  return null;
}

function looksLikeJson(text: string): boolean {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return false;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}

/** Strong: a full HTML document. Weak: starts with a common HTML element (a fragment). */
function htmlSignal(text: string): 'strong' | 'weak' | null {
  const head = text
    .slice(0, 8192)
    .trimStart()
    .replace(/^<\?xml[^>]*>\s*/i, '')
    .replace(/^(?:<!--[\s\S]*?-->\s*)+/, '');
  if (/^<!doctype\s+html/i.test(head) || /^<(?:html|head|body)[\s>]/i.test(head)) return 'strong';
  if (/^<(?:meta|title|link|base)[\s>/]/i.test(head)) return 'strong';
  if (
    /^<(?:div|p|h[1-6]|article|main|section|table|ul|ol|dl|header|nav|footer|aside|span|a|br|hr|img|style|script|form|blockquote|pre|figure)[\s>/]/i.test(
      head,
    )
  ) {
    return 'weak';
  }
  return null;
}

interface MarkdownSignal {
  score: number;
  isStrong: boolean;
}

/** A pipe-table delimiter row such as `| --- | :---: |` (checked without a backtracking regex). */
export function isTableSeparatorRow(line: string): boolean {
  if (!line.includes('|') || !line.includes('-') || line.length > 10_000) return false;
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|')) row = row.slice(0, -1);
  const cells = row.split('|').map((cell) => cell.trim());
  return cells.length > 0 && cells.every((cell) => /^:?-+:?$/.test(cell));
}

function markdownSignal(text: string): MarkdownSignal {
  // Lines are capped so that no pattern below can take more than linear-times-a-constant time.
  const sample = text
    .slice(0, 65_536)
    .split('\n')
    .map((line) => (line.length > 2000 ? line.slice(0, 2000) : line))
    .join('\n');
  const hasHeading = /^ {0,3}#{1,6}[ \t]+\S/m.test(sample) || /\S[ \t]*\n {0,3}=+[ \t]*$/m.test(sample);
  const hasFence = /^ {0,3}(?:```|~~~)/m.test(sample);
  const hasTable = sample.split('\n').some(isTableSeparatorRow);
  const features = [
    hasHeading,
    hasFence,
    hasTable,
    /^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S/m.test(sample),
    /!?\[[^\]\n]+\]\([^)\s]+(?:\s+"[^"\n]*")?\)/.test(sample),
    /\*\*[^*\n]+\*\*|__[^_\n]+__/.test(sample),
    /^ {0,3}>[ \t]?\S/m.test(sample),
  ];
  const score = features.filter(Boolean).length;
  return { score, isStrong: hasHeading || hasFence || hasTable || score >= 2 };
}

/** Splits CSV text into records of fields (RFC 4180 quoting). */
export function parseDelimited(
  text: string,
  delimiter: string,
  maxRecords = Number.POSITIVE_INFINITY,
): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let isQuoted = false;
  let index = 0;
  while (index < text.length && records.length < maxRecords) {
    const char = text[index] as string;
    if (isQuoted) {
      if (char === '"') {
        if (text[index + 1] === '"') {
          field += '"';
          index += 2;
          continue;
        }
        isQuoted = false;
      } else {
        field += char;
      }
      index++;
      continue;
    }
    if (char === '"' && field.trim() === '') {
      isQuoted = true;
      field = '';
    } else if (char === delimiter) {
      record.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      if (char === '\r' && text[index + 1] === '\n') index++;
    } else {
      field += char;
    }
    index++;
  }
  if (records.length < maxRecords && (field !== '' || record.length > 0)) {
    record.push(field);
    records.push(record);
  }
  return records;
}

interface CsvSignal {
  delimiter: string;
  isStrong: boolean;
}

/** A consistent delimiter structure over several lines, without blank lines between records. */
function csvSignal(text: string): CsvSignal | null {
  let sample = text.slice(0, 65_536);
  if (sample.length < text.length) sample = sample.slice(0, Math.max(0, sample.lastIndexOf('\n')));
  sample = sample.replace(/^\s+|\s+$/g, '');
  const lines = sample.split(/\r\n|\r|\n/);
  if (lines.length < 2) return null;
  const blankLines = lines.filter((line) => line.trim() === '').length;
  if (blankLines > lines.length * 0.1) return null;

  let best: (CsvSignal & { score: number }) | null = null;
  for (const delimiter of [',', '\t', ';', '|']) {
    const records = parseDelimited(sample, delimiter, 200).filter((record) =>
      record.some((f) => f.trim() !== ''),
    );
    const header = records[0];
    if (header === undefined || header.length < 2 || records.length < 2) continue;
    const matching = records.filter((record) => record.length === header.length).length;
    if (matching < records.length * 0.9) continue;
    const fields = records.flat().map((field) => field.trim().length);
    const averageLength = fields.reduce((sum, length) => sum + length, 0) / fields.length;
    if (averageLength > 80) continue;
    const score = records.length * header.length;
    if (best === null || score > best.score) {
      best = {
        delimiter,
        score,
        // Two columns of prose can share a comma per line; tabs or wider tables are tabular.
        isStrong: records.length >= 3 && (header.length >= 3 || records.length >= 5 || delimiter === '\t'),
      };
    }
  }
  return best === null ? null : { delimiter: best.delimiter, isStrong: best.isStrong };
}

/** The candidate delimiter that occurs most often on the first non-empty line. */
function guessDelimiter(text: string): string {
  const firstLine = text.split(/\r\n|\r|\n/).find((line) => line.trim() !== '') ?? '';
  let best = ',';
  let bestCount = 0;
  for (const delimiter of [',', '\t', ';', '|']) {
    const count = firstLine.split(delimiter).length - 1;
    if (count > bestCount) {
      best = delimiter;
      bestCount = count;
    }
  }
  return best;
}

function classifyText(text: string, hints: DetectionHints): Detection {
  const result = (format: DocumentFormat, extra: Partial<Detection> = {}): Detection => ({
    format,
    mimeType: MIME_TYPES[format],
    text,
    ...extra,
  });
  if (text.trim() === '') return result('text');
  if (looksLikeJson(text)) return result('json');

  const markdown = markdownSignal(text);
  const html = htmlSignal(text);
  if (html === 'strong' || (html === 'weak' && !markdown.isStrong)) return result('html');

  const csv = csvSignal(text);
  const asCsv = (signal: CsvSignal): Detection =>
    result('csv', {
      delimiter: signal.delimiter,
      ...(signal.delimiter === '\t' ? { mimeType: 'text/tab-separated-values' } : {}),
    });

  const hint = hintFrom(hints);
  // Named as CSV: trust it even when the columns are ragged or there is only one.
  if (hint === 'csv' && !markdown.isStrong)
    return asCsv(csv ?? { delimiter: guessDelimiter(text), isStrong: false });
  if (hint === 'markdown') return csv?.isStrong && markdown.score === 0 ? asCsv(csv) : result('markdown');
  if (hint === 'text') {
    if (csv?.isStrong && markdown.score === 0) return asCsv(csv);
    return markdown.isStrong ? result('markdown') : result('text');
  }
  if (csv?.isStrong && !markdown.isStrong) return asCsv(csv);
  return markdown.score > 0 ? result('markdown') : result('text');
}

/** Detects the format of `bytes` from their content; null when the content is not supported. */
export function sniffDocument(bytes: Uint8Array, hints: DetectionHints = {}): Detection | null {
  if (bytes.byteLength === 0) return null;
  if (isPdf(bytes)) return { format: 'pdf', mimeType: MIME_TYPES.pdf };
  if (isZip(bytes)) {
    const format = detectOfficeZip(bytes);
    return format === null ? null : { format, mimeType: MIME_TYPES[format] };
  }
  if (isCompoundFile(bytes)) return null;
  const text = decodeText(bytes);
  return text === null ? null : classifyText(text, hints);
}
