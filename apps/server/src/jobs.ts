import type { Config } from './config.ts';
import { createPurgeLoginThrottlesJob, purgeExpiredRefreshTokensJob } from './modules/auth/auth.jobs.ts';
import { createIngestDocumentJob } from './modules/ingestion/ingestion.jobs.ts';
import type { Embedder } from './platform/embeddings.ts';
import type { AnyJobDefinition } from './platform/queue.ts';

/** Every job the worker runs. Add a module's jobs here. */
export function createJobDefinitions(
  config: Pick<Config, 'ingestion' | 'auth'>,
  embedder: Embedder | null = null,
): AnyJobDefinition[] {
  return [
    purgeExpiredRefreshTokensJob,
    createPurgeLoginThrottlesJob(config.auth.loginLockoutSeconds),
    createIngestDocumentJob(config.ingestion, embedder),
  ];
}
