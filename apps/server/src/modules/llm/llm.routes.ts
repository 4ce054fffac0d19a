import {
  idParamsSchema,
  llmConfigCreateSchema,
  llmConfigListSchema,
  llmConfigPatchSchema,
  llmConfigSchema,
  modelPriceListSchema,
  modelPricePutSchema,
  modelPriceSchema,
  systemPromptCreateSchema,
  systemPromptListQuerySchema,
  systemPromptListSchema,
  systemPromptSchema,
} from '@nexus/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Executor } from '../../platform/db/database.ts';
import type { LlmProvider } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors.ts';
import { auditAdminAction } from '../audit/audit.repository.ts';
import { requireUser } from '../auth/access.ts';
import {
  activateSystemPrompt,
  deactivateMode,
  deleteLlmConfig,
  findLlmConfig,
  insertLlmConfig,
  insertSystemPromptVersion,
  type LlmConfigRow,
  listLlmConfigs,
  listModelPrices,
  listSystemPrompts,
  type SystemPromptRow,
  updateLlmConfig,
  upsertTenantModelPrice,
} from './llm.repository.ts';

/**
 * Model administration (super admins): which provider and model answers each mode, its
 * fallback, the system prompt versions, and the price table used for cost per answer.
 * Keys are never stored: a config names the environment variable that holds its key.
 */

function toLlmConfig(row: LlmConfigRow, env: NodeJS.ProcessEnv = process.env) {
  return {
    id: row.id,
    mode: row.mode,
    name: row.name,
    provider: row.provider,
    model: row.model,
    base_url: row.base_url,
    api_key_env: row.api_key_env,
    api_key_present: row.api_key_env ? Boolean(env[row.api_key_env]) : false,
    temperature: row.temperature,
    max_tokens: row.max_tokens,
    options: row.options,
    fallback_config_id: row.fallback_config_id,
    is_active: row.is_active,
    updated_at: row.updated_at.toISOString(),
  };
}

function toSystemPrompt(row: SystemPromptRow) {
  return {
    id: row.id,
    mode: row.mode,
    version: row.version,
    content: row.content,
    is_active: row.is_active,
    created_at: row.created_at.toISOString(),
  };
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

export const registerLlmAdminRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const admin = { access: { role: 'super_admin' as const } };

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

  app.get(
    '/api/v1/admin/llm-configs',
    {
      config: admin,
      schema: { tags: ['admin'], summary: 'Model configs per mode', response: { 200: llmConfigListSchema } },
    },
    async (request) => {
      const user = requireUser(request);
      return { llm_configs: (await listLlmConfigs(db.kysely, user.tenantId)).map((row) => toLlmConfig(row)) };
    },
  );

  app.post(
    '/api/v1/admin/llm-configs',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Add a model config for a mode (optionally active at once)',
        body: llmConfigCreateSchema,
        response: { 201: llmConfigSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const body = request.body;
      checkProviderSettings(body);
      const row = await db.transaction(async (trx) => {
        await checkFallback(trx, user.tenantId, body.fallback_config_id);
        if (body.is_active) await deactivateMode(trx, user.tenantId, body.mode);
        const inserted = await insertLlmConfig(trx, {
          tenant_id: user.tenantId,
          ...body,
          options: JSON.stringify(body.options),
        });
        await auditAdminAction(
          trx,
          request,
          user,
          'llm_config.created',
          { type: 'llm_config', id: inserted.id },
          null,
          {
            ...toLlmConfig(inserted),
            api_key_present: undefined,
          },
        );
        return inserted;
      });
      reply.code(201);
      return toLlmConfig(row);
    },
  );

  app.patch(
    '/api/v1/admin/llm-configs/:id',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Change a model config; `is_active: true` makes it the one its mode uses',
        params: idParamsSchema,
        body: llmConfigPatchSchema,
        response: { 200: llmConfigSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const { id } = request.params;
      const body = request.body;
      return db.transaction(async (trx) => {
        const before = await findLlmConfig(trx, user.tenantId, id);
        if (!before) throw new AppError('not_found:llm_config', 'No such model config.');
        const merged = {
          provider: body.provider ?? before.provider,
          base_url: body.base_url === undefined ? before.base_url : body.base_url,
          options: body.options ?? before.options,
        };
        checkProviderSettings(merged);
        await checkFallback(trx, user.tenantId, body.fallback_config_id, id);
        if (body.is_active === false && before.is_active) {
          throw new AppError(
            'conflict:active_config',
            'Activate another config for this mode instead: every mode needs an active model.',
          );
        }
        if (body.is_active) await deactivateMode(trx, user.tenantId, before.mode, id);
        const { options, ...rest } = body;
        const updated = await updateLlmConfig(trx, user.tenantId, id, {
          ...rest,
          ...(options ? { options: JSON.stringify(options) } : {}),
        });
        await auditAdminAction(
          trx,
          request,
          user,
          'llm_config.updated',
          { type: 'llm_config', id },
          toLlmConfig(before),
          toLlmConfig(updated!),
        );
        return toLlmConfig(updated!);
      });
    },
  );

  app.delete(
    '/api/v1/admin/llm-configs/:id',
    {
      config: admin,
      schema: { tags: ['admin'], summary: 'Delete an inactive model config', params: idParamsSchema },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await db.transaction(async (trx) => {
        const before = await findLlmConfig(trx, user.tenantId, request.params.id);
        if (!before) throw new AppError('not_found:llm_config', 'No such model config.');
        if (before.is_active) {
          throw new AppError(
            'conflict:active_config',
            'This config answers its mode: activate another one first.',
          );
        }
        await deleteLlmConfig(trx, user.tenantId, before.id);
        await auditAdminAction(
          trx,
          request,
          user,
          'llm_config.deleted',
          { type: 'llm_config', id: before.id },
          toLlmConfig(before),
          null,
        );
      });
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/admin/system-prompts',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'System prompt versions per mode, newest first',
        querystring: systemPromptListQuerySchema,
        response: { 200: systemPromptListSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const rows = await listSystemPrompts(db.kysely, user.tenantId, request.query.mode);
      return { system_prompts: rows.map(toSystemPrompt) };
    },
  );

  app.post(
    '/api/v1/admin/system-prompts',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Publish a new version of a mode’s system prompt (it becomes active)',
        body: systemPromptCreateSchema,
        response: { 201: systemPromptSchema },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const row = await db.transaction(async (trx) => {
        const inserted = await insertSystemPromptVersion(trx, {
          tenantId: user.tenantId,
          mode: request.body.mode,
          content: request.body.content,
          createdBy: user.userId,
        });
        await auditAdminAction(
          trx,
          request,
          user,
          'system_prompt.published',
          { type: 'system_prompt', id: inserted.id },
          null,
          {
            mode: inserted.mode,
            version: inserted.version,
          },
        );
        return inserted;
      });
      reply.code(201);
      return toSystemPrompt(row);
    },
  );

  app.post(
    '/api/v1/admin/system-prompts/:id/activate',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Make an earlier version active again (rollback)',
        params: idParamsSchema,
        response: { 200: systemPromptSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return db.transaction(async (trx) => {
        const activated = await activateSystemPrompt(trx, user.tenantId, request.params.id);
        if (!activated) throw new AppError('not_found:system_prompt', 'No such system prompt.');
        await auditAdminAction(
          trx,
          request,
          user,
          'system_prompt.activated',
          { type: 'system_prompt', id: activated.id },
          null,
          {
            mode: activated.mode,
            version: activated.version,
          },
        );
        return toSystemPrompt(activated);
      });
    },
  );

  app.get(
    '/api/v1/admin/model-prices',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'USD per million tokens per provider/model (tenant prices override global ones)',
        response: { 200: modelPriceListSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const rows = await listModelPrices(db.kysely, user.tenantId);
      const seen = new Set<string>();
      const prices = [];
      for (const row of rows) {
        const key = `${row.provider}\u0000${row.model}`;
        if (seen.has(key)) continue; // the tenant's own price comes first and wins
        seen.add(key);
        prices.push({
          provider: row.provider,
          model: row.model,
          input_usd_per_million: row.input_usd_per_million,
          output_usd_per_million: row.output_usd_per_million,
          scope: row.tenant_id ? ('tenant' as const) : ('global' as const),
        });
      }
      return { model_prices: prices };
    },
  );

  app.put(
    '/api/v1/admin/model-prices',
    {
      config: admin,
      schema: {
        tags: ['admin'],
        summary: 'Set this tenant’s price for a provider/model',
        body: modelPricePutSchema,
        response: { 200: modelPriceSchema },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const { body } = request;
      const row = await db.transaction(async (trx) => {
        const saved = await upsertTenantModelPrice(trx, {
          tenantId: user.tenantId,
          provider: body.provider,
          model: body.model,
          input: body.input_usd_per_million,
          output: body.output_usd_per_million,
        });
        await auditAdminAction(
          trx,
          request,
          user,
          'model_price.changed',
          { type: 'model_price', id: saved.id },
          null,
          body,
        );
        return saved;
      });
      return {
        provider: row.provider,
        model: row.model,
        input_usd_per_million: row.input_usd_per_million,
        output_usd_per_million: row.output_usd_per_million,
        scope: 'tenant' as const,
      };
    },
  );
};
