import type { Redis } from 'ioredis';
import { buildApp, type NexusApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createJobDefinitions } from '../../src/jobs.ts';
import { deriveServerKeys } from '../../src/modules/auth/server-keys.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { JobQueue } from '../../src/platform/queue.ts';
import { createMemoryRateLimiter, type RateLimiter } from '../../src/platform/rate-limit.ts';
import { type Backend, createTestDatabase, type TestDatabase } from './databases.ts';

export const silentLogger = createLogger({ logLevel: 'silent' });

export const testKeys = deriveServerKeys('test secret that is long enough to be a real one');

export function testConfig(environment: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', ...environment });
}

export interface TestApp {
  app: NexusApp;
  database: TestDatabase;
  queue: JobQueue;
  close(): Promise<void>;
}

/** The real app on a fresh migrated database, with the job queue started (not working). */
export interface TestAppOptions {
  redis?: Redis | null;
  rateLimiter?: RateLimiter;
  environment?: Record<string, string>;
  /** Run job handlers (ingestion) in the test app. */
  isWorker?: boolean;
  /** A built web app to serve (default: none, the landing page). */
  webDistDir?: string | null;
}

export async function createTestApp(backend: Backend, options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase(backend);
  const config = testConfig({ NEXUS_COOKIE_SECURE: 'false', ...options.environment });
  const queue = new JobQueue(database.db, silentLogger, createJobDefinitions(config), {
    isWorker: options.isWorker ?? false,
    pollingIntervalSeconds: 0.5,
  });
  await queue.start();
  const app = await buildApp(config, {
    db: database.db,
    queue,
    logger: silentLogger,
    redis: options.redis ?? null,
    keys: testKeys,
    rateLimiter: options.rateLimiter ?? createMemoryRateLimiter(),
    webDistDir: options.webDistDir ?? null,
  });
  return {
    app,
    database,
    queue,
    async close() {
      await app.close();
      await queue.stop(1_000);
      await database.cleanup();
    },
  };
}
