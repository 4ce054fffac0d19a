import { DEFAULT_PARSE_LIMITS as CONFIGURED_DEFAULTS } from '../../config.ts';
import type { Embedder } from '../../platform/embeddings.ts';
import type { Logger } from '../../platform/logger.ts';
import type { ChunkContent } from '../documents/documents.types.ts';

/**
 * What parsers produce and the chunker consumes: a document as an ordered list of
 * text blocks that keep the structure retrieval and citations need (pages, headings,
 * table rows).
 */

export type DocumentFormat = 'pdf' | 'docx' | 'xlsx' | 'csv' | 'pptx' | 'html' | 'markdown' | 'json' | 'text';

export type BlockKind = 'heading' | 'paragraph' | 'list_item' | 'table_row' | 'code';

export interface TextBlock {
  kind: BlockKind;
  /** Plain text. Table rows read as `Header: value | Header: value` so each row stands alone. */
  text: string;
  /** 1-based page (PDF) or slide (PPTX) number; absent for formats without pages. */
  page?: number;
  /** Heading level 1–6, for headings. */
  level?: number;
  /** Sheet or table name, for table rows. */
  table?: string;
}

export interface ParsedDocument {
  /** Detected from the content, not the file name. */
  format: DocumentFormat;
  mimeType: string;
  /** From document metadata or the first top-level heading; null when neither exists. */
  title: string | null;
  blocks: TextBlock[];
  /** Pages (PDF) or slides (PPTX); null for formats without pages. */
  pageCount: number | null;
}

export interface ParseLimits {
  /** Largest input accepted, in bytes. */
  maxBytes: number;
  /** Most pages (PDF) or slides (PPTX). */
  maxPages: number;
  /** Most bytes a ZIP-based file (DOCX, XLSX, PPTX) may expand to — zip-bomb guard. */
  maxDecompressedBytes: number;
}

/** The configuration's defaults (NEXUS_MAX_UPLOAD_BYTES, NEXUS_MAX_PAGES, NEXUS_MAX_DECOMPRESSED_BYTES). */
export const DEFAULT_PARSE_LIMITS: ParseLimits = CONFIGURED_DEFAULTS;
export type ParseErrorCode =
  | 'empty'
  | 'encrypted'
  | 'corrupt'
  | 'unsupported'
  | 'too_large'
  | 'too_many_pages'
  | 'decompressed_too_large'
  | 'too_complex';

/** A file that cannot be ingested; the message is shown to the person who uploaded it. */
export class ParseError extends Error {
  override name = 'ParseError';

  constructor(
    readonly code: ParseErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Chunk {
  /** 0-based position in the document. */
  ordinal: number;
  text: string;
  /** The page every block of this chunk came from (chunks never span pages), or null. */
  page: number | null;
  /** Heading path of the section the chunk sits in, e.g. "Annual leave › Carry-over", or null. */
  section: string | null;
  tokenCount: number;
}

/** A chunk as the indexes store it (the documents module's shape). */
export type PreparedChunk = ChunkContent;

export interface PreparedDocument {
  title: string;
  format: DocumentFormat;
  mimeType: string;
  chunks: PreparedChunk[];
}

export interface PrepareOptions {
  limits: ParseLimits;
  /** The document's title as stored; replaced by the parsed title when it is just the file name. */
  title: string;
  isTitleFromFile: boolean;
}

export interface IngestOptions {
  limits?: ParseLimits;
  /** Computes chunk embeddings (dense retrieval) when set. */
  embedder?: Embedder | null;
  log?: Logger;
  /** 0..1 as the work advances. */
  onProgress?: (progress: number) => Promise<void> | void;
  /** Chunks written per transaction (default 50): searches wait at most one batch. */
  batchSize?: number;
}

export type IngestOutcome =
  | { status: 'ingested'; chunkCount: number }
  | { status: 'unchanged' }
  /** A newer version arrived meanwhile; its own ingestion takes over. */
  | { status: 'superseded' }
  /** The document was deleted meanwhile. */
  | { status: 'gone' }
  | { status: 'rejected'; code: ParseErrorCode; message: string };

/** One document of a batch import (an evaluation dataset's corpus). */
export interface ImportItem {
  sourceItemId: string;
  title: string;
  bytes: Uint8Array;
  filename?: string;
}
