import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../src/modules/users/users.service.ts';
import { bearer, login, PASSWORD, seedTenant } from './helpers/accounts.ts';
import { createTestApp, type TestApp } from './helpers/app.ts';
import { describeEachBackend } from './helpers/databases.ts';

/**
 * Who may create, replace and delete which document: every role against every kind of
 * scope, over HTTP. A content manager manages exactly what they could have shared
 * themselves (their department, their region); a replacement never changes the scope.
 */

type Actor = 'admin' | 'managerUkHr' | 'managerUsFinance' | 'userUkHr';
type ScopeName = 'tenant' | 'ukHr' | 'usFinance' | 'regionUk' | 'ukHrAndUsFinance';

const SCOPE_FIELDS: Record<ScopeName, Record<string, string>> = {
  tenant: {},
  ukHr: { departments: 'UK/HR' },
  usFinance: { departments: 'US/Finance' },
  regionUk: { regions: 'UK' },
  ukHrAndUsFinance: { departments: 'UK/HR,US/Finance' },
};

/** Replace or delete a document of this scope: 2xx, 403 (readable, not theirs), 404 (unreadable). */
const MANAGE: Record<Actor, Record<ScopeName, number>> = {
  admin: { tenant: 202, ukHr: 202, usFinance: 202, regionUk: 202, ukHrAndUsFinance: 202 },
  managerUkHr: { tenant: 403, ukHr: 202, usFinance: 404, regionUk: 202, ukHrAndUsFinance: 403 },
  managerUsFinance: { tenant: 403, ukHr: 404, usFinance: 202, regionUk: 404, ukHrAndUsFinance: 403 },
  userUkHr: { tenant: 403, ukHr: 403, usFinance: 403, regionUk: 403, ukHrAndUsFinance: 403 },
};

/** Upload a new document with this scope. */
const CREATE: Record<Actor, Record<ScopeName, number>> = {
  admin: { tenant: 202, ukHr: 202, usFinance: 202, regionUk: 202, ukHrAndUsFinance: 202 },
  managerUkHr: { tenant: 202, ukHr: 202, usFinance: 403, regionUk: 202, ukHrAndUsFinance: 403 },
  managerUsFinance: { tenant: 202, ukHr: 403, usFinance: 202, regionUk: 403, ukHrAndUsFinance: 403 },
  userUkHr: { tenant: 403, ukHr: 403, usFinance: 403, regionUk: 403, ukHrAndUsFinance: 403 },
};

function form(name: string, content: string, fields: Record<string, string> = {}) {
  const body = new FormData();
  for (const [field, value] of Object.entries(fields)) body.append(field, value);
  body.append('file', new Blob([content], { type: 'text/markdown' }), name);
  return body;
}

describeEachBackend('document permissions: roles × scopes', (backend) => {
  let test: TestApp;
  const tokens = {} as Record<Actor, string>;
  const documents = {} as Record<ScopeName, string>;

  beforeAll(async () => {
    test = await createTestApp(backend);
    const acme = await seedTenant(test.database.db, 'acme');
    await test.database.db.transaction(async (trx) => {
      await createUser(trx, {
        tenantId: acme.tenantId,
        email: 'finance-manager@acme.example',
        password: PASSWORD,
        role: 'content_manager',
        department: 'US/Finance',
      });
      await createUser(trx, {
        tenantId: acme.tenantId,
        email: 'hr-user@acme.example',
        password: PASSWORD,
        role: 'user',
        department: 'UK/HR',
      });
    });
    tokens.admin = (await login(test.app, acme.users.super_admin.email)).access_token;
    tokens.managerUkHr = (await login(test.app, acme.users.content_manager.email)).access_token;
    tokens.managerUsFinance = (await login(test.app, 'finance-manager@acme.example')).access_token;
    tokens.userUkHr = (await login(test.app, 'hr-user@acme.example')).access_token;
    for (const scope of Object.keys(SCOPE_FIELDS) as ScopeName[]) {
      const created = await test.app.inject({
        method: 'POST',
        url: '/api/v1/documents',
        headers: bearer(tokens.admin),
        payload: form(
          'shared-name.md',
          `# ${scope}\n\nOriginal text of the ${scope} document.\n`,
          SCOPE_FIELDS[scope],
        ),
      });
      expect(created.statusCode).toBe(202);
      documents[scope] = created.json().document_id;
    }
  });
  afterAll(async () => {
    await test?.close();
  });

  async function scopeOf(id: string) {
    const document = (
      await test.app.inject({ url: `/api/v1/documents/${id}`, headers: bearer(tokens.admin) })
    ).json();
    return { departments: document.departments, regions: document.regions };
  }

  it('uploads: each role may create documents only in the scopes it manages, never over another', async () => {
    const outcomes = {} as Record<Actor, Record<ScopeName, number>>;
    for (const actor of Object.keys(CREATE) as Actor[]) {
      outcomes[actor] = {} as Record<ScopeName, number>;
      for (const scope of Object.keys(SCOPE_FIELDS) as ScopeName[]) {
        const response = await test.app.inject({
          method: 'POST',
          url: '/api/v1/documents',
          headers: bearer(tokens[actor]),
          payload: form(
            'shared-name.md',
            `# ${actor} ${scope}\n\nUploaded by ${actor}.\n`,
            SCOPE_FIELDS[scope],
          ),
        });
        outcomes[actor][scope] = response.statusCode;
        if (response.statusCode === 202) {
          expect(Object.values(documents)).not.toContain(response.json().document_id);
        } else {
          expect(response.json().error.code).toMatch(/^forbidden:/);
        }
      }
    }
    expect(outcomes).toEqual(CREATE);
    // The admin's five documents kept their scopes.
    expect(await scopeOf(documents.usFinance)).toEqual({ departments: ['US/Finance'], regions: [] });
    expect(await scopeOf(documents.tenant)).toEqual({ departments: [], regions: [] });
  });

  it('versions: each role may replace exactly the documents it manages, and the scope never changes', async () => {
    const outcomes = {} as Record<Actor, Record<ScopeName, number>>;
    for (const actor of Object.keys(MANAGE) as Actor[]) {
      outcomes[actor] = {} as Record<ScopeName, number>;
      for (const scope of Object.keys(SCOPE_FIELDS) as ScopeName[]) {
        const response = await test.app.inject({
          method: 'POST',
          url: `/api/v1/documents/${documents[scope]}/versions`,
          headers: bearer(tokens[actor]),
          payload: form('replacement.md', `# ${scope}\n\nReplaced by ${actor}.\n`),
        });
        outcomes[actor][scope] = response.statusCode;
      }
    }
    expect(outcomes).toEqual(MANAGE);
    const before = Object.fromEntries(
      await Promise.all(
        (Object.keys(SCOPE_FIELDS) as ScopeName[]).map(async (scope) => [
          scope,
          await scopeOf(documents[scope]),
        ]),
      ),
    );
    expect(before.ukHrAndUsFinance).toEqual({ departments: ['UK/HR', 'US/Finance'], regions: [] });
    expect(before.regionUk).toEqual({ departments: [], regions: ['UK'] });

    // A version cannot carry a scope.
    const withScope = await test.app.inject({
      method: 'POST',
      url: `/api/v1/documents/${documents.ukHr}/versions`,
      headers: bearer(tokens.admin),
      payload: form('replacement.md', '# x\n\nAnother text.\n', { departments: 'US/Finance' }),
    });
    expect(withScope.statusCode).toBe(400);
    expect(await scopeOf(documents.ukHr)).toEqual({ departments: ['UK/HR'], regions: [] });
    const unknown = await test.app.inject({
      method: 'POST',
      url: '/api/v1/documents/00000000-0000-4000-8000-000000000000/versions',
      headers: bearer(tokens.admin),
      payload: form('replacement.md', '# x\n\nText.\n'),
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('deletes: each role may delete exactly the documents it manages', async () => {
    const outcomes = {} as Record<Actor, Record<ScopeName, number>>;
    const order: Actor[] = ['userUkHr', 'managerUsFinance', 'managerUkHr', 'admin'];
    for (const actor of order) {
      outcomes[actor] = {} as Record<ScopeName, number>;
      for (const scope of Object.keys(SCOPE_FIELDS) as ScopeName[]) {
        const response = await test.app.inject({
          method: 'DELETE',
          url: `/api/v1/documents/${documents[scope]}`,
          headers: bearer(tokens[actor]),
        });
        outcomes[actor][scope] = response.statusCode;
      }
    }
    // A manager deletes what they manage first; the admin then finds those gone (404).
    expect(outcomes).toEqual({
      userUkHr: MANAGE.userUkHr,
      managerUsFinance: { tenant: 403, ukHr: 404, usFinance: 204, regionUk: 404, ukHrAndUsFinance: 403 },
      managerUkHr: { tenant: 403, ukHr: 204, usFinance: 404, regionUk: 204, ukHrAndUsFinance: 403 },
      admin: { tenant: 204, ukHr: 404, usFinance: 404, regionUk: 404, ukHrAndUsFinance: 204 },
    });
  });
});
