import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from 'kysely';
import type { PgliteHost, PgliteResult } from './pglite-host.ts';

/**
 * PGlite is a single Postgres backend in this process: one connection. Every user of
 * it (Kysely, pg-boss, migrations) goes through one gate so that a transaction owns
 * the connection from BEGIN to COMMIT and nothing else's statements land inside it.
 */
export class ConnectionGate {
  private tail: Promise<void> = Promise.resolve();
  private readonly context = new AsyncLocalStorage<{ isHeld: boolean }>();

  /** Waits for the connection; resolves with a release function. */
  async acquire(): Promise<() => void> {
    const scope = this.context.getStore();
    if (scope?.isHeld) {
      throw new Error(
        'Embedded database deadlock: a query was issued outside the open transaction while it holds the only connection. Pass the transaction (trx) down instead of the database.',
      );
    }
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => next);
    await previous;
    if (scope) scope.isHeld = true;
    return () => {
      if (scope) scope.isHeld = false;
      release();
    };
  }

  /**
   * Runs fn in a scope where, once the connection is acquired (by fn or by Kysely on its
   * behalf), any further acquisition from the same async context fails fast instead of
   * waiting forever for itself.
   */
  track<T>(fn: () => Promise<T>): Promise<T> {
    return this.context.run({ isHeld: false }, fn);
  }
}

/** Runs SQL on PGlite: extended protocol with parameters, simple protocol (multi-statement) without. */
export function queryPglite(
  pglite: PgliteHost,
  sql: string,
  parameters: readonly unknown[],
): Promise<PgliteResult> {
  return parameters.length > 0 ? pglite.query(sql, parameters) : pglite.exec(sql);
}

class PgliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PgliteHost) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await queryPglite(this.pglite, compiledQuery.sql, compiledQuery.parameters);
    const affected = result.affectedRows ?? 0;
    return {
      rows: result.rows as R[],
      ...(isMutation(compiledQuery.sql) ? { numAffectedRows: BigInt(affected) } : {}),
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is not supported by PGlite; fail clearly.
  async *streamQuery<R>(_query: CompiledQuery, _chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported on the embedded database');
  }
}

function isMutation(sql: string): boolean {
  return /^\s*(insert|update|delete|merge)\b/i.test(sql);
}

class PgliteDriver implements Driver {
  private readonly releases = new WeakMap<DatabaseConnection, () => void>();
  private readonly connection: PgliteConnection;

  constructor(
    private readonly pglite: PgliteHost,
    private readonly gate: ConnectionGate,
  ) {
    this.connection = new PgliteConnection(pglite);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.gate.acquire();
    // One physical connection; wrap per acquisition so releases map one-to-one.
    const connection: DatabaseConnection = {
      executeQuery: (query) => this.connection.executeQuery(query),
      streamQuery: (query, chunkSize) => this.connection.streamQuery(query, chunkSize),
    };
    this.releases.set(connection, release);
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.releases.get(connection)?.();
    this.releases.delete(connection);
  }

  async destroy(): Promise<void> {
    if (!this.pglite.closed) await this.pglite.close();
  }
}

export class PgliteDialect implements Dialect {
  constructor(
    private readonly pglite: PgliteHost,
    private readonly gate: ConnectionGate,
  ) {}

  createAdapter() {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new PgliteDriver(this.pglite, this.gate);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }

  createIntrospector(database: Parameters<Dialect['createIntrospector']>[0]) {
    return new PostgresIntrospector(database);
  }
}
