import type { Config } from './config.ts';
import { createPurgeLoginThrottlesJob, purgeExpiredRefreshTokensJob } from './modules/auth/auth.jobs.ts';
import { createIngestDocumentJob } from './modules/ingestion/ingestion.jobs.ts';
import { createNotebookCleanupJob, createNotebookFileJob } from './modules/notebook/notebook.jobs.ts';
import type { Embedder } from './platform/embeddings.ts';
import type { Metrics } from './platform/metrics.ts';
import type { AnyJobDefinition } from './platform/queue.ts';

/** Every job the worker runs. Add a module's jobs here. */
export function createJobDefinitions(
  config: Pick<Config, 'ingestion' | 'auth' | 'notebook' | 'readSecret'>,
  embedder: Embedder | null = null,
  metrics: Metrics | null = null,
): AnyJobDefinition[] {
  return [
    purgeExpiredRefreshTokensJob,
    createPurgeLoginThrottlesJob(config.auth.loginLockoutSeconds),
    createIngestDocumentJob(config.ingestion, embedder),
    createNotebookFileJob(config.ingestion, embedder, config.readSecret),
    createNotebookCleanupJob(config.notebook.cleanupCron, metrics),
  ];
}
