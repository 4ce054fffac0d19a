import type { Db, Executor } from '../../platform/db/database.ts';
import type { LlmMode, LlmProvider } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors.ts';
import { auditAdminAction } from '../audit/audit.service.ts';
import {
  activateSystemPrompt,
  deactivateMode,
  deleteLlmConfig,
  findActiveModelSettings,
  findLlmConfig,
  findModelPrice,
  insertLlmConfig,
  insertModelSettings,
  insertSystemPromptVersion,
  type LlmConfigRow,
  listLlmConfigs,
  listModelPrices,
  listSystemPrompts,
  type SystemPromptRow,
  updateLlmConfig,
  upsertTenantModelPrice,
} from './llm.repository.ts';
import { type AnswerModel, LLM_MODES, OFFLINE_MODEL, REFUSAL_TEXT } from './llm.types.ts';
import { createAnswerModel, type ModelConfig, type SecretReader, withFallback } from './model-registry.ts';

/**
 * Models per tenant and mode (DESIGN.md §4 `llm_configs`, `system_prompts`, model prices):
 * which provider and model answers each mode, its fallback, the prompt versions, what an
 * answer costs — and the answer model built from them. Keys are never stored: a config
 * names the environment variable that holds its key, read through the configuration.
 */

export type LlmConfig = LlmConfigRow;
export type SystemPrompt = SystemPromptRow;
export type { SecretReader } from './model-registry.ts';

/** The active config, its fallback and the active system prompt of a mode. */
export interface ModelSettings {
  config: LlmConfig | undefined;
  fallback: LlmConfig | undefined;
  systemPrompt: string | undefined;
}

const DEFAULT_PROMPTS: Record<LlmMode, string> = {
  rag: [
    'You answer questions for employees using only the numbered passages provided.',
    'Cite every statement with the number of the passage that supports it, like [1] or [2][3].',
    `If the passages do not contain the answer, reply exactly: "${REFUSAL_TEXT}"`,
    'Do not use outside knowledge. Be concise and keep the language of the question.',
  ].join('\n'),
  assistant_summary:
    'Summarise the text the user provides faithfully and concisely: key points first, then details. Do not add facts that are not in the text.',
  assistant_writing:
    'Draft clear, professional text in the tone the user asks for. Ask for missing facts instead of inventing them.',
  assistant_translate:
    'Translate the text into the requested language, preserving meaning, tone, formatting and names. Output only the translation.',
  notebook: [
    "You answer questions about the user's own uploaded files, using only the numbered passages provided.",
    'Cite every statement like [1].',
    `If the passages do not contain the answer, reply exactly: "${REFUSAL_TEXT}"`,
  ].join('\n'),
};

/** Gives a new tenant an active offline model config and a first system prompt for every mode. */
export function insertDefaultModelSettings(executor: Executor, tenantId: string): Promise<void> {
  return insertModelSettings(
    executor,
    tenantId,
    LLM_MODES.map((mode) => ({
      mode,
      name: `Offline extractive (${mode})`,
      provider: OFFLINE_MODEL.provider,
      model: OFFLINE_MODEL.model,
      prompt: DEFAULT_PROMPTS[mode],
    })),
  );
}

export function loadModelSettings(
  executor: Executor,
  tenantId: string,
  mode: LlmMode,
): Promise<ModelSettings> {
  return findActiveModelSettings(executor, tenantId, mode);
}

/** What an answer cost in USD, by the tenant's (else the global) price; 0 when the model has none. */
export async function costOf(
  executor: Executor,
  tenantId: string,
  answer: { provider: string; model: string; inputTokens: number; outputTokens: number },
): Promise<number> {
  const price = await findModelPrice(executor, tenantId, answer.provider, answer.model);
  return price ? (answer.inputTokens * price.input + answer.outputTokens * price.output) / 1_000_000 : 0;
}

/** The answer model for a mode's settings: its config (with its fallback), or the offline answerer. */
export function createModelForSettings(
  settings: ModelSettings,
  deps: { offline: AnswerModel; readSecret: SecretReader },
): AnswerModel {
  if (!settings.config) return deps.offline;
  const primary = createAnswerModel(settings.config as ModelConfig, deps);
  if (!settings.fallback) return primary;
  return withFallback(primary, createAnswerModel(settings.fallback as ModelConfig, deps));
}

/** Who changes model settings, for checks and the audit log. */
export interface AdminActor {
  tenantId: string;
  userId: string;
  ip: string;
}

/** Settings a provider cannot work without, checked before they are stored. */
function checkProviderSettings(config: {
  provider: LlmProvider;
  base_url: string | null;
  options: Record<string, unknown>;
}): void {
  if (config.provider === 'openai_compatible' && !config.base_url) {
    throw new AppError(
      'bad_request:base_url',
      'An OpenAI-compatible provider needs base_url (e.g. http://ollama:11434/v1).',
    );
  }
  if (config.provider === 'azure_openai' && !config.base_url && !config.options.resource_name) {
    throw new AppError(
      'bad_request:base_url',
      'Azure OpenAI needs base_url (https://<resource>.openai.azure.com/openai) or options.resource_name.',
    );
  }
}

async function checkFallback(
  executor: Executor,
  tenantId: string,
  id: string | null | undefined,
  self?: string,
) {
  if (!id) return;
  if (id === self) throw new AppError('bad_request:fallback', 'A config cannot be its own fallback.');
  if (!(await findLlmConfig(executor, tenantId, id))) {
    throw new AppError('bad_request:fallback', 'fallback_config_id names no model config of this tenant.');
  }
}

/** What the audit log keeps of a config (no secrets: configs hold none). */
function auditedConfig(config: LlmConfig | undefined) {
  if (!config) return null;
  const { options, ...rest } = config;
  return { ...rest, options };
}

export function listModelConfigs(db: Db, tenantId: string): Promise<LlmConfig[]> {
  return listLlmConfigs(db.kysely, tenantId);
}

export interface ModelConfigInput extends Omit<ModelConfig, 'id'> {
  mode: LlmMode;
  fallback_config_id: string | null;
  is_active: boolean;
}

export function createModelConfig(db: Db, actor: AdminActor, input: ModelConfigInput): Promise<LlmConfig> {
  checkProviderSettings(input);
  return db.transaction(async (trx) => {
    await checkFallback(trx, actor.tenantId, input.fallback_config_id);
    if (input.is_active) await deactivateMode(trx, actor.tenantId, input.mode);
    const inserted = await insertLlmConfig(trx, {
      tenant_id: actor.tenantId,
      ...input,
      options: JSON.stringify(input.options),
    });
    await auditAdminAction(
      trx,
      actor,
      'llm_config.created',
      { type: 'llm_config', id: inserted.id },
      { after: auditedConfig(inserted) },
    );
    return inserted;
  });
}

export function updateModelConfig(
  db: Db,
  actor: AdminActor,
  id: string,
  changes: Partial<ModelConfigInput>,
): Promise<LlmConfig> {
  return db.transaction(async (trx) => {
    const before = await findLlmConfig(trx, actor.tenantId, id);
    if (!before) throw new AppError('not_found:llm_config', 'No such model config.');
    checkProviderSettings({
      provider: changes.provider ?? before.provider,
      base_url: changes.base_url === undefined ? before.base_url : changes.base_url,
      options: changes.options ?? before.options,
    });
    await checkFallback(trx, actor.tenantId, changes.fallback_config_id, id);
    if (changes.is_active === false && before.is_active) {
      throw new AppError(
        'conflict:active_config',
        'Activate another config for this mode instead: every mode needs an active model.',
      );
    }
    if (changes.is_active) await deactivateMode(trx, actor.tenantId, before.mode, id);
    const { options, ...rest } = changes;
    const updated = (await updateLlmConfig(trx, actor.tenantId, id, {
      ...rest,
      ...(options ? { options: JSON.stringify(options) } : {}),
    }))!;
    await auditAdminAction(
      trx,
      actor,
      'llm_config.updated',
      { type: 'llm_config', id },
      { before: auditedConfig(before), after: auditedConfig(updated) },
    );
    return updated;
  });
}

export async function deleteModelConfig(db: Db, actor: AdminActor, id: string): Promise<void> {
  await db.transaction(async (trx) => {
    const before = await findLlmConfig(trx, actor.tenantId, id);
    if (!before) throw new AppError('not_found:llm_config', 'No such model config.');
    if (before.is_active) {
      throw new AppError(
        'conflict:active_config',
        'This config answers its mode: activate another one first.',
      );
    }
    await deleteLlmConfig(trx, actor.tenantId, before.id);
    await auditAdminAction(
      trx,
      actor,
      'llm_config.deleted',
      { type: 'llm_config', id: before.id },
      { before: auditedConfig(before) },
    );
  });
}

export function listPromptVersions(db: Db, tenantId: string, mode?: LlmMode): Promise<SystemPrompt[]> {
  return listSystemPrompts(db.kysely, tenantId, mode);
}

/** Publishes a new version of a mode's system prompt; it becomes the active one. */
export function publishPrompt(
  db: Db,
  actor: AdminActor,
  input: { mode: LlmMode; content: string },
): Promise<SystemPrompt> {
  return db.transaction(async (trx) => {
    const inserted = await insertSystemPromptVersion(trx, {
      tenantId: actor.tenantId,
      mode: input.mode,
      content: input.content,
      createdBy: actor.userId,
    });
    await auditAdminAction(
      trx,
      actor,
      'system_prompt.published',
      { type: 'system_prompt', id: inserted.id },
      { after: { mode: inserted.mode, version: inserted.version } },
    );
    return inserted;
  });
}

/** Makes an earlier version active again (rollback). */
export function activatePrompt(db: Db, actor: AdminActor, id: string): Promise<SystemPrompt> {
  return db.transaction(async (trx) => {
    const activated = await activateSystemPrompt(trx, actor.tenantId, id);
    if (!activated) throw new AppError('not_found:system_prompt', 'No such system prompt.');
    await auditAdminAction(
      trx,
      actor,
      'system_prompt.activated',
      { type: 'system_prompt', id: activated.id },
      { after: { mode: activated.mode, version: activated.version } },
    );
    return activated;
  });
}

export interface ModelPrice {
  provider: string;
  model: string;
  inputUsdPerMillion: number;
  outputUsdPerMillion: number;
  scope: 'tenant' | 'global';
}

/** The prices that apply to a tenant: its own where it set one, else the global ones. */
export async function listEffectivePrices(db: Db, tenantId: string): Promise<ModelPrice[]> {
  const rows = await listModelPrices(db.kysely, tenantId);
  const seen = new Set<string>();
  const prices: ModelPrice[] = [];
  for (const row of rows) {
    const key = `${row.provider}\u0000${row.model}`;
    if (seen.has(key)) continue; // the tenant's own price comes first and wins
    seen.add(key);
    prices.push({
      provider: row.provider,
      model: row.model,
      inputUsdPerMillion: row.input_usd_per_million,
      outputUsdPerMillion: row.output_usd_per_million,
      scope: row.tenant_id ? 'tenant' : 'global',
    });
  }
  return prices;
}

export function setTenantPrice(
  db: Db,
  actor: AdminActor,
  price: { provider: string; model: string; inputUsdPerMillion: number; outputUsdPerMillion: number },
): Promise<ModelPrice> {
  return db.transaction(async (trx) => {
    const saved = await upsertTenantModelPrice(trx, {
      tenantId: actor.tenantId,
      provider: price.provider,
      model: price.model,
      input: price.inputUsdPerMillion,
      output: price.outputUsdPerMillion,
    });
    await auditAdminAction(
      trx,
      actor,
      'model_price.changed',
      { type: 'model_price', id: saved.id },
      {
        after: {
          provider: price.provider,
          model: price.model,
          input_usd_per_million: price.inputUsdPerMillion,
          output_usd_per_million: price.outputUsdPerMillion,
        },
      },
    );
    return {
      provider: saved.provider,
      model: saved.model,
      inputUsdPerMillion: saved.input_usd_per_million,
      outputUsdPerMillion: saved.output_usd_per_million,
      scope: 'tenant',
    };
  });
}
