import { randomBytes } from 'node:crypto';
import type { Executor } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { insertAuditEvent } from '../audit/audit.repository.ts';
import { hashToken } from '../auth/auth.tokens.ts';
import {
  type ApiKeyRow,
  findApiKeyByHash,
  findApiKeyById,
  insertApiKey,
  revokeApiKey,
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
  await insertAuditEvent(executor, {
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
  await insertAuditEvent(executor, {
    tenantId: input.tenantId,
    actorUserId: input.actorUserId,
    action: 'api_key.revoked',
    targetType: 'api_key',
    targetId: input.id,
    before: { name: existing.name, prefix: existing.prefix },
    ip: input.ip,
  });
}
