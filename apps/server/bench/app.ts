import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createJobDefinitions } from '../src/jobs.ts';
import { deriveServerKeys } from '../src/modules/auth/server-keys.ts';
import type { Db } from '../src/platform/db/database.ts';
import { createLogger } from '../src/platform/logger.ts';
import { JobQueue } from '../src/platform/queue.ts';
import { createMemoryRateLimiter } from '../src/platform/rate-limit.ts';

/** The real app on a benchmark database, silent and without effective rate limits. */
export async function startBenchApp(
  db: Db,
  options: { isWorker?: boolean; environment?: Record<string, string> } = {},
) {
  const logger = createLogger({ logLevel: 'silent' });
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    NEXUS_RATE_LIMIT_USER_PER_MINUTE: '100000000',
    NEXUS_COOKIE_SECURE: 'false',
    ...options.environment,
  });
  const isWorker = options.isWorker ?? false;
  const queue = new JobQueue(db, logger, createJobDefinitions(config), { isWorker, isSoleWorker: isWorker });
  await queue.start();
  const app = await buildApp(config, {
    db,
    queue,
    logger,
    keys: deriveServerKeys('benchmark secret that is long enough for hkdf'),
    rateLimiter: createMemoryRateLimiter(),
  });
  return {
    app,
    async close() {
      await app.close();
      await queue.stop(1_000);
    },
  };
}

/** Signs in over HTTP and returns the access token. */
export async function signIn(base: string, email: string, password: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}
