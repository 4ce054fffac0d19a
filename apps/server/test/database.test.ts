import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { detectCapabilities } from '../src/platform/db/database.ts';
import {
  MIGRATIONS_DIRECTORY,
  MigrationError,
  migrate,
  readMigrationFiles,
  readMigrationStatus,
} from '../src/platform/db/migrations.ts';
import { distinctGrams } from '../src/platform/text/char-grams.ts';
import { createTestDatabase, describeEachBackend, type TestDatabase } from './helpers/databases.ts';

/** Tables that describe the installation or schema, not a tenant's business data. */
// job_heartbeats belongs to the job queue (like pg-boss's own tables), login_throttles to client
// addresses (keys are digests), not to a tenant.
const NON_TENANT_TABLES = new Set([
  'tenants',
  'system_state',
  'schema_migrations',
  'job_heartbeats',
  'login_throttles',
]);

/** The tables DESIGN.md §4 names. */
const DESIGN_TABLES = [
  'tenants',
  'regions',
  'departments',
  'users',
  'identities',
  'password_hashes',
  'refresh_tokens',
  'api_keys',
  'bots',
  'datasets',
  'sources',
  'documents',
  'chunks',
  'conversations',
  'messages',
  'feedback',
  'notebook_sessions',
  'notebook_files',
  'llm_configs',
  'system_prompts',
  'audit_log',
];

describeEachBackend('database', (backend) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(backend, { migrate: false });
  });
  afterEach(async () => {
    await database.cleanup();
  });

  /** A tenant and one document of it, for tests that write chunks by hand. */
  async function insertTenantAndDocument() {
    const tenant = await database.db.kysely
      .insertInto('tenants')
      .values({ slug: 'acme', name: 'Acme' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const document = await database.db.kysely
      .insertInto('documents')
      .values({ tenant_id: tenant.id, title: 'Leave' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { tenant, document };
  }

  /** Stores one chunk with `searchText` under the migrations before `migration`, then applies the rest. */
  async function storeChunkBefore(migration: string, searchText: string): Promise<void> {
    const files = await readMigrationFiles();
    const version = files.find((file) => file.name.includes(migration))!.version;
    await migrate(
      database.db,
      files.filter((file) => file.version < version),
    );
    const { tenant, document } = await insertTenantAndDocument();
    await database.db.executeSql(
      `INSERT INTO chunks (tenant_id, document_id, ordinal, text, search_text, token_count) VALUES ($1, $2, 0, $3, $3, 14)`,
      [tenant.id, document.id, searchText],
    );
    await migrate(database.db, files);
  }

  async function listTables(): Promise<string[]> {
    const { rows } = await database.db.executeSql(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
    );
    return rows.map((row) => String(row.table_name));
  }

  it('applies every migration once, and a second run applies nothing', async () => {
    const files = await readMigrationFiles();
    expect(await readMigrationStatus(database.db)).toMatchObject({ isCurrent: false, appliedVersion: 0 });
    expect(await migrate(database.db)).toEqual(files.map((file) => file.name));
    expect(await migrate(database.db)).toEqual([]);
    const status = await readMigrationStatus(database.db);
    expect(status).toMatchObject({ isCurrent: true, pending: [], latestVersion: files.at(-1)!.version });
  });

  it('creates the whole data model, with tenant_id on every business table', async () => {
    await migrate(database.db);
    const tables = await listTables();
    for (const table of DESIGN_TABLES) expect(tables).toContain(table);
    const { rows } = await database.db.executeSql(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'tenant_id'`,
    );
    const withTenant = new Set(rows.map((row) => String(row.table_name)));
    const missing = tables.filter((table) => !NON_TENANT_TABLES.has(table) && !withTenant.has(table));
    expect(missing).toEqual([]);
  });

  it('reports the search extensions the server really has', async () => {
    await migrate(database.db);
    const capabilities = await detectCapabilities(database.db);
    if (backend === 'embedded') {
      expect(capabilities).toEqual({ vector: true, bm25: true });
      // The BM25 index is usable, not only present.
      const { tenant, document } = await insertTenantAndDocument();
      await database.db.kysely
        .insertInto('chunks')
        .values([
          {
            tenant_id: tenant.id,
            document_id: document.id,
            ordinal: 0,
            text: 'Employees get 25 days of annual leave.',
            search_text: 'Leave. Employees get 25 days of annual leave.',
          },
          {
            tenant_id: tenant.id,
            document_id: document.id,
            ordinal: 1,
            text: 'Expenses are paid monthly.',
            search_text: 'Leave. Expenses are paid monthly.',
          },
        ])
        .execute();
      const { rows } = await database.db.executeSql(
        `SELECT ordinal FROM chunks ORDER BY search_words <@> to_bm25query('annual leave', 'chunks_search_bm25_idx') LIMIT 1`,
      );
      expect(rows[0]?.ordinal).toBe(0);
    } else {
      const { rows } = await database.db.executeSql(
        `SELECT name FROM pg_available_extensions WHERE name IN ('vector', 'pg_textsearch')`,
      );
      const available = new Set(rows.map((row) => String(row.name)));
      expect(capabilities.vector).toBe(available.has('vector'));
      expect(capabilities.bm25).toBe(available.has('pg_textsearch'));
    }
  });

  it('fills the character grams of chunks stored before the grams existed, as the application writes them', async () => {
    const searchText = 'Annual Leave: 25 days (UK); IL-6 und Straße, a B12 naïve café — résumé 2026.';
    await storeChunkBefore('char_grams', searchText);
    const { rows } = await database.db.executeSql('SELECT search_grams FROM chunks');
    const stored = String(rows[0]?.search_grams).split(' ').sort();
    expect(stored).toEqual(distinctGrams(searchText).split(' ').sort());
    expect(stored).toEqual(
      expect.arrayContaining([
        'bann',
        'mannu',
        'eual',
        'w25',
        'wil',
        'w6',
        'bstr',
        'mstra',
        'mtraß',
        'eaße',
        'bcaf',
        'mcafé',
      ]),
    );
  });

  it('splits letter and digit runs for the word field, in chunks stored before the split existed too', async () => {
    const searchText = 'Bcl2 and PGE2 raise IL-6 in CD4+ cells, 3x faster since 1990s.';
    await storeChunkBefore('word_text', searchText);
    const { rows } = await database.db.executeSql(
      `SELECT search_text, search_words, array_to_string(tsvector_to_array(to_tsvector('english', search_words)), ' ') AS lexemes FROM chunks`,
    );
    expect(rows[0]?.search_text).toBe(searchText);
    expect(rows[0]?.search_words).toBe('Bcl 2 and PGE 2 raise IL-6 in CD 4+ cells, 3 x faster since 1990 s.');
    const lexemes = String(rows[0]?.lexemes).split(' ');
    expect(lexemes).toEqual(expect.arrayContaining(['bcl', '2', 'pge', 'cd', '4', '1990']));
    expect(lexemes).not.toContain('bcl2');
    if (!(await detectCapabilities(database.db)).bm25) {
      // The fallback's postings were rebuilt from the split words.
      const postings = await database.db.executeSql('SELECT term FROM chunk_terms');
      const terms = postings.rows.map((row) => String(row.term));
      expect(terms).toEqual(expect.arrayContaining(['bcl', 'pge', '2']));
      expect(terms).not.toContain('bcl2');
    }
  });

  it('refuses to run when an applied migration was edited', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'nexus-migrations-'));
    for (const name of await readdir(MIGRATIONS_DIRECTORY)) {
      await writeFile(path.join(directory, name), await readFile(path.join(MIGRATIONS_DIRECTORY, name)));
    }
    await migrate(database.db, await readMigrationFiles(directory));
    await writeFile(path.join(directory, '0001_init.sql'), '-- edited\n', { flag: 'a' });
    await expect(migrate(database.db, await readMigrationFiles(directory))).rejects.toThrow(
      /changed after it was applied/,
    );
  });

  it('rolls a failing migration back completely', async () => {
    const files = await readMigrationFiles();
    const broken = [
      ...files,
      {
        version: 9999,
        name: '9999_broken.sql',
        sql: 'CREATE TABLE half (id int); SELECT nope;',
        checksum: 'x',
      },
    ];
    await expect(migrate(database.db, broken)).rejects.toBeInstanceOf(MigrationError);
    expect(await listTables()).not.toContain('half');
    expect(await listTables()).not.toContain('tenants');
  });

  it('returns the same JavaScript types on both drivers', async () => {
    await migrate(database.db);
    const tenant = await database.db.kysely
      .insertInto('tenants')
      .values({ slug: 'types', name: 'Types', settings: JSON.stringify({ nested: { a: [1, 2] } }) })
      .returning(['id', 'settings', 'created_at'])
      .executeTakeFirstOrThrow();
    expect(tenant.settings).toEqual({ nested: { a: [1, 2] } });
    expect(tenant.created_at).toBeInstanceOf(Date);
    const { rows } = await database.db.executeSql(
      `SELECT count(*) AS n, 1.25::numeric AS price, ARRAY[$1::uuid] AS ids`,
      [tenant.id],
    );
    expect(rows[0]).toEqual({ n: 1, price: 1.25, ids: [tenant.id] });
  });

  it('commits or rolls back a transaction as a whole', async () => {
    await migrate(database.db);
    await expect(
      database.db.transaction(async (trx) => {
        await trx.insertInto('tenants').values({ slug: 'gone', name: 'Gone' }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await database.db.transaction(async (trx) => {
      await trx.insertInto('tenants').values({ slug: 'kept', name: 'Kept' }).execute();
    });
    const slugs = (await database.db.kysely.selectFrom('tenants').select('slug').execute()).map(
      (row) => row.slug,
    );
    expect(slugs).toEqual(['kept']);
  });

  if (backend === 'embedded') {
    it('fails fast, instead of hanging, when a query bypasses the open transaction', async () => {
      await migrate(database.db);
      await expect(
        database.db.transaction(async () => {
          await database.db.kysely.selectFrom('tenants').selectAll().execute();
        }),
      ).rejects.toThrow(/deadlock/);
      // The connection is usable afterwards.
      expect(await database.db.kysely.selectFrom('tenants').selectAll().execute()).toEqual([]);
    });
  }

  if (backend === 'postgres') {
    it('lets several processes migrate at once, applying each file exactly once', async () => {
      const others = await Promise.all([database.reopen(), database.reopen(), database.reopen()]);
      const results = await Promise.all([database.db, ...others].map((db) => migrate(db)));
      const applied = results.flat();
      expect(applied.sort()).toEqual((await readMigrationFiles()).map((file) => file.name).sort());
      const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM schema_migrations`.execute(
        database.db.kysely,
      );
      expect(count.rows[0]?.n).toBe((await readMigrationFiles()).length);
    });
  }
});
