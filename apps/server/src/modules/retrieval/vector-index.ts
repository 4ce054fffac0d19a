import { sql } from 'kysely';
import type { Db, Executor } from '../../platform/db/database.ts';
import { toVectorLiteral, vectorType } from '../../platform/embeddings.ts';
import { documentAccessFilter, type Reader } from '../documents/access-scope.ts';

/**
 * Dense retrieval over chunks.embedding (pgvector). The column has no fixed dimension
 * (models differ), so the HNSW index is an expression index on the cast to the
 * configured dimension, limited to rows of that dimension; queries use the same cast.
 */

export async function ensureVectorIndex(db: Db, dimensions: number): Promise<void> {
  const type = vectorType(dimensions);
  await db.executeSql(
    `CREATE INDEX IF NOT EXISTS chunks_embedding_${type}_${dimensions}_idx ON chunks
       USING hnsw ((embedding::${type}(${dimensions})) ${type}_cosine_ops)
       WHERE vector_dims(embedding) = ${dimensions}`,
  );
}

export async function storeEmbeddings(
  executor: Executor,
  embedderId: string,
  rows: { chunkId: string; embedding: number[] }[],
): Promise<void> {
  const batchSize = 200;
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    await sql`
      UPDATE chunks SET embedding = data.embedding::vector, embedding_model = ${embedderId}
      FROM unnest(${batch.map((row) => row.chunkId)}::uuid[], ${batch.map((row) => toVectorLiteral(row.embedding))}::text[])
        AS data(id, embedding)
      WHERE chunks.id = data.id`.execute(executor);
  }
}

/**
 * The nearest readable chunks to a query vector. The access filter runs inside the index
 * scan with pgvector's iterative scan on, so a narrow scope still yields `limit` results.
 */
export async function rankWithVectors(
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
