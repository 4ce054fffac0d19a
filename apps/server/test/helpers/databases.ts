import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe } from 'vitest';
import type { DatabaseConfig } from '../../src/config.ts';
import { type Db, openDatabase } from '../../src/platform/db/database.ts';
import { migrate } from '../../src/platform/db/migrations.ts';

/**
 * Integration tests run on every backend available: embedded PGlite always, and the
 * server Postgres at TEST_DATABASE_URL when set — each test in its own schema there.
 */
export type Backend = 'embedded' | 'postgres';

const serverUrl = process.env.TEST_DATABASE_URL;
let isSkipNoticePrinted = false;

export const BACKENDS: Backend[] = serverUrl ? ['embedded', 'postgres'] : ['embedded'];

/** Declares the suite once per backend; says so when the server backend is skipped. */
export function describeEachBackend(name: string, suite: (backend: Backend) => void): void {
  for (const backend of ['embedded', 'postgres'] as const) {
    if (backend === 'postgres' && !serverUrl) {
      if (!isSkipNoticePrinted) {
        console.warn('[skipped] server Postgres suites: TEST_DATABASE_URL is not set');
        isSkipNoticePrinted = true;
      }
      describe.skip(`${name} [postgres: TEST_DATABASE_URL not set]`, () => suite(backend));
      continue;
    }
    describe(`${name} [${backend}]`, () => suite(backend));
  }
}

export interface TestDatabase {
  db: Db;
  config: DatabaseConfig;
  /** Opens another connection to the same database (postgres only; embedded has one). */
  reopen(): Promise<Db>;
  cleanup(): Promise<void>;
}

/**
 * Creating a PGlite database (initdb) takes seconds; loading a dumped one takes a few
 * hundred milliseconds. Each test process makes one empty and one migrated snapshot and
 * starts every embedded test database from a copy.
 */
const snapshots = new Map<'empty' | 'migrated', Promise<Blob>>();
function embeddedSnapshot(kind: 'empty' | 'migrated'): Promise<Blob> {
  let snapshot = snapshots.get(kind);
  if (!snapshot) {
    snapshot = (async () => {
      const db = await openDatabase({ kind: 'embedded', dataDir: 'memory://' });
      try {
        if (kind === 'migrated') await migrate(db);
        return await db.snapshot!();
      } finally {
        await db.close();
      }
    })();
    snapshots.set(kind, snapshot);
  }
  return snapshot;
}

/** A fresh, empty database: PGlite in memory, or a new schema on the server. */
export async function createTestDatabase(
  backend: Backend,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  if (backend === 'embedded') {
    const snapshot = await embeddedSnapshot(options.migrate === false ? 'empty' : 'migrated');
    const config: DatabaseConfig = { kind: 'embedded', dataDir: 'memory://', snapshot };
    const db = await openDatabase(config);
    return {
      db,
      config,
      reopen: () => Promise.reject(new Error('the embedded database has a single connection')),
      cleanup: () => db.close(),
    };
  }
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const config: DatabaseConfig = { kind: 'postgres', url: serverUrl, schema, poolMax: 4 };
  const opened: Db[] = [];
  const reopen = async () => {
    const db = await openDatabase(config);
    opened.push(db);
    return db;
  };
  const db = await reopen();
  if (options.migrate !== false) await migrate(db);
  return {
    db,
    config,
    reopen,
    async cleanup() {
      for (const handle of opened) await handle.close();
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        await admin.query(
          `DROP SCHEMA IF EXISTS "${schema}" CASCADE; DROP SCHEMA IF EXISTS "${schema}_pgboss" CASCADE;`,
        );
      } finally {
        await admin.end();
      }
    },
  };
}
