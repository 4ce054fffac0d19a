import { randomBytes } from 'node:crypto';
import type { DatabaseConfig, EmbeddingConfig } from '../../config.ts';
import { detectCapabilities, openDatabase } from '../../platform/db/database.ts';
import { migrate } from '../../platform/db/migrations.ts';
import { createEmbedder } from '../../platform/embeddings.ts';
import { ensureVectorIndex } from '../documents/documents.service.ts';
import { importDocumentBatch } from '../ingestion/ingestion.service.ts';
import type { ImportItem } from '../ingestion/ingestion.types.ts';
import { createTenant } from '../tenancy/tenancy.service.ts';
import { evaluateRun, loadBeirDataset, percentile, type ScoredDocument } from './evaluation.ts';
import { searchPassages } from './retrieval.service.ts';

export interface EvalReport {
  dataset: string;
  queries: number;
  ndcg_at_10: number;
  recall_at_100: number;
  mrr_at_10: number;
  ingest_seconds: number;
  query_p50_ms: number;
  query_p95_ms: number;
  documents: number;
  chunks: number;
  lexical: 'bm25' | 'fulltext';
}

export interface EvalProgress {
  phase: 'ingest' | 'query';
  done: number;
  total: number;
}

/**
 * Runs a BEIR dataset through the product: a throw-away database (embedded, in memory;
 * or a temporary schema on the configured Postgres server), the normal ingestion steps,
 * and the normal retrieval function for every judged query.
 */
export async function evaluateBeir(
  directory: string,
  database: DatabaseConfig,
  embeddings: EmbeddingConfig | null,
  onProgress: (progress: EvalProgress) => void = () => {},
): Promise<EvalReport> {
  const dataset = await loadBeirDataset(directory);
  const throwAway: DatabaseConfig =
    database.kind === 'embedded'
      ? { kind: 'embedded', dataDir: 'memory://' }
      : { ...database, schema: `nexus_eval_${randomBytes(4).toString('hex')}` };
  const db = await openDatabase(throwAway);
  try {
    await migrate(db);
    const embedder = embeddings && (await detectCapabilities(db)).vector ? createEmbedder(embeddings) : null;
    if (embedder) await ensureVectorIndex(db, embedder.dimensions);
    const tenant = await db.transaction((trx) =>
      createTenant(trx, { slug: 'eval', name: `Evaluation: ${dataset.name}`, taxonomy: [] }),
    );
    const source = { kind: 'folder' as const, name: `beir:${dataset.name}` };

    const started = performance.now();
    const encoder = new TextEncoder();
    const batchSize = 500;
    let documents = 0;
    let chunks = 0;
    for (let start = 0; start < dataset.corpus.length; start += batchSize) {
      const items: ImportItem[] = dataset.corpus.slice(start, start + batchSize).map((document) => ({
        sourceItemId: document.id,
        title: document.title,
        bytes: encoder.encode(document.text || document.title),
        filename: `${document.id}.txt`,
      }));
      const result = await db.transaction((trx) =>
        importDocumentBatch(trx, { tenantId: tenant.id, source }, items, undefined, embedder),
      );
      documents += result.documents;
      chunks += result.chunks;
      onProgress({
        phase: 'ingest',
        done: Math.min(start + batchSize, dataset.corpus.length),
        total: dataset.corpus.length,
      });
    }
    await db.executeSql('ANALYZE documents, chunks, chunk_terms'); // fresh planner statistics after a bulk load
    const ingestSeconds = (performance.now() - started) / 1000;

    const reader = { tenantId: tenant.id, role: 'super_admin' as const, departmentId: null, regionId: null };
    const run = new Map<string, ScoredDocument[]>();
    const latencies: number[] = [];
    let done = 0;
    for (const [queryId, text] of dataset.queries) {
      const queryStarted = performance.now();
      const passages = await searchPassages(db, reader, text, { topK: 100, embedder });
      latencies.push(performance.now() - queryStarted);
      run.set(
        queryId,
        passages.map((passage) => ({
          documentId: passage.sourceItemId ?? passage.documentId,
          score: passage.score,
        })),
      );
      onProgress({ phase: 'query', done: ++done, total: dataset.queries.size });
    }
    const metrics = evaluateRun(run, dataset.qrels);
    const lexical = (await detectCapabilities(db)).bm25 ? ('bm25' as const) : ('fulltext' as const);
    return {
      dataset: dataset.name,
      queries: metrics.queryCount,
      ndcg_at_10: round(metrics.ndcgAt10),
      recall_at_100: round(metrics.recallAt100),
      mrr_at_10: round(metrics.mrrAt10),
      ingest_seconds: round(ingestSeconds, 2),
      query_p50_ms: round(percentile(latencies, 50), 2),
      query_p95_ms: round(percentile(latencies, 95), 2),
      documents,
      chunks,
      lexical,
    };
  } finally {
    if (throwAway.kind === 'postgres') {
      await db.executeSql(`DROP SCHEMA IF EXISTS "${throwAway.schema}" CASCADE`).catch(() => {});
    }
    await db.close();
  }
}

function round(value: number, digits = 4): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
