import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { isTenantRoleAvailable, runAsTenant } from '../src/platform/db/tenant-scope.ts';
import { createTestDatabase, describeEachBackend, type TestDatabase } from './helpers/databases.ts';

describeEachBackend('row-level security', (backend) => {
  let database: TestDatabase;
  let acme: string;
  let globex: string;

  beforeEach(async () => {
    database = await createTestDatabase(backend);
    const { kysely } = database.db;
    const tenants = await kysely
      .insertInto('tenants')
      .values([
        { slug: 'acme', name: 'Acme' },
        { slug: 'globex', name: 'Globex' },
      ])
      .returning(['id', 'slug'])
      .execute();
    acme = tenants.find((tenant) => tenant.slug === 'acme')!.id;
    globex = tenants.find((tenant) => tenant.slug === 'globex')!.id;
    for (const [tenantId, title] of [
      [acme, 'Acme leave policy'],
      [globex, 'Globex merger plan'],
    ] as const) {
      const document = await kysely
        .insertInto('documents')
        .values({ tenant_id: tenantId, title })
        .returning('id')
        .executeTakeFirstOrThrow();
      await kysely
        .insertInto('chunks')
        .values({ tenant_id: tenantId, document_id: document.id, ordinal: 0, text: title })
        .execute();
    }
  });
  afterEach(async () => {
    await database.cleanup();
  });

  it('hides other tenants’ rows from a query that forgot its tenant filter', async () => {
    expect(await isTenantRoleAvailable(database.db)).toBe(true);
    const titles = await runAsTenant(database.db, acme, (trx) =>
      trx.selectFrom('documents').select('title').execute(),
    );
    expect(titles).toEqual([{ title: 'Acme leave policy' }]);
    const chunks = await runAsTenant(database.db, globex, (trx) =>
      trx.selectFrom('chunks').select('text').execute(),
    );
    expect(chunks).toEqual([{ text: 'Globex merger plan' }]);
    // A join across tables stays inside the tenant too.
    const joined = await runAsTenant(database.db, acme, (trx) =>
      trx
        .selectFrom('chunks')
        .innerJoin('documents', 'documents.id', 'chunks.document_id')
        .select('documents.title')
        .execute(),
    );
    expect(joined).toEqual([{ title: 'Acme leave policy' }]);
  });

  it('refuses to write or change rows of another tenant', async () => {
    await expect(
      runAsTenant(database.db, acme, (trx) =>
        trx.insertInto('documents').values({ tenant_id: globex, title: 'Planted' }).execute(),
      ),
    ).rejects.toThrow(/row-level security/);
    const updated = await runAsTenant(database.db, acme, (trx) =>
      trx
        .updateTable('documents')
        .set({ title: 'Defaced' })
        .where('title', '=', 'Globex merger plan')
        .executeTakeFirst(),
    );
    expect(Number(updated.numUpdatedRows)).toBe(0);
    const deleted = await runAsTenant(database.db, acme, (trx) =>
      trx.deleteFrom('chunks').executeTakeFirst(),
    );
    expect(Number(deleted.numDeletedRows)).toBe(1); // only Acme's own chunk
    const globexChunks = await database.db.kysely
      .selectFrom('chunks')
      .select('text')
      .where('tenant_id', '=', globex)
      .execute();
    expect(globexChunks).toHaveLength(1);
  });

  it('sees nothing at all when no tenant is set under the tenant role', async () => {
    const rows = await database.db.transaction(async (trx) => {
      await sql.raw('SET LOCAL ROLE nexus_tenant').execute(trx);
      return trx.selectFrom('documents').select('title').execute();
    });
    expect(rows).toEqual([]);
  });
});
