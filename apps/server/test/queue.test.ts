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

describeEachBackend('job queue: runs whose worker died', (backend) => {
  /** A job that hangs on its first attempt (as if its worker froze or died) and succeeds after. */
  const stalls: { attempt: number; isFinal: boolean; key: string }[] = [];
  const hangingJob = (attempts: number) =>
    defineJob({
      name: 'test-hanging',
      version: 1,
      payload: z.object({ key: z.string() }),
      attempts,
      retryDelaySeconds: 1,
      async handler(payload, { attempt }) {
        runs.set(payload.key, [...(runs.get(payload.key) ?? []), attempt]);
        if (attempt === 1) await new Promise(() => {}); // never finishes
      },
      async onStalled(payload, { attempt, isFinal }) {
        stalls.push({ key: payload.key, attempt, isFinal });
      },
    });

  async function waitForHeartbeat(database: TestDatabase, jobId: string) {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const beat = await database.db.kysely
        .selectFrom('job_heartbeats')
        .select(['attempt', 'worker'])
        .where('job_id', '=', jobId)
        .executeTakeFirst();
      if (beat) return beat;
      await sleep(100);
    }
    throw new Error('the job never started');
  }

  it("fails a run whose heartbeat stopped, so another worker retries it; the last attempt's stall is final", async () => {
    runs.clear();
    stalls.length = 0;
    const database = await createTestDatabase(backend);
    // The worker that "dies": it beats rarely (stall window 10 minutes), and its run never ends.
    const dying = new JobQueue(database.db, silentLogger, [hangingJob(2)], {
      isWorker: true,
      pollingIntervalSeconds: 0.5,
      stallSeconds: 600,
    });
    // The survivor notices silence after 2 s.
    const survivor = new JobQueue(database.db, silentLogger, [hangingJob(2)], {
      isWorker: true,
      pollingIntervalSeconds: 0.5,
      stallSeconds: 2,
    });
    await dying.start();
    try {
      const id = await dying.send(hangingJob(2), { key: 'stalls-once' });
      const beat = await waitForHeartbeat(database, id);
      expect(beat.attempt).toBe(1);
      // The dying worker goes silent: its last beat is now old.
      await database.db.executeSql(
        `UPDATE job_heartbeats SET beat_at = now() - interval '1 minute' WHERE job_id = '${id}'`,
      );
      await survivor.start();
      const deadline = Date.now() + 30_000;
      while ((await survivor.findJob('test-hanging', id))?.status !== 'succeeded' && Date.now() < deadline)
        await sleep(200);
      expect(await survivor.findJob('test-hanging', id)).toMatchObject({ status: 'succeeded', attempt: 2 });
      expect(runs.get('stalls-once')).toEqual([1, 2]);
      expect(stalls).toEqual([{ key: 'stalls-once', attempt: 1, isFinal: false }]);
      // A heartbeat that keeps beating is never taken for dead.
      expect(await survivor.recoverStalledJobs(2)).toBe(0);
    } finally {
      await survivor.stop(1_000);
      await dying.stop(500).catch(() => {});
      await database.cleanup();
    }
  });

  it('gives up after the last attempt, telling the job so it can mark its work failed', async () => {
    runs.clear();
    stalls.length = 0;
    const database = await createTestDatabase(backend);
    const queue = new JobQueue(database.db, silentLogger, [hangingJob(1)], {
      isWorker: true,
      pollingIntervalSeconds: 0.5,
      stallSeconds: 600,
    });
    await queue.start();
    try {
      const id = await queue.send(hangingJob(1), { key: 'no-retries' });
      await waitForHeartbeat(database, id);
      await database.db.executeSql(
        `UPDATE job_heartbeats SET beat_at = now() - interval '1 hour' WHERE job_id = '${id}'`,
      );
      expect(await queue.recoverStalledJobs(60)).toBe(1);
      expect(await queue.findJob('test-hanging', id)).toMatchObject({ status: 'failed' });
      expect(stalls).toEqual([{ key: 'no-retries', attempt: 1, isFinal: true }]);
    } finally {
      await queue.stop(500).catch(() => {});
      await database.cleanup();
    }
  });
});
