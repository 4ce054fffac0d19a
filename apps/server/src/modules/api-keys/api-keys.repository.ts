import type { Executor } from '../../platform/db/database.ts';

export interface ApiKeyRow {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  scopes: string[];
  botId: string | null;
  rateLimitPerMinute: number | null;
  createdBy: string | null;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

const COLUMNS = [
  'id',
  'tenant_id as tenantId',
  'name',
  'prefix',
  'scopes',
  'bot_id as botId',
  'rate_limit_per_minute as rateLimitPerMinute',
  'created_by as createdBy',
  'last_used_at as lastUsedAt',
  'expires_at as expiresAt',
  'revoked_at as revokedAt',
  'created_at as createdAt',
] as const;

export async function insertApiKey(
  executor: Executor,
  key: {
    tenantId: string;
    name: string;
    prefix: string;
    keyHash: string;
    botId: string | null;
    rateLimitPerMinute: number | null;
    createdBy: string | null;
    expiresAt: Date | null;
  },
): Promise<ApiKeyRow> {
  return executor
    .insertInto('api_keys')
    .values({
      tenant_id: key.tenantId,
      name: key.name,
      prefix: key.prefix,
      key_hash: key.keyHash,
      bot_id: key.botId,
      rate_limit_per_minute: key.rateLimitPerMinute,
      created_by: key.createdBy,
      expires_at: key.expiresAt,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function findApiKeyByHash(executor: Executor, keyHash: string): Promise<ApiKeyRow | undefined> {
  return executor.selectFrom('api_keys').select(COLUMNS).where('key_hash', '=', keyHash).executeTakeFirst();
}

export async function listApiKeys(executor: Executor, tenantId: string): Promise<ApiKeyRow[]> {
  return executor
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function findApiKeyById(
  executor: Executor,
  tenantId: string,
  id: string,
): Promise<ApiKeyRow | undefined> {
  return executor
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function revokeApiKey(executor: Executor, tenantId: string, id: string): Promise<boolean> {
  const result = await executor
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records use at most once a minute per key, to keep hot paths write-light. */
export async function touchApiKey(executor: Executor, id: string): Promise<void> {
  await executor
    .updateTable('api_keys')
    .set({ last_used_at: new Date() })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(Date.now() - 60_000))]),
    )
    .execute();
}
