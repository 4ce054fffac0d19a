import type { ReadinessResponse } from '@nexus/contracts';
import type { Redis } from 'ioredis';
import { type Db, detectCapabilities } from '../../platform/db/database.ts';
import { readMigrationStatus } from '../../platform/db/migrations.ts';
import { isTenantRoleAvailable } from '../../platform/db/tenant-scope.ts';

/** Readiness: the database (and its migrations, extensions, row-level security), the job queue, Redis. */

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function checkReadiness(parts: {
  db: Db;
  isQueueRunning: boolean;
  isWorkerInProcess: boolean;
  redis: Redis | null;
}): Promise<{ result: ReadinessResponse; isReady: boolean }> {
  const { db, redis } = parts;
  const errors: string[] = [];
  const result: ReadinessResponse = {
    status: 'ready',
    database: 'ok',
    database_kind: db.kind,
    migrations: 'unknown',
    vector: 'off',
    bm25: 'off',
    lexical: 'fulltext',
    rls: 'off',
    queue: parts.isQueueRunning ? 'running' : 'stopped',
    worker: parts.isWorkerInProcess ? 'in_process' : 'external',
    redis: redis ? 'ok' : 'not_configured',
  };
  try {
    await withTimeout(db.executeSql('SELECT 1'), 'database');
    const [status, capabilities, isRlsOn] = await withTimeout(
      Promise.all([readMigrationStatus(db), detectCapabilities(db), isTenantRoleAvailable(db)]),
      'database',
    );
    result.migrations = status.isCurrent ? 'current' : 'pending';
    if (!status.isCurrent) errors.push(`pending migrations: ${status.pending.join(', ')}`);
    result.vector = capabilities.vector ? 'on' : 'off';
    result.bm25 = capabilities.bm25 ? 'on' : 'off';
    result.lexical = capabilities.bm25 ? 'bm25' : 'fulltext';
    result.rls = isRlsOn ? 'on' : 'off';
  } catch (error) {
    result.database = 'error';
    errors.push(`database: ${(error as Error).message}`);
  }
  if (redis) {
    try {
      await withTimeout(redis.ping(), 'redis');
    } catch (error) {
      result.redis = 'error';
      errors.push(`redis: ${(error as Error).message}`);
    }
  }
  if (result.queue !== 'running') errors.push('job queue is not running');
  const isReady =
    result.database === 'ok' &&
    result.migrations === 'current' &&
    result.queue === 'running' &&
    result.redis !== 'error';
  result.status = isReady ? 'ready' : 'not_ready';
  if (errors.length > 0) result.errors = errors;
  return { result, isReady };
}
