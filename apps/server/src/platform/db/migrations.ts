import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Db } from './database.ts';

/** Numbered plain-SQL files: `0001_init.sql`, `0002_…`. Append-only once released. */
export const MIGRATIONS_DIRECTORY = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  isCurrent: boolean;
  appliedVersion: number;
  latestVersion: number;
  pending: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export async function readMigrationFiles(directory = MIGRATIONS_DIRECTORY): Promise<MigrationFile[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    const match = FILE_PATTERN.exec(name);
    if (!match) throw new MigrationError(`Migration file name "${name}" must look like 0001_description.sql`);
    const text = await readFile(`${directory}/${name}`, 'utf8');
    const version = Number(match[1]);
    if (files.some((file) => file.version === version)) {
      throw new MigrationError(`Two migration files share version ${version}`);
    }
    files.push({ version, name, sql: text, checksum: createHash('sha256').update(text).digest('hex') });
  }
  return files;
}

const ENSURE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Applies pending migrations in one transaction under an advisory lock, so several
 * processes starting together apply each file exactly once. Idempotent.
 * Refuses to run when an applied file was edited afterwards.
 */
export async function migrate(db: Db, files?: MigrationFile[]): Promise<string[]> {
  const migrationFiles = files ?? (await readMigrationFiles());
  return db.transaction(async (trx) => {
    // One migrator per schema at a time, across processes; the lock ends with the transaction.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`nexus_migrations:${db.schema}`}))`.execute(trx);
    if (db.schema !== 'public') await sql.raw(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`).execute(trx);
    await sql.raw(ENSURE_TABLE).execute(trx);
    const applied = await trx
      .selectFrom('schema_migrations')
      .select(['version', 'name', 'checksum'])
      .execute();
    verifyApplied(applied, migrationFiles);
    const appliedVersions = new Set(applied.map((row) => row.version));
    const names: string[] = [];
    for (const file of migrationFiles) {
      if (appliedVersions.has(file.version)) continue;
      try {
        await sql.raw(file.sql).execute(trx);
      } catch (error) {
        throw new MigrationError(`Migration ${file.name} failed: ${(error as Error).message}`);
      }
      await trx
        .insertInto('schema_migrations')
        .values({ version: file.version, name: file.name, checksum: file.checksum })
        .execute();
      names.push(file.name);
    }
    return names;
  });
}

function verifyApplied(
  applied: { version: number; name: string; checksum: string }[],
  files: MigrationFile[],
): void {
  for (const row of applied) {
    const file = files.find((candidate) => candidate.version === row.version);
    if (!file) {
      throw new MigrationError(
        `The database has migration ${row.name}, which this version of Nexus does not know: it was migrated by a newer release.`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `Migration ${file.name} was changed after it was applied. Migrations are append-only: add a new numbered file instead.`,
      );
    }
  }
}

/** Whether every migration file has been applied (for /readyz). */
export async function readMigrationStatus(db: Db, files?: MigrationFile[]): Promise<MigrationStatus> {
  const migrationFiles = files ?? (await readMigrationFiles());
  const latestVersion = migrationFiles.at(-1)?.version ?? 0;
  // Before the first migration the table does not exist: nothing is applied.
  const { rows } = await db
    .executeSql('SELECT version FROM schema_migrations')
    .catch(() => ({ rows: [] as Record<string, unknown>[] }));
  const applied = new Set(rows.map((row) => Number(row.version)));
  const pending = migrationFiles.filter((file) => !applied.has(file.version)).map((file) => file.name);
  return {
    isCurrent: pending.length === 0,
    appliedVersion: Math.max(0, ...applied),
    latestVersion,
    pending,
  };
}
