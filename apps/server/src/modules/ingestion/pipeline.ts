import { distinctGrams } from '../../platform/text/char-grams.ts';
import { chunkDocument } from './chunker.ts';
import type { Chunk, PreparedChunk, PreparedDocument, PrepareOptions } from './ingestion.types.ts';
import { type DocumentInput, parseDocument } from './parsers/index.ts';

/**
 * The ingestion pipeline: bytes in, index-ready chunks out — sniff, parse along the
 * document's structure, chunk, and compute each chunk's lexical fields. It touches no
 * database; the documents module stores what it hands back. Runs in a worker thread
 * (pipeline-thread.ts) so that a large file never blocks the server's event loop.
 */

/** What lexical retrieval indexes for a chunk: title and section path weigh in with the text. */
export function searchTextOf(title: string, chunk: Pick<Chunk, 'section' | 'text'>): string {
  return [title, chunk.section, chunk.text].filter(Boolean).join('\n');
}

export function toPreparedChunks(title: string, chunks: readonly Chunk[]): PreparedChunk[] {
  return chunks.map((chunk) => {
    const searchText = searchTextOf(title, chunk);
    return {
      ordinal: chunk.ordinal,
      text: chunk.text,
      searchText,
      searchGrams: distinctGrams(searchText),
      page: chunk.page,
      section: chunk.section,
      tokenCount: chunk.tokenCount,
    };
  });
}

/** Parses and chunks one file. Throws ParseError for a file that cannot be ingested. */
export async function prepareDocument(
  input: DocumentInput,
  options: PrepareOptions,
): Promise<PreparedDocument> {
  const parsed = await parseDocument(input, options.limits);
  const title = options.isTitleFromFile && parsed.title ? parsed.title : options.title;
  return {
    title,
    format: parsed.format,
    mimeType: parsed.mimeType,
    chunks: toPreparedChunks(title, chunkDocument(parsed)),
  };
}
