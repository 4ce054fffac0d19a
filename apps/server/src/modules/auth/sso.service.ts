import type { SsoConfig } from '../../config.ts';
import type { Db, Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import { requireTenant, resolveDepartment } from '../tenancy/tenancy.service.ts';
import { findUserIdByEmail, markSignedIn, provisionUser, setUserDepartment } from '../users/users.service.ts';
import { type AccountRow, findAccountById } from './auth.repository.ts';
import { type AuthContext, type ClientInfo, issueSession, type SessionTokens } from './auth.service.ts';
import { SsoClient, type SsoIdentity } from './sso.client.ts';
import {
  deleteGroupMapping,
  findGroupMappingByClaim,
  findIdentity,
  findMappedDepartment,
  type GroupMappingRow,
  insertGroupMapping,
  insertIdentity,
  listGroupMappings,
  touchIdentity,
} from './sso.repository.ts';

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
  const linked = await findIdentity(executor, identity.issuer, identity.subject);
  let userId = linked?.tenantId === tenant.id ? linked.userId : undefined;
  if (!userId && identity.email) userId = await findUserIdByEmail(executor, tenant.id, identity.email);
  const departmentId = await mapDepartment(executor, tenant.id, identity);
  if (!userId) {
    if (!identity.email) {
      throw new AppError(
        'unauthorized:sso_email',
        'Your identity provider did not share a verified email address.',
      );
    }
    const created = await provisionUser(executor, {
      tenantId: tenant.id,
      email: identity.email,
      displayName: identity.name ?? identity.email.split('@')[0]!,
      departmentId,
    });
    userId = created.id;
    await recordAuditEvent(executor, {
      tenantId: tenant.id,
      actorUserId: userId,
      action: 'user.provisioned',
      targetType: 'user',
      targetId: userId,
      after: { email: identity.email, issuer: identity.issuer },
      ip,
    });
  } else if (departmentId) {
    await setUserDepartment(executor, tenant.id, userId, departmentId);
  }
  const claims = publicClaims(identity);
  if (!linked) {
    await insertIdentity(executor, {
      tenantId: tenant.id,
      userId,
      issuer: identity.issuer,
      subject: identity.subject,
      claims,
    });
  } else {
    await touchIdentity(executor, { issuer: identity.issuer, subject: identity.subject, claims });
  }
  const account = await findAccountById(executor, tenant.id, userId);
  if (!account?.isActive)
    throw new AppError('unauthorized:sso_disabled', 'This account is disabled. Contact your administrator.');
  await markSignedIn(executor, userId);
  await recordAuditEvent(executor, {
    tenantId: tenant.id,
    actorUserId: userId,
    action: 'auth.login',
    after: { method: 'sso', issuer: identity.issuer },
    ip,
  });
  return account;
}

/** Provisions (or finds) the user of a verified SSO identity and opens a session, in one transaction. */
export function completeSsoSignIn(
  context: AuthContext,
  config: SsoConfig,
  identity: SsoIdentity,
  client: ClientInfo,
): Promise<SessionTokens> {
  return context.db.transaction(async (trx) => {
    const account = await provisionSsoUser(trx, config, identity, client.ip);
    return issueSession(context, trx, account, client);
  });
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

function mapDepartment(executor: Executor, tenantId: string, identity: SsoIdentity): Promise<string | null> {
  const values = [...identity.groups, ...(identity.department ? [identity.department] : [])];
  if (values.length === 0) return Promise.resolve(null);
  return findMappedDepartment(executor, tenantId, values);
}

export type { GroupMappingRow } from './sso.repository.ts';

export function listDepartmentMappings(db: Db, tenantId: string): Promise<GroupMappingRow[]> {
  return listGroupMappings(db.kysely, tenantId);
}

/** Maps an IdP group id (or department attribute value) to a department (audited). */
export function addDepartmentMapping(
  db: Db,
  actor: { tenantId: string; userId: string; ip: string },
  input: { claim_value: string; department: string },
): Promise<GroupMappingRow> {
  return db.transaction(async (trx) => {
    const department = await resolveDepartment(trx, actor.tenantId, input.department);
    if (await findGroupMappingByClaim(trx, actor.tenantId, input.claim_value))
      throw new AppError('conflict:group_mapping', `"${input.claim_value}" is already mapped.`);
    const id = await insertGroupMapping(trx, {
      tenantId: actor.tenantId,
      claimValue: input.claim_value,
      departmentId: department.id,
    });
    await recordAuditEvent(trx, {
      tenantId: actor.tenantId,
      actorUserId: actor.userId,
      action: 'sso.group_mapping_created',
      targetType: 'group_mapping',
      targetId: id,
      after: input,
      ip: actor.ip,
    });
    return { id, claim_value: input.claim_value, department: `${department.regionCode}/${department.code}` };
  });
}

export async function removeDepartmentMapping(
  db: Db,
  actor: { tenantId: string; userId: string; ip: string },
  id: string,
): Promise<void> {
  await db.transaction(async (trx) => {
    if (!(await deleteGroupMapping(trx, actor.tenantId, id)))
      throw new AppError('not_found:group_mapping', 'No such mapping.');
    await recordAuditEvent(trx, {
      tenantId: actor.tenantId,
      actorUserId: actor.userId,
      action: 'sso.group_mapping_deleted',
      targetType: 'group_mapping',
      targetId: id,
      ip: actor.ip,
    });
  });
}
