import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { toVectorLiteral, vectorType } from '../../platform/embeddings.ts';
import { documentAccessFilter } from '../access/access.service.ts';
import type { Reader } from '../access/access.types.ts';

/**
 * Retrieval's SQL: a read model over the documents module's chunks and documents. Every
 * query that can return content carries the reader's access filter, and only the chunks
 * of a document's current generation are ever read.
 */

/** A chunk in a ranking, best first. */
export interface Ranked {
  id: string;
  document_id: string;
  score: number;
}

export interface PassageRow {
  chunk_id: string;
  document_id: string;
  source_item_id: string | null;
  title: string;
  url: string | null;
  page: number | null;
  section: string | null;
  text: string;
}

const DOCUMENT_FILE_PREFIX = '/api/v1/documents/';

/** A passage's link: the document's own URL, else its stored original (`/file`). */
const SELECT_PASSAGE = sql`chunks.id AS chunk_id, chunks.document_id, documents.source_item_id, documents.title,
  coalesce(documents.url, CASE WHEN EXISTS (SELECT 1 FROM document_blobs WHERE document_blobs.document_id = documents.id)
    THEN ${sql.lit(DOCUMENT_FILE_PREFIX)} || documents.id || '/file' END) AS url,
  chunks.page, chunks.section, chunks.text`;

/** How many active documents, and current chunks of them, the reader may read (for narrow readers: a notebook). */
export async function countReadable(
  executor: Executor,
  reader: Reader,
): Promise<{ documents: number; chunks: number }> {
  const result = await sql<{ documents: number; chunks: number }>`
    SELECT count(*)::int AS documents, coalesce(sum(documents.chunk_count), 0)::int AS chunks
    FROM documents WHERE documents.is_active AND ${documentAccessFilter(reader)}`.execute(executor);
  return result.rows[0] ?? { documents: 0, chunks: 0 };
}

/** The passages of these chunks (access-filtered again). */
export async function readPassages(
  executor: Executor,
  reader: Reader,
  ids: readonly string[],
): Promise<PassageRow[]> {
  if (ids.length === 0) return [];
  const result = await sql<PassageRow>`
    SELECT ${SELECT_PASSAGE}
    FROM chunks JOIN documents ON documents.id = chunks.document_id AND documents.generation = chunks.generation
    WHERE chunks.tenant_id = ${reader.tenantId} AND ${documentAccessFilter(reader)}
      AND chunks.id = ANY(${ids}::uuid[])`.execute(executor);
  return result.rows;
}

/** The lexical text (title, section, chunk) of candidates already filtered for the reader. */
export async function readSearchTexts(
  executor: Executor,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const texts = await sql<{ id: string; search_text: string }>`
    SELECT chunks.id, chunks.search_text FROM chunks
    WHERE chunks.tenant_id = ${tenantId} AND chunks.id = ANY(${ids}::uuid[])`.execute(executor);
  return new Map(texts.rows.map((row) => [row.id, row.search_text]));
}

/**
 * Gram weights from pg_textsearch: a gram's BM25 score against a text of just itself is
 * its idf times a factor that is the same for every gram (one occurrence, length one).
 */
export async function readGramWeights(
  executor: Executor,
  grams: readonly string[],
): Promise<Map<string, number>> {
  const result = await sql<{ gram: string; weight: number }>`
    SELECT gram, -bm25_text_bm25query_score(gram, to_bm25query(gram, 'chunks_grams_bm25_idx'))::float8 AS weight
    FROM unnest(${grams}::text[]) AS gram`.execute(executor);
  return new Map(result.rows.map((row) => [row.gram, row.weight]));
}

/** pg_textsearch's two BM25 indexes: stemmed words (0007) and character grams (0006). */
export interface BM25Index {
  column: 'search_words' | 'search_grams';
  name: string;
}
export const WORD_INDEX: BM25Index = { column: 'search_words', name: 'chunks_search_bm25_idx' };
export const GRAM_INDEX: BM25Index = { column: 'search_grams', name: 'chunks_grams_bm25_idx' };

/**
 * `ORDER BY <@> LIMIT n` is answered by walking the BM25 index, whatever the planner's
 * statistics say: with none (a table that just grew, no autovacuum on the embedded
 * database) it chose a sort over every chunk of the tenant, tokenising each row again —
 * 27 s per query on a 10,000-chunk document instead of 20 ms. On for the rest of the
 * transaction, or until switched off.
 */
export async function walkIndexesOnly(executor: Executor, isOn: boolean): Promise<void> {
  const setting = isOn ? 'off' : 'on';
  await sql`SELECT set_config('enable_sort', ${setting}, true), set_config('enable_bitmapscan', ${setting}, true)`.execute(
    executor,
  );
}

/**
 * The first `window` chunks of the tenant in BM25 order, each with its index score and
 * whether this reader may read it (the access decision, made in SQL). Every row of the
 * window comes back, so its size tells whether the index ran out.
 */
export async function scanIndexWindow(
  executor: Executor,
  reader: Reader,
  index: BM25Index,
  text: string,
  window: number,
): Promise<(Ranked & { readable: boolean })[]> {
  const result = await sql<Ranked & { readable: boolean }>`
    SELECT window_chunks.id, window_chunks.document_id, window_chunks.score,
           EXISTS (
             SELECT 1 FROM documents
             WHERE documents.id = window_chunks.document_id AND documents.generation = window_chunks.generation
               AND documents.is_active AND ${documentAccessFilter(reader)}
           ) AS readable
    FROM (
      SELECT chunks.id, chunks.document_id, chunks.generation, chunks.score, row_number() OVER () AS rank
      FROM (
        -- The index scan's own score (writing the <@> expression again would re-tokenise each row).
        SELECT chunks.id, chunks.document_id, chunks.generation, -bm25_get_current_score()::float8 AS score
        FROM chunks
        WHERE chunks.tenant_id = ${reader.tenantId}
        ORDER BY ${sql.ref(`chunks.${index.column}`)} <@> to_bm25query(${text}, ${index.name})
        LIMIT ${window}
      ) AS chunks
    ) AS window_chunks
    ORDER BY window_chunks.rank`.execute(executor);
  return result.rows;
}

/** Exact BM25 scores of a few chunks (the <@> operator tokenises each row again). */
export async function readExactScores(
  executor: Executor,
  tenantId: string,
  index: BM25Index,
  text: string,
  ids: readonly string[],
): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const scored = await sql<{ id: string; score: number }>`
    SELECT chunks.id, -(${sql.ref(`chunks.${index.column}`)} <@> to_bm25query(${text}, ${index.name}))::float8 AS score
    FROM chunks
    WHERE chunks.tenant_id = ${tenantId} AND chunks.id = ANY(${ids}::uuid[])`.execute(executor);
  return new Map(scored.rows.map((row) => [row.id, row.score]));
}

/** Each whitespace piece of a query as the word index reads it (nexus_word_text, 0007), with its lexemes. */
export async function analyzeQueryPieces(
  executor: Executor,
  pieces: readonly string[],
): Promise<{ words: string; lexemes: string[] }[]> {
  const result = await sql<{ words: string; lexemes: string[] }>`
    SELECT words.words,
           coalesce((SELECT array_agg(lexeme) FROM unnest(to_tsvector('english', words.words))), '{}') AS lexemes
    FROM unnest(${pieces}::text[]) WITH ORDINALITY AS pieces(piece, ordinal)
    CROSS JOIN LATERAL (SELECT nexus_word_text(pieces.piece) AS words) AS words
    ORDER BY pieces.ordinal`.execute(executor);
  return result.rows;
}

/**
 * BM25 computed in SQL, for databases without pg_textsearch. Words: the query's lexemes
 * (same English stemming as the index) are looked up in the chunk_terms postings; each
 * posting contributes idf · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl)), with document
 * frequencies and average length taken over the tenant's chunks; the access filter keeps
 * the readable chunks, best first.
 */
export async function rankByFullText(
  executor: Executor,
  reader: Reader,
  query: string,
  options: { pool: number; k1: number; b: number },
): Promise<Ranked[]> {
  const { k1, b } = options;
  const words = await sql<Ranked>`
    WITH terms AS MATERIALIZED (
      SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', nexus_word_text(${query})))
    ),
    stats AS MATERIALIZED (
      SELECT count(*)::float8 AS n, greatest(avg(token_count), 1)::float8 AS avgdl FROM chunks WHERE tenant_id = ${reader.tenantId}
    ),
    frequencies AS MATERIALIZED (
      SELECT chunk_terms.term, count(*)::float8 AS df
      FROM chunk_terms JOIN terms ON terms.term = chunk_terms.term
      WHERE chunk_terms.tenant_id = ${reader.tenantId}
      GROUP BY chunk_terms.term
    ),
    scored AS MATERIALIZED (
      SELECT chunk_terms.chunk_id,
             sum(
               ln(1 + (stats.n - frequencies.df + 0.5) / (frequencies.df + 0.5))
               * (chunk_terms.tf * (${sql.lit(k1)} + 1))
               / (chunk_terms.tf + ${sql.lit(k1)} * (1 - ${sql.lit(b)} + ${sql.lit(b)} * chunk_terms.dl / stats.avgdl))
             ) AS score
      FROM chunk_terms
      JOIN frequencies ON frequencies.term = chunk_terms.term
      CROSS JOIN stats
      WHERE chunk_terms.tenant_id = ${reader.tenantId}
      GROUP BY chunk_terms.chunk_id
    )
    SELECT chunks.id, chunks.document_id, scored.score::float8 AS score
    FROM scored
    JOIN chunks ON chunks.id = scored.chunk_id
    JOIN documents ON documents.id = chunks.document_id AND documents.generation = chunks.generation
    WHERE documents.is_active AND ${documentAccessFilter(reader)}
    ORDER BY scored.score DESC, chunks.id
    LIMIT ${options.pool}`.execute(executor);
  return words.rows;
}

/**
 * The nearest readable chunks to a query vector. The access filter runs inside the index
 * scan with pgvector's iterative scan on, so a narrow scope still yields `limit` results.
 */
export async function rankByVectors(
  executor: Executor,
  reader: Reader,
  embedding: number[],
  dimensions: number,
  limit: number,
): Promise<{ id: string; document_id: string }[]> {
  const type = sql.raw(`${vectorType(dimensions)}(${dimensions})`);
  await sql`SET LOCAL hnsw.iterative_scan = relaxed_order`.execute(executor);
  await sql`SET LOCAL hnsw.ef_search = ${sql.lit(Math.max(40, limit * 2))}`.execute(executor);
  const result = await sql<{ id: string; document_id: string }>`
    SELECT nearest.id, nearest.document_id FROM (
      SELECT chunks.id, chunks.document_id, chunks.embedding::${type} <=> ${toVectorLiteral(embedding)}::${type} AS distance
      FROM chunks
      WHERE chunks.tenant_id = ${reader.tenantId}
        AND vector_dims(chunks.embedding) = ${sql.lit(dimensions)}
        AND EXISTS (
          SELECT 1 FROM documents
          WHERE documents.id = chunks.document_id AND documents.generation = chunks.generation
            AND documents.is_active AND ${documentAccessFilter(reader)}
        )
      ORDER BY chunks.embedding::${type} <=> ${toVectorLiteral(embedding)}::${type}
      LIMIT ${limit}
    ) AS nearest
    ORDER BY nearest.distance`.execute(executor);
  return result.rows;
}
