import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { z } from 'zod';
import { createJobDefinitions } from '../src/jobs.ts';
import { defineJob, type JobInfo, JobQueue } from '../src/platform/queue.ts';
import { silentLogger, testConfig } from './helpers/app.ts';
import { createTestDatabase, describeEachBackend, type TestDatabase } from './helpers/databases.ts';

const runs = new Map<string, number[]>();

/** Fails until its `succeedOnAttempt`-th run; records each run's attempt number per key. */
const flakyJob = defineJob({
  name: 'test-flaky',
  version: 1,
  payload: z.object({ key: z.string(), succeedOnAttempt: z.number().int() }),
  attempts: 3,
  retryDelaySeconds: 1,
  async handler(payload, { attempt }) {
    runs.set(payload.key, [...(runs.get(payload.key) ?? []), attempt]);
    if (attempt < payload.succeedOnAttempt) throw new Error(`boom on attempt ${attempt}`);
  },
});

async function waitForFinalStatus(queue: JobQueue, id: string, timeoutMs = 30_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = await queue.findJob(flakyJob.name, id);
    if (job && (job.status === 'succeeded' || job.status === 'failed')) return job;
    await sleep(200);
  }
  throw new Error(`job ${id} did not finish within ${timeoutMs} ms`);
}

describeEachBackend('job queue', (backend) => {
  let database: TestDatabase;
  let queue: JobQueue;

  beforeEach(async () => {
    runs.clear();
    database = await createTestDatabase(backend);
    queue = new JobQueue(database.db, silentLogger, [flakyJob, ...createJobDefinitions(testConfig())], {
      isWorker: true,
      pollingIntervalSeconds: 0.5,
    });
    await queue.start();
  });
  afterEach(async () => {
    await queue.stop(2_000);
    await database.cleanup();
  });

  it('retries a failing job with backoff until it succeeds, and runs a succeeding job exactly once', async () => {
    const flakyId = await queue.send(flakyJob, { key: 'flaky', succeedOnAttempt: 3 });
    const steadyId = await queue.send(flakyJob, { key: 'steady', succeedOnAttempt: 1 });
    const flaky = await waitForFinalStatus(queue, flakyId);
    const steady = await waitForFinalStatus(queue, steadyId);
    expect(flaky).toMatchObject({ status: 'succeeded', attempt: 3 });
    expect(runs.get('flaky')).toEqual([1, 2, 3]);
    expect(steady).toMatchObject({ status: 'succeeded', attempt: 1 });
    await sleep(1_500); // several polling rounds: nothing runs it again
    expect(runs.get('steady')).toEqual([1]);
  });

  it('fails a job for good after three attempts, keeping the error', async () => {
    const id = await queue.send(flakyJob, { key: 'doomed', succeedOnAttempt: 99 });
    const job = await waitForFinalStatus(queue, id);
    expect(job.status).toBe('failed');
    expect(job.error).toBe('boom on attempt 3');
    expect(runs.get('doomed')).toEqual([1, 2, 3]);
  });

  it('rejects an invalid payload when sending', async () => {
    await expect(queue.send(flakyJob, { key: 42 } as never)).rejects.toThrow();
  });

  it('enqueues inside a transaction only if it commits', async () => {
    await expect(
      database.db.transaction(async (trx) => {
        await queue.send(flakyJob, { key: 'rolled-back', succeedOnAttempt: 1 }, { executor: trx });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const committed = await database.db.transaction((trx) =>
      queue.send(flakyJob, { key: 'committed', succeedOnAttempt: 1 }, { executor: trx }),
    );
    expect((await waitForFinalStatus(queue, committed)).status).toBe('succeeded');
    await sleep(1_000);
    expect(runs.has('rolled-back')).toBe(false);
  });

  it('registers cron schedules for scheduled jobs', async () => {
    const schema = database.db.schema === 'public' ? 'pgboss' : `${database.db.schema}_pgboss`;
    const { rows } = await database.db.executeSql(`SELECT name, cron, timezone FROM "${schema}".schedule`);
    expect(rows).toContainEqual({
      name: 'maintenance-purge-refresh-tokens',
      cron: '17 * * * *',
      timezone: 'UTC',
    });
  });

  it('runs the scheduled maintenance job: expired refresh tokens are purged, live ones kept', async () => {
    const { db } = database;
    const tenant = await db.kysely
      .insertInto('tenants')
      .values({ slug: 't', name: 'T' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const user = await db.kysely
      .insertInto('users')
      .values({ tenant_id: tenant.id, email: 'a@b.example' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const family = '00000000-0000-4000-8000-000000000001';
    const token = (hash: string, expires: Date) => ({
      tenant_id: tenant.id,
      user_id: user.id,
      token_hash: hash,
      family_id: family,
      expires_at: expires,
    });
    await db.kysely
      .insertInto('refresh_tokens')
      .values([
        token('old', new Date(Date.now() - 3 * 86_400_000)),
        token('live', new Date(Date.now() + 86_400_000)),
      ])
      .execute();
    const purge = createJobDefinitions(testConfig()).find(
      (job) => job.name === 'maintenance-purge-refresh-tokens',
    )!;
    const id = await queue.send(purge, { graceHours: 24 });
    const deadline = Date.now() + 20_000;
    while ((await queue.findJob(purge.name, id))?.status !== 'succeeded' && Date.now() < deadline)
      await sleep(200);
    const left = await db.kysely.selectFrom('refresh_tokens').select('token_hash').execute();
    expect(left.map((row) => row.token_hash)).toEqual(['live']);
  });
});

describeEachBackend('job queue draining', (backend) => {
  it('runs queued jobs back to back instead of one per polling interval', async () => {
    runs.clear();
    const database = await createTestDatabase(backend);
    // A 5-second polling interval: ten jobs one per interval would take 45 s or more.
    const queue = new JobQueue(database.db, silentLogger, [flakyJob], {
      isWorker: true,
      pollingIntervalSeconds: 5,
    });
    await queue.start();
    try {
      const ids = [];
      for (let index = 0; index < 10; index++) {
        ids.push(await queue.send(flakyJob, { key: `drain-${index}`, succeedOnAttempt: 1 }));
      }
      for (const id of ids) await waitForFinalStatus(queue, id, 20_000);
      expect([...runs.keys()].filter((key) => key.startsWith('drain-'))).toHaveLength(10);
    } finally {
      await queue.stop(2_000);
      await database.cleanup();
    }
  });
});
