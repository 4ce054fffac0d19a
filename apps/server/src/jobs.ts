import type { Config } from './config.ts';
import { createIngestDocumentJob } from './modules/documents/documents.jobs.ts';
import { purgeExpiredRefreshTokensJob } from './modules/maintenance/maintenance.jobs.ts';
import type { Embedder } from './platform/embeddings.ts';
import type { AnyJobDefinition } from './platform/queue.ts';

/** Every job the worker runs. Add a module's jobs here. */
export function createJobDefinitions(
  config: Pick<Config, 'ingestion'>,
  embedder: Embedder | null = null,
): AnyJobDefinition[] {
  return [purgeExpiredRefreshTokensJob, createIngestDocumentJob(config.ingestion, embedder)];
}
