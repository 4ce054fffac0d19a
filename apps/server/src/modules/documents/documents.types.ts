/**
 * Types other modules use to hand content to the documents module (a leaf: no imports).
 */

/** A chunk as the indexes store it: what the ingestion pipeline produces. */
export interface ChunkContent {
  ordinal: number;
  text: string;
  /** What lexical retrieval reads: title, section heading path and text. */
  searchText: string;
  /** Each character 4-gram of searchText once (platform/text/char-grams.ts). */
  searchGrams: string;
  page: number | null;
  section: string | null;
  tokenCount: number;
}

/** One batch of a version's chunks, with their embeddings when dense retrieval is on. */
export interface ChunkBatch {
  chunks: ChunkContent[];
  embeddings: { embedderId: string; vectors: number[][] } | null;
}

/** What the pipeline learnt about a version as a whole. */
export interface VersionContent {
  title: string;
  mimeType: string;
  chunkCount: number;
}
