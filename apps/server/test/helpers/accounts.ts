import type { NexusApp } from '../../src/app.ts';
import { createTenant } from '../../src/modules/tenancy/tenancy.service.ts';
import { createUser } from '../../src/modules/users/users.service.ts';
import type { Db } from '../../src/platform/db/database.ts';
import type { Role } from '../../src/platform/db/schema.ts';

export const PASSWORD = 'correct horse battery staple';

export interface SeededTenant {
  tenantId: string;
  slug: string;
  users: Record<Role, { id: string; email: string }>;
}

/** A tenant with the default taxonomy and one user per role (all with PASSWORD). */
export async function seedTenant(db: Db, slug: string): Promise<SeededTenant> {
  return db.transaction(async (trx) => {
    const tenant = await createTenant(trx, { slug, name: `Tenant ${slug}` });
    const users = {} as SeededTenant['users'];
    const departments: Record<Role, string> = {
      super_admin: 'UK/IT',
      content_manager: 'UK/HR',
      user: 'US/Finance',
    };
    for (const role of ['super_admin', 'content_manager', 'user'] as const) {
      const email = `${role.replace('_', '-')}@${slug}.example`;
      const user = await createUser(trx, {
        tenantId: tenant.id,
        email,
        password: PASSWORD,
        role,
        department: departments[role],
      });
      users[role] = { id: user.id, email };
    }
    return { tenantId: tenant.id, slug, users };
  });
}

export async function login(app: NexusApp, email: string, extra: Record<string, string> = {}) {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: PASSWORD, ...extra },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return response.json() as { access_token: string; refresh_token: string; user: { id: string; role: Role } };
}

export function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}
