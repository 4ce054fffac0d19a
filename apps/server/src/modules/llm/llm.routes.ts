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
import { requireUser } from '../access/access.service.ts';
import {
  type AdminActor,
  activatePrompt,
  createModelConfig,
  deleteModelConfig,
  type LlmConfig,
  listEffectivePrices,
  listModelConfigs,
  listPromptVersions,
  type ModelPrice,
  publishPrompt,
  type SystemPrompt,
  setTenantPrice,
  updateModelConfig,
} from './llm.service.ts';

/**
 * Model administration (super admins): which provider and model answers each mode, its
 * fallback, the system prompt versions, and the price table used for cost per answer.
 * Keys are never stored: a config names the environment variable that holds its key.
 */

function toSystemPrompt(prompt: SystemPrompt) {
  return {
    id: prompt.id,
    mode: prompt.mode,
    version: prompt.version,
    content: prompt.content,
    is_active: prompt.is_active,
    created_at: prompt.created_at.toISOString(),
  };
}

function toModelPrice(price: ModelPrice) {
  return {
    provider: price.provider,
    model: price.model,
    input_usd_per_million: price.inputUsdPerMillion,
    output_usd_per_million: price.outputUsdPerMillion,
    scope: price.scope,
  };
}

export const registerLlmAdminRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.deps;
  const actorOf = (request: Parameters<typeof requireUser>[0]): AdminActor => {
    const user = requireUser(request);
    return { tenantId: user.tenantId, userId: user.userId, ip: request.ip };
  };
  const toLlmConfig = (config: LlmConfig) => ({
    id: config.id,
    mode: config.mode,
    name: config.name,
    provider: config.provider,
    model: config.model,
    base_url: config.base_url,
    api_key_env: config.api_key_env,
    api_key_present: config.api_key_env ? Boolean(app.config.readSecret(config.api_key_env)) : false,
    temperature: config.temperature,
    max_tokens: config.max_tokens,
    options: config.options,
    fallback_config_id: config.fallback_config_id,
    is_active: config.is_active,
    updated_at: config.updated_at.toISOString(),
  });

  app.get(
    '/llm-configs',
    {
      schema: { tags: ['admin'], summary: 'Model configs per mode', response: { 200: llmConfigListSchema } },
    },
    async (request) => ({
      llm_configs: (await listModelConfigs(db, requireUser(request).tenantId)).map(toLlmConfig),
    }),
  );

  app.post(
    '/llm-configs',
    {
      schema: {
        tags: ['admin'],
        summary: 'Add a model config for a mode (optionally active at once)',
        body: llmConfigCreateSchema,
        response: { 201: llmConfigSchema },
      },
    },
    async (request, reply) => {
      const created = await createModelConfig(db, actorOf(request), request.body);
      reply.code(201);
      return toLlmConfig(created);
    },
  );

  app.patch(
    '/llm-configs/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Change a model config; `is_active: true` makes it the one its mode uses',
        params: idParamsSchema,
        body: llmConfigPatchSchema,
        response: { 200: llmConfigSchema },
      },
    },
    async (request) =>
      toLlmConfig(await updateModelConfig(db, actorOf(request), request.params.id, request.body)),
  );

  app.delete(
    '/llm-configs/:id',
    {
      schema: { tags: ['admin'], summary: 'Delete an inactive model config', params: idParamsSchema },
    },
    async (request, reply) => {
      await deleteModelConfig(db, actorOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/system-prompts',
    {
      schema: {
        tags: ['admin'],
        summary: 'System prompt versions per mode, newest first',
        querystring: systemPromptListQuerySchema,
        response: { 200: systemPromptListSchema },
      },
    },
    async (request) => ({
      system_prompts: (await listPromptVersions(db, requireUser(request).tenantId, request.query.mode)).map(
        toSystemPrompt,
      ),
    }),
  );

  app.post(
    '/system-prompts',
    {
      schema: {
        tags: ['admin'],
        summary: 'Publish a new version of a mode’s system prompt (it becomes active)',
        body: systemPromptCreateSchema,
        response: { 201: systemPromptSchema },
      },
    },
    async (request, reply) => {
      const published = await publishPrompt(db, actorOf(request), request.body);
      reply.code(201);
      return toSystemPrompt(published);
    },
  );

  app.post(
    '/system-prompts/:id/activate',
    {
      schema: {
        tags: ['admin'],
        summary: 'Make an earlier version active again (rollback)',
        params: idParamsSchema,
        response: { 200: systemPromptSchema },
      },
    },
    async (request) => toSystemPrompt(await activatePrompt(db, actorOf(request), request.params.id)),
  );

  app.get(
    '/model-prices',
    {
      schema: {
        tags: ['admin'],
        summary: 'USD per million tokens per provider/model (tenant prices override global ones)',
        response: { 200: modelPriceListSchema },
      },
    },
    async (request) => ({
      model_prices: (await listEffectivePrices(db, requireUser(request).tenantId)).map(toModelPrice),
    }),
  );

  app.put(
    '/model-prices',
    {
      schema: {
        tags: ['admin'],
        summary: 'Set this tenant’s price for a provider/model',
        body: modelPricePutSchema,
        response: { 200: modelPriceSchema },
      },
    },
    async (request) =>
      toModelPrice(
        await setTenantPrice(db, actorOf(request), {
          provider: request.body.provider,
          model: request.body.model,
          inputUsdPerMillion: request.body.input_usd_per_million,
          outputUsdPerMillion: request.body.output_usd_per_million,
        }),
      ),
  );
};
