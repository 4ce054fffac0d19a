import { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { createJobDefinitions } from './jobs.ts';
import { loadServerKeys, type ServerKeys } from './modules/auth/server-keys.ts';
import { ensureVectorIndex } from './modules/documents/documents.service.ts';
import { type DataDirectoryLock, lockDataDirectory } from './platform/data-directory-lock.ts';
import { type Db, detectCapabilities, openDatabase } from './platform/db/database.ts';
import { migrate } from './platform/db/migrations.ts';
import { createEmbedder, type Embedder } from './platform/embeddings.ts';
import type { Logger } from './platform/logger.ts';
import { createMetrics, type Metrics } from './platform/metrics.ts';
import { JobQueue } from './platform/queue.ts';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from './platform/rate-limit.ts';

/** What a process has open: the database (migrated), optionally the job queue and Redis. */
export interface Runtime {
  db: Db;
  queue: JobQueue | null;
  redis: Redis | null;
  lock: DataDirectoryLock | null;
  keys: ServerKeys;
  /** Dense retrieval, when an embedding provider is configured and the database has pgvector. */
  embedder: Embedder | null;
  /** Shared through Redis when REDIS_URL is set (falling back to in-process if it fails). */
  rateLimiter: RateLimiter;
  /** The process's Prometheus metrics (jobs count into them; /metrics reads them). */
  metrics: Metrics;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** The CLI command, recorded in the data-directory lock for other processes' messages. */
  command: string;
  /** Start the job queue; `isWorker` also runs handlers and cron schedules. */
  queue?: { isWorker: boolean; pollingIntervalSeconds?: number };
  /** Connect to Redis when REDIS_URL is set. */
  useRedis?: boolean;
}

/**
 * Opens what a command needs, in order: the data-directory lock (embedded mode),
 * the database, migrations, the queue, Redis. On failure, closes what it opened.
 */
export async function openRuntime(config: Config, logger: Logger, options: RuntimeOptions): Promise<Runtime> {
  const opened: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of opened.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.warn({ err: error }, 'error while closing');
      }
    }
    opened.length = 0;
  };
  try {
    let lock: DataDirectoryLock | null = null;
    if (config.database.kind === 'embedded') {
      lock = await lockDataDirectory(config.dataDir, options.command);
      const held = lock;
      opened.push(() => held.release());
    }
    const db = await openDatabase(config.database);
    opened.push(() => db.close());
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    const keys = await loadServerKeys(db, config.auth.secret);
    let embedder: Embedder | null = null;
    if (config.embeddings) {
      if ((await detectCapabilities(db)).vector) {
        embedder = createEmbedder(config.embeddings);
        await ensureVectorIndex(db, config.embeddings.dimensions);
      } else {
        logger.warn(
          'an embedding provider is configured but the database has no pgvector: lexical retrieval only',
        );
      }
    }

    const metrics = createMetrics();
    let queue: JobQueue | null = null;
    if (options.queue) {
      const jobQueue = new JobQueue(db, logger, createJobDefinitions(config, embedder, metrics), {
        ...options.queue,
        stallSeconds: config.jobStallSeconds,
        // An embedded database belongs to this process alone: jobs left running are dead.
        isSoleWorker: config.database.kind === 'embedded',
      });
      await jobQueue.start();
      opened.push(() => jobQueue.stop(config.shutdownTimeoutMs));
      queue = jobQueue;
    }

    let redis: Redis | null = null;
    if (options.useRedis && config.redisUrl) {
      const client = new Redis(config.redisUrl, {
        lazyConnect: true,
        maxRetriesPerRequest: 2,
        connectTimeout: 5_000,
      });
      client.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
      await client.connect();
      opened.push(async () => {
        await client.quit();
      });
      redis = client;
    }
    const rateLimiter = redis
      ? createRedisRateLimiter(redis, {
          onError: (error) =>
            logger.warn({ err: error }, 'rate limiting fell back to in-process: Redis failed'),
        })
      : createMemoryRateLimiter();
    return { db, queue, redis, lock, keys, embedder, rateLimiter, metrics, close };
  } catch (error) {
    await close();
    throw error;
  }
}
