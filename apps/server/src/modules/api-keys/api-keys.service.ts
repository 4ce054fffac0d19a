import { randomBytes } from 'node:crypto';
import { hashToken } from '../../platform/crypto/opaque-tokens.ts';
import type { Db, Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import { getTenant } from '../tenancy/tenancy.service.ts';
import {
  type ApiKeyRow,
  findApiKeyByHash,
  findApiKeyById,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
} from './api-keys.repository.ts';

/**
 * API keys look like `nxk_<8-char prefix>_<secret>`. The prefix is stored and shown so
 * people can tell keys apart; only the SHA-256 of the whole key is stored.
 */
const KEY_PATTERN = /^nxk_([A-Za-z0-9]{8})_[A-Za-z0-9_-]{32,}$/;

export function isApiKeyFormat(token: string): boolean {
  return token.startsWith('nxk_');
}

export interface CreateApiKeyInput {
  tenantId: string;
  name: string;
  botId?: string | null;
  rateLimitPerMinute?: number | null;
  expiresAt?: Date | null;
  actorUserId?: string | null;
  ip?: string | null;
}

export async function createApiKey(
  executor: Executor,
  input: CreateApiKeyInput,
): Promise<{ key: string; apiKey: ApiKeyRow }> {
  const name = input.name.trim();
  if (!name || name.length > 100)
    throw new AppError('bad_request:api_key_name', 'An API key needs a name of 1–100 characters.');
  if (input.botId) {
    const bot = await executor
      .selectFrom('bots')
      .select('id')
      .where('tenant_id', '=', input.tenantId)
      .where('id', '=', input.botId)
      .executeTakeFirst();
    if (!bot) throw new AppError('not_found:bot', 'No such bot in this tenant.');
  }
  const prefix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 8);
  const key = `nxk_${prefix}_${randomBytes(32).toString('base64url')}`;
  const apiKey = await insertApiKey(executor, {
    tenantId: input.tenantId,
    name,
    prefix,
    keyHash: hashToken(key),
    botId: input.botId ?? null,
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    createdBy: input.actorUserId ?? null,
    expiresAt: input.expiresAt ?? null,
  });
  await recordAuditEvent(executor, {
    tenantId: input.tenantId,
    actorUserId: input.actorUserId ?? null,
    action: 'api_key.created',
    targetType: 'api_key',
    targetId: apiKey.id,
    after: { name, prefix, bot_id: apiKey.botId, rate_limit_per_minute: apiKey.rateLimitPerMinute },
    ip: input.ip ?? null,
  });
  return { key, apiKey };
}

/** The active key a bearer secret names, or undefined (unknown, revoked or expired). */
export async function findActiveApiKey(executor: Executor, key: string): Promise<ApiKeyRow | undefined> {
  if (!KEY_PATTERN.test(key)) return undefined;
  const apiKey = await findApiKeyByHash(executor, hashToken(key));
  if (!apiKey || apiKey.revokedAt) return undefined;
  if (apiKey.expiresAt && apiKey.expiresAt <= new Date()) return undefined;
  return apiKey;
}

export async function revokeApiKeyById(
  executor: Executor,
  input: { tenantId: string; id: string; actorUserId: string | null; ip: string | null },
): Promise<void> {
  const existing = await findApiKeyById(executor, input.tenantId, input.id);
  if (!existing) throw new AppError('not_found:api_key', 'No such API key.');
  if (!(await revokeApiKey(executor, input.tenantId, input.id))) return; // already revoked: idempotent
  await recordAuditEvent(executor, {
    tenantId: input.tenantId,
    actorUserId: input.actorUserId,
    action: 'api_key.revoked',
    targetType: 'api_key',
    targetId: input.id,
    before: { name: existing.name, prefix: existing.prefix },
    ip: input.ip,
  });
}

/** Records that a key was used now (fire and forget from the authentication hook). */
export function recordApiKeyUse(executor: Executor, id: string): Promise<void> {
  return touchApiKey(executor, id);
}

export type { ApiKeyRow } from './api-keys.repository.ts';

export function listTenantApiKeys(db: Db, tenantId: string): Promise<ApiKeyRow[]> {
  return listApiKeys(db.kysely, tenantId);
}

/** An admin creates a key (audited); the key itself is in the result, once. */
export function createApiKeyAsAdmin(
  db: Db,
  input: CreateApiKeyInput,
): Promise<{ key: string; apiKey: ApiKeyRow }> {
  return db.transaction((trx) => createApiKey(trx, input));
}

export function revokeApiKeyAsAdmin(
  db: Db,
  input: { tenantId: string; id: string; actorUserId: string | null; ip: string | null },
): Promise<void> {
  return db.transaction((trx) => revokeApiKeyById(trx, input));
}

/** The key a developer is calling with, and its tenant. */
export async function describeApiKey(
  db: Db,
  principal: { tenantId: string; apiKeyId: string },
): Promise<{ apiKey: ApiKeyRow; tenant: { id: string; slug: string } }> {
  const [apiKey, tenant] = await Promise.all([
    findApiKeyById(db.kysely, principal.tenantId, principal.apiKeyId),
    getTenant(db.kysely, principal.tenantId),
  ]);
  if (!apiKey) throw new AppError('unauthorized:api_key', 'The API key is not valid.');
  return { apiKey, tenant: { id: tenant.id, slug: tenant.slug } };
}
