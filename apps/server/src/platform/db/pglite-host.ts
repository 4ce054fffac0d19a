import { Worker } from 'node:worker_threads';
import { waitForWorkerReady } from '../threads/worker-ready.ts';

/**
 * The embedded database runs in its own thread (pglite.worker.mjs): PGlite executes
 * each statement synchronously inside WebAssembly, so on the main thread a large insert
 * or index build would freeze every request, `/healthz` included. Here the main thread
 * only posts statements and awaits answers. Statements still run one at a time — PGlite
 * is one connection — and the ConnectionGate (pglite-dialect.ts) decides whose turn it is.
 */

export interface PgliteResult {
  rows: Record<string, unknown>[];
  affectedRows: number;
}

/** A Postgres error raised in the database thread, with its SQLSTATE `code` and details. */
export class EmbeddedDatabaseError extends Error {
  code?: string;
  detail?: string;
  constraint?: string;
  table?: string;
  column?: string;
  severity?: string;

  constructor(fields: Record<string, unknown>) {
    super(String(fields.message ?? 'embedded database error'));
    this.name = 'EmbeddedDatabaseError';
    Object.assign(this, fields);
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

type Reply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: Record<string, unknown> };

export class PgliteHost {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;
  private isClosed = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: Reply) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.ok) waiting.resolve(message.result);
      else waiting.reject(new EmbeddedDatabaseError(message.error));
    });
    const fail = (error: Error) => {
      this.failure = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', (error) => fail(new Error(`The embedded database stopped: ${error.message}`)));
    worker.on('exit', (code) => {
      if (!this.isClosed) fail(new Error(`The embedded database stopped unexpectedly (exit code ${code}).`));
    });
  }

  /** Starts the database thread on a directory (or `memory://`), optionally from a snapshot. */
  static async open(options: { dataDir: string; snapshot?: Blob }): Promise<PgliteHost> {
    const snapshot = options.snapshot ? await options.snapshot.arrayBuffer() : null;
    const worker = new Worker(new URL('./pglite.worker.mjs', import.meta.url), {
      workerData: { dataDir: options.dataDir, snapshot },
      ...(snapshot ? { transferList: [snapshot] } : {}),
    });
    await waitForWorkerReady(
      worker,
      (reason) => new Error(`Could not open the embedded database: ${reason}`),
    );
    return new PgliteHost(worker);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private request<T>(message: Record<string, unknown>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.isClosed) return Promise.reject(new Error('The embedded database is closed.'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  /** One statement with parameters (extended protocol). */
  query(sql: string, params: readonly unknown[]): Promise<PgliteResult> {
    return this.request({ op: 'query', sql, params });
  }

  /** Statements without parameters (simple protocol); answers with the last one's result. */
  exec(sql: string): Promise<PgliteResult> {
    return this.request({ op: 'exec', sql });
  }

  /** A copy of the whole database, to open another from. */
  async dump(): Promise<Blob> {
    return new Blob([await this.request<ArrayBuffer>({ op: 'dump' })]);
  }

  /** Closes PGlite (flushing to disk) and ends the thread. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    try {
      if (!this.failure) await this.request({ op: 'close' });
    } finally {
      this.isClosed = true;
      await this.worker.terminate();
    }
  }
}
