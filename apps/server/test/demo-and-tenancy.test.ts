import { access } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  DEMO_DOCUMENTS_DIRECTORY,
  DEMO_TENANT,
  DEMO_USERS,
  readDemoManifest,
  seedDemo,
} from '../src/modules/demo/demo.service.ts';
import { LLM_MODES } from '../src/modules/llm/llm.types.ts';
import { createTenantInTransaction, resolveDepartment } from '../src/modules/tenancy/tenancy.service.ts';
import { createUser, setUserRole } from '../src/modules/users/users.service.ts';
import { verifyPassword } from '../src/platform/crypto/passwords.ts';
import { createTestDatabase, describeEachBackend, type TestDatabase } from './helpers/databases.ts';

describeEachBackend('demo data, tenants and users', (backend) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(backend);
  });
  afterEach(async () => {
    await database.cleanup();
  });

  it('loads the demo tenant once: taxonomy, one user per role, model settings for every mode', async () => {
    const { db } = database;
    const seeded = await seedDemo(db, { password: 'correct horse battery' });
    expect(seeded?.users.map((user) => user.role).sort()).toEqual(['content_manager', 'super_admin', 'user']);

    const tenant = await db.kysely
      .selectFrom('tenants')
      .selectAll()
      .where('slug', '=', DEMO_TENANT.slug)
      .executeTakeFirstOrThrow();
    const departments = await db.kysely
      .selectFrom('departments')
      .innerJoin('regions', 'regions.id', 'departments.region_id')
      .select(['regions.code as region', 'departments.code as department'])
      .where('departments.tenant_id', '=', tenant.id)
      .execute();
    expect(departments.map((row) => `${row.region}/${row.department}`).sort()).toEqual(
      ['APAC/Ops', 'APAC/Sales', 'UK/HR', 'UK/IT', 'US/Finance', 'US/HR'].sort(),
    );

    const hashes = await db.kysely
      .selectFrom('users')
      .innerJoin('password_hashes', 'password_hashes.user_id', 'users.id')
      .select(['users.email', 'users.role', 'password_hashes.hash'])
      .execute();
    expect(hashes).toHaveLength(DEMO_USERS.length);
    for (const row of hashes) {
      expect(row.hash.startsWith('$argon2id$')).toBe(true);
      expect(await verifyPassword(row.hash, 'correct horse battery')).toBe(true);
      expect(await verifyPassword(row.hash, 'wrong password here')).toBe(false);
    }

    const configs = await db.kysely
      .selectFrom('llm_configs')
      .select(['mode', 'provider'])
      .where('is_active', '=', true)
      .execute();
    expect(configs.map((config) => config.mode).sort()).toEqual([...LLM_MODES].sort());
    expect(new Set(configs.map((config) => config.provider))).toEqual(new Set(['offline']));
    const prompts = await db.kysely
      .selectFrom('system_prompts')
      .select('mode')
      .where('is_active', '=', true)
      .execute();
    expect(prompts).toHaveLength(LLM_MODES.length);

    expect(await seedDemo(db)).toBeNull();
    expect(await db.kysely.selectFrom('users').select('id').execute()).toHaveLength(DEMO_USERS.length);
  });

  it('generates distinct demo passwords when none is configured', async () => {
    const seeded = await seedDemo(database.db);
    const passwords = seeded!.users.map((user) => user.password);
    expect(new Set(passwords).size).toBe(passwords.length);
    for (const password of passwords) expect(password.length).toBeGreaterThanOrEqual(16);
  });

  it('creates tenants with the demo taxonomy unless told otherwise, and rejects bad input', async () => {
    const { db } = database;
    const acme = await createTenantInTransaction(db, { slug: 'acme', name: 'Acme Corp' });
    expect((await resolveDepartment(db.kysely, acme.id, 'apac/sales')).regionCode).toBe('APAC');
    const empty = await createTenantInTransaction(db, { slug: 'empty', name: 'Empty', taxonomy: [] });
    await expect(resolveDepartment(db.kysely, empty.id, 'UK/HR')).rejects.toThrow(/No department "UK\/HR"/);
    await expect(createTenantInTransaction(db, { slug: 'acme', name: 'Again' })).rejects.toThrow(
      /already exists/,
    );
    await expect(createTenantInTransaction(db, { slug: 'Bad Slug', name: 'x' })).rejects.toThrow(
      /lower-case/,
    );
    // UK/HR and US/HR are different departments.
    const ukHr = await resolveDepartment(db.kysely, acme.id, 'UK/HR');
    const usHr = await resolveDepartment(db.kysely, acme.id, 'US/HR');
    expect(ukHr.id).not.toBe(usHr.id);
    // Departments belong to their tenant: another tenant's code does not resolve to them.
    const other = await createTenantInTransaction(db, { slug: 'other', name: 'Other' });
    expect((await resolveDepartment(db.kysely, other.id, 'UK/HR')).id).not.toBe(ukHr.id);
  });

  it('creates users and changes roles with an audit trail; bad input leaves nothing behind', async () => {
    const { db } = database;
    const tenant = await createTenantInTransaction(db, { slug: 'acme', name: 'Acme' });
    const create = (overrides: Partial<Parameters<typeof createUser>[1]>) =>
      db.transaction((trx) =>
        createUser(trx, {
          tenantId: tenant.id,
          email: 'kim@acme.example',
          password: 'a long enough password',
          role: 'user',
          department: 'US/Finance',
          ...overrides,
        }),
      );
    await expect(create({ email: 'not-an-email' })).rejects.toThrow(/not a valid email/);
    await expect(create({ password: 'short' })).rejects.toThrow(/at least 12/);
    await expect(create({ department: 'US/Nowhere' })).rejects.toThrow(/No department/);
    expect(await db.kysely.selectFrom('users').select('id').execute()).toEqual([]);

    const user = await create({});
    await expect(create({ email: 'KIM@acme.example' })).rejects.toThrow(/already exists/);
    const { previousRole } = await db.transaction((trx) =>
      setUserRole(trx, { tenantId: tenant.id, email: 'kim@acme.example', role: 'content_manager' }),
    );
    expect(previousRole).toBe('user');
    const stored = await db.kysely
      .selectFrom('users')
      .select('role')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(stored.role).toBe('content_manager');
    const audit = await db.kysely
      .selectFrom('audit_log')
      .select(['action', 'before', 'after'])
      .where('target_id', '=', user.id)
      .orderBy('id')
      .execute();
    expect(audit).toEqual([
      {
        action: 'user.created',
        before: null,
        after: { email: 'kim@acme.example', role: 'user', department: 'US/Finance' },
      },
      { action: 'user.role_changed', before: { role: 'user' }, after: { role: 'content_manager' } },
    ]);
  });
});

it('ships every demo document the manifest lists, in several formats', async () => {
  const manifest = await readDemoManifest();
  const extensions = new Set(manifest.documents.map((document) => path.extname(document.file)));
  for (const extension of ['.md', '.html', '.docx', '.pdf', '.xlsx']) expect(extensions).toContain(extension);
  for (const document of manifest.documents) {
    await expect(access(path.join(DEMO_DOCUMENTS_DIRECTORY, document.file))).resolves.toBeUndefined();
  }
  // Scopes differ: some documents are tenant-wide, some limited to a region or a department.
  expect(
    manifest.documents.some((document) => document.departments.length + document.regions.length === 0),
  ).toBe(true);
  expect(manifest.documents.some((document) => document.departments.length > 0)).toBe(true);
  expect(manifest.documents.some((document) => document.regions.length > 0)).toBe(true);
});
