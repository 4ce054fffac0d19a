import { hostname } from 'node:os';
import { CompiledQuery, sql } from 'kysely';
import PgBoss from 'pg-boss';
import type { z } from 'zod';
import type { Db, Executor } from './db/database.ts';
import type { Logger } from './logger.ts';

/**
 * Background jobs on pg-boss (a Postgres-backed queue), on both PGlite and server
 * Postgres. A job definition names its queue, versions its payload with a zod schema
 * checked at run time (queued payloads are never trusted), and retries with
 * exponential backoff. Handlers must be idempotent: a retried job runs again whole.
 */

export interface JobContext {
  jobId: string;
  /** 1 for the first run, 2 for the first retry, … */
  attempt: number;
  log: Logger;
  db: Db;
}

/** What a sender needs of a job: its queue, payload version and schema (not its handler). */
export interface JobReference<TPayload = unknown> {
  /** Queue name: letters, digits, hyphens. */
  name: string;
  /** Payload version; bump it (and accept or reject older envelopes) when the schema changes. */
  version: number;
  payload: z.ZodType<TPayload>;
}

export interface StallContext {
  jobId: string;
  /** The attempt whose worker stopped. */
  attempt: number;
  /** No attempts are left: the queue has failed the job for good. */
  isFinal: boolean;
  db: Db;
  log: Logger;
}

export interface JobDefinition<TPayload = unknown> extends JobReference<TPayload> {
  /** Total runs including the first (default 3). */
  attempts?: number;
  /** Delay before the first retry; doubled for each further retry (default 5 s). */
  retryDelaySeconds?: number;
  /** A run taking longer than this is failed (and retried). Default 15 min. */
  timeoutSeconds?: number;
  /** Optional cron schedule (UTC) with the payload sent on each tick. */
  schedule?: { cron: string; payload: TPayload };
  handler: (payload: TPayload, context: JobContext) => Promise<void>;
  /**
   * Called (by whichever worker notices) when a run's heartbeat stopped — its worker
   * crashed, was killed or froze — after the queue failed that run (and, unless
   * `isFinal`, scheduled a retry).
   */
  onStalled?: (payload: TPayload, context: StallContext) => Promise<void>;
}

/** A definition of any payload type, for registries of mixed jobs. */
// biome-ignore lint/suspicious/noExplicitAny: the registry holds jobs of different payload types.
export type AnyJobDefinition = JobDefinition<any>;

export function defineJob<TPayload>(definition: JobDefinition<TPayload>): JobDefinition<TPayload> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(definition.name)) {
    throw new Error(`Job name "${definition.name}" must be lower-case letters, digits and hyphens`);
  }
  return definition;
}

/** The stored job data: the payload wrapped with the version it was written with. */
interface Envelope {
  v: number;
  payload: unknown;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobInfo {
  id: string;
  name: string;
  status: JobStatus;
  attempt: number;
  error?: string;
  output?: unknown;
  createdAt: Date;
  completedAt: Date | null;
}

export interface JobQueueOptions {
  /** Run handlers in this process (a worker); otherwise only send. */
  isWorker: boolean;
  /** How often an idle worker polls each queue (default 2 s; pg-boss minimum 0.5 s). */
  pollingIntervalSeconds?: number;
  /**
   * A running job beats every stallSeconds / 4; one silent for stallSeconds is taken for
   * dead (its worker crashed or was killed) and failed, so the queue retries it (default 60).
   */
  stallSeconds?: number;
  /**
   * This process is the only worker there can be (the embedded database): at start, every
   * job left running by an earlier process is known dead and is retried at once.
   */
  isSoleWorker?: boolean;
}

const STATE_TO_STATUS: Record<string, JobStatus> = {
  created: 'queued',
  retry: 'queued',
  active: 'running',
  completed: 'succeeded',
  cancelled: 'failed',
  failed: 'failed',
};

/** pg-boss's schema beside the Nexus one: `pgboss`, or `<schema>_pgboss`. */
function queueSchemaOf(db: Db): string {
  return db.schema === 'public' ? 'pgboss' : `${db.schema}_pgboss`;
}

export class JobQueue {
  private readonly boss: PgBoss;
  private readonly definitions = new Map<string, AnyJobDefinition>();
  private readonly workerIds = new Map<string, string>();
  private readonly workerName = `${hostname()}:${process.pid}`;
  private monitor: NodeJS.Timeout | null = null;
  private isStarted = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    definitions: AnyJobDefinition[],
    private readonly options: JobQueueOptions,
  ) {
    for (const definition of definitions) this.definitions.set(definition.name, definition);
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => db.executeSql(text, values ?? []) },
      schema: queueSchemaOf(db),
      supervise: options.isWorker,
      schedule: options.isWorker,
      migrate: true,
    });
    this.boss.on('error', (error) => this.logger.error({ err: error }, 'job queue error'));
  }

  get isRunning(): boolean {
    return this.isStarted;
  }

  /** Creates the queue tables and queues; in a worker, starts handlers and cron schedules. */
  async start(): Promise<void> {
    await this.boss.start();
    for (const definition of this.definitions.values()) {
      const attempts = definition.attempts ?? 3;
      await this.boss.createQueue(definition.name, {
        name: definition.name,
        retryLimit: Math.max(0, attempts - 1),
        retryDelay: definition.retryDelaySeconds ?? 5,
        retryBackoff: true,
        expireInSeconds: definition.timeoutSeconds ?? 15 * 60,
      });
    }
    if (this.options.isWorker) {
      // Jobs an earlier process left running are dead when no other worker can exist.
      if (this.options.isSoleWorker) await this.recoverStalledJobs(0);
      for (const definition of this.definitions.values()) {
        let workerId: string | undefined;
        workerId = await this.boss.work<Envelope>(
          definition.name,
          {
            batchSize: 1,
            pollingIntervalSeconds: this.options.pollingIntervalSeconds ?? 2,
            includeMetadata: true,
          },
          async ([job]) => {
            if (!job) return;
            await this.runJob(definition, job);
            // A queue with work is drained back to back, not one job per polling interval.
            if (workerId) this.boss.notifyWorker(workerId);
          },
        );
        this.workerIds.set(definition.name, workerId);
        if (definition.schedule) {
          await this.boss.schedule(
            definition.name,
            definition.schedule.cron,
            this.envelope(definition, definition.schedule.payload),
            {
              tz: 'UTC',
            },
          );
        }
      }
    }
    if (this.options.isWorker) {
      const every = Math.max(1, this.stallSeconds / 4) * 1000;
      this.monitor = setInterval(() => {
        this.recoverStalledJobs(this.stallSeconds).catch((error: unknown) =>
          this.logger.warn({ err: error }, 'could not check for stalled jobs'),
        );
      }, every);
      this.monitor.unref();
    }
    this.isStarted = true;
  }

  private get stallSeconds(): number {
    return this.options.stallSeconds ?? 60;
  }

  /**
   * Fails every run whose heartbeat is older than `olderThanSeconds` (its worker died), so
   * pg-boss retries it (or fails it for good after its last attempt), and tells the job's
   * definition. Claiming a heartbeat deletes it, so of several workers only one acts.
   * Returns how many runs were recovered.
   */
  async recoverStalledJobs(olderThanSeconds: number): Promise<number> {
    const stalled = await sql<{ job_id: string; queue: string; attempt: number }>`
      DELETE FROM job_heartbeats
      WHERE beat_at <= now() - make_interval(secs => ${olderThanSeconds})
      RETURNING job_id, queue, attempt`.execute(this.db.kysely);
    let recovered = 0;
    for (const row of stalled.rows) {
      const definition = this.definitions.get(row.queue);
      const log = this.logger.child({ jobId: row.job_id, job: row.queue, attempt: row.attempt });
      const job = definition ? await this.boss.getJobById<Envelope>(row.queue, row.job_id) : null;
      if (!definition || !job || job.state !== 'active') continue;
      await this.boss.fail(row.queue, row.job_id, { message: 'The worker running this job stopped.' });
      recovered++;
      const isFinal = row.attempt >= (definition.attempts ?? 3);
      log.warn({ isFinal }, 'job stalled: its worker stopped; failed it so the queue retries it');
      const payload = definition.payload.safeParse((job.data as Partial<Envelope> | undefined)?.payload);
      if (definition.onStalled && payload.success) {
        await definition
          .onStalled(payload.data, { jobId: row.job_id, attempt: row.attempt, isFinal, db: this.db, log })
          .catch((error: unknown) => log.warn({ err: error }, 'stall handler failed'));
      }
    }
    // Runs whose worker died before its first heartbeat (sole worker only: nobody else runs jobs).
    if (this.options.isSoleWorker && olderThanSeconds === 0) recovered += await this.failOrphanedActiveJobs();
    return recovered;
  }

  private async failOrphanedActiveJobs(): Promise<number> {
    const orphans = await this.db.executeSql(
      `SELECT id, name FROM ${this.bossSchema}.job WHERE state = 'active'`,
    );
    for (const row of orphans.rows as { id: string; name: string }[]) {
      await this.boss.fail(row.name, row.id, { message: 'The process running this job stopped.' });
    }
    return orphans.rows.length;
  }

  private get bossSchema(): string {
    return queueSchemaOf(this.db);
  }

  /** Records that a run is alive, now and every stallSeconds / 4 until it ends. */
  private async beat(jobId: string, queue: string, attempt: number): Promise<() => Promise<void>> {
    await sql`
      INSERT INTO job_heartbeats (job_id, queue, worker, attempt)
      VALUES (${jobId}, ${queue}, ${this.workerName}, ${attempt})
      ON CONFLICT (job_id) DO UPDATE SET worker = excluded.worker, attempt = excluded.attempt,
        started_at = now(), beat_at = now()`.execute(this.db.kysely);
    const timer = setInterval(
      () => {
        sql`UPDATE job_heartbeats SET beat_at = now() WHERE job_id = ${jobId}`
          .execute(this.db.kysely)
          .catch((error: unknown) => this.logger.warn({ err: error, jobId }, 'job heartbeat failed'));
      },
      Math.max(1, this.stallSeconds / 4) * 1000,
    );
    timer.unref();
    return async () => {
      clearInterval(timer);
      await sql`DELETE FROM job_heartbeats WHERE job_id = ${jobId}`.execute(this.db.kysely);
    };
  }

  private envelope<T>(definition: JobReference<T>, payload: T): Envelope {
    return { v: definition.version, payload: definition.payload.parse(payload) };
  }

  private async runJob(definition: AnyJobDefinition, job: PgBoss.JobWithMetadata<Envelope>): Promise<void> {
    const log = this.logger.child({ jobId: job.id, job: definition.name, attempt: job.retryCount + 1 });
    const data = job.data as Partial<Envelope> | undefined;
    if (data?.v !== definition.version) {
      throw new Error(
        `Job payload version ${String(data?.v)} is not handled (expected ${definition.version})`,
      );
    }
    const parsed = definition.payload.safeParse(data.payload);
    if (!parsed.success) throw new Error(`Job payload is invalid: ${parsed.error.message}`);
    const started = Date.now();
    const attempt = job.retryCount + 1;
    log.info('job started');
    const stopBeating = await this.beat(job.id, definition.name, attempt);
    try {
      await definition.handler(parsed.data, { jobId: job.id, attempt, log, db: this.db });
      log.info({ durationMs: Date.now() - started }, 'job succeeded');
    } catch (error) {
      log.warn({ err: error, durationMs: Date.now() - started }, 'job failed');
      throw error;
    } finally {
      await stopBeating().catch((error: unknown) =>
        log.warn({ err: error }, 'could not clear the job heartbeat'),
      );
    }
  }

  /**
   * Queues a job. Pass `executor` (an open transaction) to enqueue atomically with
   * other writes: the job exists only if the transaction commits.
   */
  async send<T>(
    definition: JobReference<T>,
    payload: T,
    options: { executor?: Executor; startAfterSeconds?: number; singletonKey?: string } = {},
  ): Promise<string> {
    if (!this.definitions.has(definition.name)) throw new Error(`Job ${definition.name} is not registered`);
    const sendOptions: PgBoss.SendOptions = {};
    if (options.startAfterSeconds !== undefined) sendOptions.startAfter = options.startAfterSeconds;
    if (options.singletonKey !== undefined) sendOptions.singletonKey = options.singletonKey;
    const executor = options.executor;
    if (executor) {
      sendOptions.db = {
        executeSql: async (text, values) => {
          const result = await executor.executeQuery(CompiledQuery.raw(text, values ?? []));
          return { rows: result.rows as unknown[] };
        },
      };
    }
    const id = await this.boss.send(
      definition.name,
      this.envelope(definition, payload) as object,
      sendOptions,
    );
    if (!id) throw new Error(`Job ${definition.name} was not queued (a singleton is already queued)`);
    // A job sent outside a transaction is visible now: wake this process's worker for it.
    const workerId = this.workerIds.get(definition.name);
    if (workerId && !executor && options.startAfterSeconds === undefined) this.boss.notifyWorker(workerId);
    return id;
  }

  async findJob(name: string, id: string): Promise<JobInfo | null> {
    if (!this.definitions.has(name)) return null;
    const job = await this.boss.getJobById(name, id, { includeArchive: true });
    if (!job) return null;
    const output = job.output as { message?: string } | null | undefined;
    const status = STATE_TO_STATUS[job.state] ?? 'queued';
    return {
      id: job.id,
      name: job.name,
      status,
      attempt: job.retryCount + 1,
      ...(status === 'failed' && output?.message ? { error: output.message } : {}),
      ...(status === 'succeeded' && output ? { output } : {}),
      createdAt: job.createdOn,
      completedAt: job.completedOn,
    };
  }

  /** Stops polling, waits for running handlers (up to timeoutMs), then stops. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.isStarted) return;
    this.isStarted = false;
    if (this.monitor) clearInterval(this.monitor);
    await this.boss.stop({ graceful: true, wait: true, timeout: timeoutMs, close: false });
  }
}
