import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { type DatabaseConfig, redactUrl } from '../../config.ts';
import { ConnectionGate, PgliteDialect, queryPglite } from './pglite-dialect.ts';
import { PgliteHost } from './pglite-host.ts';
import type { Database } from './schema.ts';

export type { Database } from './schema.ts';

/** A Kysely handle or an open transaction: repositories take either as their first argument. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface SqlResult {
  rows: Record<string, unknown>[];
}

/** One database, embedded (PGlite) or server Postgres (pg pool), behind one interface. */
export interface Db {
  readonly kind: 'embedded' | 'postgres';
  /** Where the data lives, safe to log (no passwords). */
  readonly description: string;
  /** Schema holding Nexus tables (search_path head); pg-boss uses its own next to it. */
  readonly schema: string;
  readonly kysely: Kysely<Database>;
  /** A copy of the whole embedded database, to open another from (embedded only). */
  snapshot?(): Promise<Blob>;
  /** Runs fn in one transaction; pass the trx down to every repository call inside. */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Raw SQL. Without values, several statements may be sent at once. */
  executeSql(sql: string, values?: readonly unknown[]): Promise<SqlResult>;
  close(): Promise<void>;
}

const OID_INT8 = 20;
const OID_NUMERIC = 1700;

/** Opens the configured database. Embedded mode keeps its files in `<dataDir>/pg` (or memory://). */
export async function openDatabase(config: DatabaseConfig): Promise<Db> {
  return config.kind === 'embedded' ? openEmbedded(config.dataDir, config.snapshot) : openPostgres(config);
}

async function openEmbedded(dataDir: string, snapshot?: Blob): Promise<Db> {
  const isMemory = dataDir.startsWith('memory://');
  const directory = isMemory ? dataDir : path.join(dataDir, 'pg');
  if (!isMemory) await mkdir(directory, { recursive: true });
  // PGlite runs in its own thread (pglite-host.ts): long statements never block this one.
  const pglite = await PgliteHost.open({ dataDir: directory, ...(snapshot ? { snapshot } : {}) });
  const gate = new ConnectionGate();
  const kysely = new Kysely<Database>({ dialect: new PgliteDialect(pglite, gate) });
  let isClosed = false;
  return {
    kind: 'embedded',
    description: isMemory ? 'embedded PGlite (in memory)' : `embedded PGlite at ${directory}`,
    schema: 'public',
    kysely,
    transaction: (fn) => gate.track(() => kysely.transaction().execute(fn)),
    async snapshot() {
      const release = await gate.acquire();
      try {
        return await pglite.dump();
      } finally {
        release();
      }
    },
    async executeSql(sql, values = []) {
      const release = await gate.acquire();
      try {
        const result = await queryPglite(pglite, sql, values);
        return { rows: result.rows };
      } finally {
        release();
      }
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      // Wait for whoever holds the connection, then close PGlite (flushes to disk).
      const release = await gate.acquire();
      try {
        await pglite.close();
      } finally {
        release();
      }
    },
  };
}

async function openPostgres(config: Extract<DatabaseConfig, { kind: 'postgres' }>): Promise<Db> {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolMax,
    // Tables live in config.schema; `public` stays on the path for extensions installed there.
    options: `-c search_path=${config.schema},public`,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === OID_INT8 || oid === OID_NUMERIC) return (value: string) => Number(value);
        return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let isClosed = false;
  return {
    kind: 'postgres',
    description: `postgres ${redactUrl(config.url)} (schema ${config.schema})`,
    schema: config.schema,
    kysely,
    transaction: (fn) => kysely.transaction().execute(fn),
    async executeSql(sql, values = []) {
      const result = await pool.query(sql, values.length > 0 ? (values as unknown[]) : undefined);
      // Multi-statement text returns one result per statement; the last one is the answer.
      const last = Array.isArray(result) ? result.at(-1) : result;
      return { rows: (last?.rows ?? []) as Record<string, unknown>[] };
    },
    async close() {
      if (isClosed) return;
      isClosed = true;
      await kysely.destroy(); // ends the pool
    },
  };
}

export interface Capabilities {
  /** pgvector present and chunks.embedding created. */
  vector: boolean;
  /** pg_textsearch present and the BM25 index on chunks created. */
  bm25: boolean;
}

/** What the migrated schema can do, read from the catalog (the schema, not just the server). */
export async function detectCapabilities(db: Db): Promise<Capabilities> {
  const { rows } = await db.executeSql(
    `SELECT
       EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'chunks' AND column_name = 'embedding') AS vector,
       EXISTS (SELECT 1 FROM pg_indexes
               WHERE schemaname = current_schema() AND indexname = 'chunks_search_bm25_idx') AS bm25`,
  );
  const row = rows[0] ?? {};
  return { vector: row.vector === true, bm25: row.bm25 === true };
}
