import type { SsoConfig } from '../../config.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { insertAuditEvent } from '../audit/audit.repository.ts';
import { requireTenant } from '../tenancy/tenancy.service.ts';
import { type AccountRow, findAccountById } from './auth.repository.ts';
import { SsoClient, type SsoIdentity } from './sso.client.ts';

/** Creates the OIDC client on first use (discovery needs the IdP) and keeps it; retries after a failure. */
export function createSsoClientProvider(config: SsoConfig): () => Promise<SsoClient> {
  let client: Promise<SsoClient> | undefined;
  return () => {
    client ??= SsoClient.create({
      issuerUrl: config.issuerUrl,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      redirectUrl: config.redirectUrl,
      scopes: config.scopes,
      graphBaseUrl: config.graphBaseUrl,
      allowInsecureRequests: config.allowInsecureRequests,
    }).catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };
}

/**
 * Finds or creates the Nexus user for an SSO identity: by (issuer, subject), else by
 * email in the SSO tenant (linking it), else a new `user`. The department follows the
 * admin-editable mapping of IdP groups / department attribute; with no match it is left
 * as it was.
 */
export async function provisionSsoUser(
  executor: Executor,
  config: SsoConfig,
  identity: SsoIdentity,
  ip: string | null,
): Promise<AccountRow> {
  const tenant = await requireTenant(executor, config.tenantSlug);
  const linked = await executor
    .selectFrom('identities')
    .select(['user_id', 'tenant_id'])
    .where('issuer', '=', identity.issuer)
    .where('subject', '=', identity.subject)
    .executeTakeFirst();
  let userId = linked?.tenant_id === tenant.id ? linked.user_id : undefined;
  if (!userId && identity.email) {
    const byEmail = await executor
      .selectFrom('users')
      .select('id')
      .where('tenant_id', '=', tenant.id)
      .where((eb) => eb(eb.fn('lower', ['email']), '=', identity.email!.toLowerCase()))
      .executeTakeFirst();
    userId = byEmail?.id;
  }
  const departmentId = await mapDepartment(executor, tenant.id, identity);
  if (!userId) {
    if (!identity.email) {
      throw new AppError(
        'unauthorized:sso_email',
        'Your identity provider did not share a verified email address.',
      );
    }
    const created = await executor
      .insertInto('users')
      .values({
        tenant_id: tenant.id,
        email: identity.email,
        display_name: identity.name ?? identity.email.split('@')[0]!,
        role: 'user',
        department_id: departmentId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    userId = created.id;
    await insertAuditEvent(executor, {
      tenantId: tenant.id,
      actorUserId: userId,
      action: 'user.provisioned',
      targetType: 'user',
      targetId: userId,
      after: { email: identity.email, issuer: identity.issuer },
      ip,
    });
  } else if (departmentId) {
    await executor
      .updateTable('users')
      .set({ department_id: departmentId, updated_at: new Date() })
      .where('id', '=', userId)
      .execute();
  }
  if (!linked) {
    await executor
      .insertInto('identities')
      .values({
        tenant_id: tenant.id,
        user_id: userId,
        issuer: identity.issuer,
        subject: identity.subject,
        claims: JSON.stringify(publicClaims(identity)),
        last_seen_at: new Date(),
      })
      .execute();
  } else {
    await executor
      .updateTable('identities')
      .set({ last_seen_at: new Date(), claims: JSON.stringify(publicClaims(identity)) })
      .where('issuer', '=', identity.issuer)
      .where('subject', '=', identity.subject)
      .execute();
  }
  const account = await findAccountById(executor, tenant.id, userId);
  if (!account?.isActive)
    throw new AppError('unauthorized:sso_disabled', 'This account is disabled. Contact your administrator.');
  await executor.updateTable('users').set({ last_login_at: new Date() }).where('id', '=', userId).execute();
  await insertAuditEvent(executor, {
    tenantId: tenant.id,
    actorUserId: userId,
    action: 'auth.login',
    after: { method: 'sso', issuer: identity.issuer },
    ip,
  });
  return account;
}

/** Claims worth keeping for support: no tokens, no nonce. */
function publicClaims(identity: SsoIdentity): Record<string, unknown> {
  return {
    email: identity.email,
    name: identity.name,
    groups: identity.groups,
    department: identity.department,
  };
}

async function mapDepartment(
  executor: Executor,
  tenantId: string,
  identity: SsoIdentity,
): Promise<string | null> {
  const values = [...identity.groups, ...(identity.department ? [identity.department] : [])];
  if (values.length === 0) return null;
  const mapping = await executor
    .selectFrom('idp_group_mappings')
    .select(['department_id', 'claim_value'])
    .where('tenant_id', '=', tenantId)
    .where('claim_value', 'in', values)
    .orderBy('claim_value')
    .executeTakeFirst();
  return mapping?.department_id ?? null;
}
