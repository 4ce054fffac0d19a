import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { LlmConfigsTable, LlmMode, LlmProvider, SystemPromptsTable } from '../../platform/db/schema.ts';

export type LlmConfigRow = Selectable<LlmConfigsTable>;
export type SystemPromptRow = Selectable<SystemPromptsTable>;

export async function listLlmConfigs(executor: Executor, tenantId: string): Promise<LlmConfigRow[]> {
  return executor
    .selectFrom('llm_configs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('mode')
    .orderBy('is_active', 'desc')
    .orderBy('name')
    .execute();
}

export async function findLlmConfig(executor: Executor, tenantId: string, id: string) {
  return executor
    .selectFrom('llm_configs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Only one config per mode is active: activating one deactivates the others first. */
export async function deactivateMode(executor: Executor, tenantId: string, mode: LlmMode, exceptId?: string) {
  let query = executor
    .updateTable('llm_configs')
    .set({ is_active: false, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('mode', '=', mode)
    .where('is_active', '=', true);
  if (exceptId) query = query.where('id', '!=', exceptId);
  await query.execute();
}

export async function insertLlmConfig(executor: Executor, values: Insertable<LlmConfigsTable>) {
  return executor.insertInto('llm_configs').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateLlmConfig(
  executor: Executor,
  tenantId: string,
  id: string,
  values: Updateable<LlmConfigsTable>,
) {
  return executor
    .updateTable('llm_configs')
    .set({ ...values, updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteLlmConfig(executor: Executor, tenantId: string, id: string): Promise<void> {
  await executor.deleteFrom('llm_configs').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function listSystemPrompts(executor: Executor, tenantId: string, mode?: LlmMode) {
  let query = executor.selectFrom('system_prompts').selectAll().where('tenant_id', '=', tenantId);
  if (mode) query = query.where('mode', '=', mode);
  return query.orderBy('mode').orderBy('version', 'desc').execute();
}

/** A new version of a mode's prompt, made active (the previous versions stay for rollback). */
export async function insertSystemPromptVersion(
  executor: Executor,
  values: { tenantId: string; mode: LlmMode; content: string; createdBy: string },
): Promise<SystemPromptRow> {
  const { latest } = await executor
    .selectFrom('system_prompts')
    .select((eb) => eb.fn.max('version').as('latest'))
    .where('tenant_id', '=', values.tenantId)
    .where('mode', '=', values.mode)
    .executeTakeFirstOrThrow();
  await executor
    .updateTable('system_prompts')
    .set({ is_active: false })
    .where('tenant_id', '=', values.tenantId)
    .where('mode', '=', values.mode)
    .execute();
  return executor
    .insertInto('system_prompts')
    .values({
      tenant_id: values.tenantId,
      mode: values.mode,
      version: Number(latest ?? 0) + 1,
      content: values.content,
      is_active: true,
      created_by: values.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function activateSystemPrompt(executor: Executor, tenantId: string, id: string) {
  const prompt = await executor
    .selectFrom('system_prompts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!prompt) return undefined;
  await executor
    .updateTable('system_prompts')
    .set({ is_active: false })
    .where('tenant_id', '=', tenantId)
    .where('mode', '=', prompt.mode)
    .execute();
  await executor.updateTable('system_prompts').set({ is_active: true }).where('id', '=', id).execute();
  return { ...prompt, is_active: true };
}

export async function listModelPrices(executor: Executor, tenantId: string) {
  return executor
    .selectFrom('model_prices')
    .selectAll()
    .where((eb) => eb.or([eb('tenant_id', '=', tenantId), eb('tenant_id', 'is', null)]))
    .orderBy('provider')
    .orderBy('model')
    .orderBy(sql`tenant_id IS NULL`)
    .execute();
}

export async function upsertTenantModelPrice(
  executor: Executor,
  values: { tenantId: string; provider: string; model: string; input: number; output: number },
) {
  const updated = await executor
    .updateTable('model_prices')
    .set({
      input_usd_per_million: values.input,
      output_usd_per_million: values.output,
      updated_at: sql`now()`,
    })
    .where('tenant_id', '=', values.tenantId)
    .where('provider', '=', values.provider)
    .where('model', '=', values.model)
    .returningAll()
    .executeTakeFirst();
  if (updated) return updated;
  return executor
    .insertInto('model_prices')
    .values({
      tenant_id: values.tenantId,
      provider: values.provider,
      model: values.model,
      input_usd_per_million: values.input,
      output_usd_per_million: values.output,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The active config, its fallback and the active system prompt of a tenant's mode. */
export async function findActiveModelSettings(
  executor: Executor,
  tenantId: string,
  mode: LlmMode,
): Promise<{
  config: LlmConfigRow | undefined;
  fallback: LlmConfigRow | undefined;
  systemPrompt: string | undefined;
}> {
  const config = await executor
    .selectFrom('llm_configs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('mode', '=', mode)
    .where('is_active', '=', true)
    .executeTakeFirst();
  const prompt = await executor
    .selectFrom('system_prompts')
    .select('content')
    .where('tenant_id', '=', tenantId)
    .where('mode', '=', mode)
    .where('is_active', '=', true)
    .executeTakeFirst();
  const fallback = config?.fallback_config_id
    ? await executor
        .selectFrom('llm_configs')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', config.fallback_config_id)
        .executeTakeFirst()
    : undefined;
  return { config, fallback, systemPrompt: prompt?.content };
}

/** USD per million input/output tokens: the tenant's own price, else the global one, else none. */
export async function findModelPrice(
  executor: Executor,
  tenantId: string,
  provider: string,
  model: string,
): Promise<{ input: number; output: number } | undefined> {
  const row = await executor
    .selectFrom('model_prices')
    .select(['input_usd_per_million', 'output_usd_per_million'])
    .where('provider', '=', provider)
    .where('model', '=', model)
    .where((eb) => eb.or([eb('tenant_id', '=', tenantId), eb('tenant_id', 'is', null)]))
    .orderBy(sql`tenant_id IS NULL`)
    .executeTakeFirst();
  return row ? { input: row.input_usd_per_million, output: row.output_usd_per_million } : undefined;
}

/** A tenant's first settings: one active config and one system prompt (version 1) per mode. */
export async function insertModelSettings(
  executor: Executor,
  tenantId: string,
  settings: readonly { mode: LlmMode; name: string; provider: LlmProvider; model: string; prompt: string }[],
): Promise<void> {
  await executor
    .insertInto('llm_configs')
    .values(
      settings.map((setting) => ({
        tenant_id: tenantId,
        mode: setting.mode,
        name: setting.name,
        provider: setting.provider,
        model: setting.model,
        temperature: 0,
        max_tokens: 1024,
        is_active: true,
      })),
    )
    .execute();
  await executor
    .insertInto('system_prompts')
    .values(
      settings.map((setting) => ({
        tenant_id: tenantId,
        mode: setting.mode,
        version: 1,
        content: setting.prompt,
        is_active: true,
      })),
    )
    .execute();
}
