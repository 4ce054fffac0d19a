import { Worker } from 'node:worker_threads';
import { waitForWorkerReady } from './worker-ready.ts';

/**
 * CPU-heavy work (parsing a 50 MB file, chunking it) in a worker thread, so that the
 * HTTP server's event loop keeps answering meanwhile. One thread per TaskThread, started
 * on first use, tasks run one after another; a task that runs past its time or exhausts
 * the thread's heap ends the thread (the next task starts a fresh one) and fails with a
 * TaskThreadFailure, so a hostile file costs one task, never the server.
 *
 * The module named by `module` exports `runTask(task) → { result, transfer? }`.
 */

export interface TaskThreadOptions {
  /** The task module (TypeScript is fine: the thread loads it through tsx). */
  module: URL;
  /** A task taking longer than this is stopped. */
  timeoutMs: number;
  /** Heap ceiling of the thread (MB); going over it fails the task, not the process. */
  maxHeapMb?: number;
  /** Ends the thread after this long without work (default 30 s). */
  idleMs?: number;
}

/** An error thrown by the task itself, rebuilt on this side with its name and code. */
export class TaskError extends Error {
  constructor(
    override readonly name: string,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The thread could not finish the task: timed out, out of memory, or crashed. */
export class TaskThreadFailure extends Error {
  override name = 'TaskThreadFailure';

  constructor(
    readonly reason: 'timeout' | 'out_of_memory' | 'crashed',
    message: string,
  ) {
    super(message);
  }
}

type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; code?: string; message: string } };

const BOOTSTRAP = new URL('./task-thread.worker.mjs', import.meta.url);

export class TaskThread<TTask, TResult> {
  private worker: Promise<Worker> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: TaskThreadOptions) {}

  /** Runs one task after those already queued. */
  run(task: TTask, transfer: readonly ArrayBuffer[] = []): Promise<TResult> {
    const result = this.queue.then(() => this.runNow(task, transfer));
    this.queue = result.catch(() => {});
    return result;
  }

  private start(): Promise<Worker> {
    const maxHeapMb = this.options.maxHeapMb;
    const worker = new Worker(BOOTSTRAP, {
      workerData: { module: this.options.module.href },
      ...(maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } } : {}),
    });
    worker.unref();
    return waitForWorkerReady(
      worker,
      (reason) => new TaskThreadFailure('crashed', `The worker thread did not start: ${reason}`),
    ).then(() => worker);
  }

  private async runNow(task: TTask, transfer: readonly ArrayBuffer[]): Promise<TResult> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.worker ??= this.start();
    let worker: Worker;
    try {
      worker = await this.worker;
    } catch (error) {
      this.worker = null;
      throw error;
    }
    const id = this.nextId++;
    try {
      return await new Promise<TResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          finish();
          reject(
            new TaskThreadFailure(
              'timeout',
              `The task took longer than ${Math.round(this.options.timeoutMs / 1000)} s and was stopped.`,
            ),
          );
        }, this.options.timeoutMs);
        const onMessage = (message: Reply) => {
          if (message.id !== id) return;
          finish();
          if (message.ok) resolve(message.result as TResult);
          else reject(new TaskError(message.error.name, message.error.code, message.error.message));
        };
        const onError = (error: Error & { code?: string }) => {
          finish();
          const isOutOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
          reject(
            new TaskThreadFailure(
              isOutOfMemory ? 'out_of_memory' : 'crashed',
              isOutOfMemory
                ? 'The task needed more memory than a worker thread may use.'
                : `The worker thread failed: ${error.message}`,
            ),
          );
        };
        const onExit = (code: number) => {
          finish();
          reject(new TaskThreadFailure('crashed', `The worker thread exited (code ${code}).`));
        };
        const finish = () => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          worker.off('exit', onExit);
        };
        worker.on('message', onMessage);
        worker.once('error', onError);
        worker.once('exit', onExit);
        worker.postMessage({ id, task }, [...transfer]);
      });
    } catch (error) {
      if (error instanceof TaskThreadFailure) await this.discard();
      throw error;
    } finally {
      this.scheduleIdleStop();
    }
  }

  private scheduleIdleStop(): void {
    if (!this.worker) return;
    this.idleTimer = setTimeout(() => void this.discard(), this.options.idleMs ?? 30_000);
    this.idleTimer.unref();
  }

  /** Ends the current thread (if any); the next task starts a new one. */
  private async discard(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    await worker.then((started) => started.terminate()).catch(() => {});
  }

  /** Ends the thread now (a later task starts a new one). */
  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await this.discard();
  }
}
