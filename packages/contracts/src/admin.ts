import { z } from 'zod';
import { roleSchema } from './auth.ts';

export const idParamsSchema = z.object({ id: z.uuid('must be a UUID') });

export const adminUserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    display_name: z.string(),
    role: roleSchema,
    department: z.string().nullable().describe('REGION/DEPT'),
    is_active: z.boolean(),
    totp_enabled: z.boolean(),
    last_login_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'AdminUser' });

export const adminUserListSchema = z.object({ users: z.array(adminUserSchema) });

export const adminUserListQuerySchema = z.object({
  search: z.string().max(200).optional().describe('Matches email or name'),
  role: roleSchema.optional(),
});

export const adminUserPatchSchema = z
  .object({
    role: roleSchema.optional(),
    department: z.string().max(80).nullable().optional().describe('REGION/DEPT, or null for none'),
    is_active: z.boolean().optional(),
    display_name: z.string().trim().min(1).max(200).optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'send at least one field to change');

const code = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, - and _ only (max 32)');

export const regionSchema = z
  .object({ id: z.uuid(), code: z.string(), name: z.string() })
  .meta({ id: 'Region' });
export const regionListSchema = z.object({ regions: z.array(regionSchema) });
export const regionCreateSchema = z.object({ code, name: z.string().trim().min(1).max(200) });
export const regionPatchSchema = z.object({ name: z.string().trim().min(1).max(200) });

export const departmentSchema = z
  .object({
    id: z.uuid(),
    code: z.string(),
    name: z.string(),
    region: z.object({ id: z.uuid(), code: z.string() }),
    path: z.string().describe('REGION/DEPT'),
  })
  .meta({ id: 'Department' });
export const departmentListSchema = z.object({ departments: z.array(departmentSchema) });
export const departmentCreateSchema = z.object({
  region: z.string().trim().min(1).describe('Region code'),
  code,
  name: z.string().trim().min(1).max(200),
});
export const departmentPatchSchema = z.object({ name: z.string().trim().min(1).max(200) });

export const apiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    bot_id: z.uuid().nullable(),
    rate_limit_per_minute: z.number().int().nullable(),
    last_used_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'ApiKey' });
export const apiKeyListSchema = z.object({ api_keys: z.array(apiKeySchema) });
export const apiKeyCreateSchema = z.object({
  name: z.string().trim().min(1).max(100),
  bot_id: z.uuid().optional(),
  rate_limit_per_minute: z.number().int().min(1).max(100_000).optional(),
  expires_at: z.iso.datetime().optional(),
});
export const apiKeyCreatedSchema = z.object({
  api_key: apiKeySchema,
  key: z.string().describe('The secret key: shown once, store it now'),
});

export const auditEventSchema = z
  .object({
    id: z.number().int(),
    action: z.string(),
    actor_user_id: z.uuid().nullable(),
    actor_api_key_id: z.uuid().nullable(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
    ip: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'AuditEvent' });
export const auditLogQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().positive().optional().describe('Return events with id below this (paging)'),
  action: z.string().max(100).optional().describe('Exact action, or a prefix ending in ".", e.g. "auth."'),
});
export const auditLogSchema = z.object({
  events: z.array(auditEventSchema),
  next_before: z.number().int().nullable(),
});

export const llmModeSchema = z.enum([
  'rag',
  'assistant_summary',
  'assistant_writing',
  'assistant_translate',
  'notebook',
]);
export const llmProviderSchema = z.enum([
  'offline',
  'openai',
  'azure_openai',
  'anthropic',
  'google',
  'openai_compatible',
]);

export const llmConfigSchema = z
  .object({
    id: z.uuid(),
    mode: llmModeSchema,
    name: z.string(),
    provider: llmProviderSchema,
    model: z.string(),
    base_url: z.string().nullable(),
    api_key_env: z
      .string()
      .nullable()
      .describe('Name of the environment variable holding the key (never the key)'),
    api_key_present: z.boolean().describe('Whether that variable is set in this server process'),
    temperature: z.number(),
    max_tokens: z.number().int(),
    options: z.record(z.string(), z.unknown()).describe('e.g. {"timeout_ms": 60000, "max_retries": 2}'),
    fallback_config_id: z.uuid().nullable(),
    is_active: z.boolean(),
    updated_at: z.string(),
  })
  .meta({ id: 'LlmConfig' });
export const llmConfigListSchema = z.object({ llm_configs: z.array(llmConfigSchema) });

const llmConfigFields = {
  name: z.string().trim().min(1).max(200),
  provider: llmProviderSchema,
  model: z.string().trim().min(1).max(200),
  base_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).nullable(),
  api_key_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]{0,99}$/, 'must be an environment variable name like OPENAI_API_KEY')
    .nullable(),
  temperature: z.number().min(0).max(2),
  max_tokens: z.number().int().min(1).max(200_000),
  options: z
    .object({
      timeout_ms: z.number().int().min(100).max(600_000).optional(),
      max_retries: z.number().int().min(0).max(10).optional(),
      resource_name: z.string().max(200).optional(),
      api_version: z.string().max(50).optional(),
    })
    .loose(),
  fallback_config_id: z.uuid().nullable(),
  is_active: z.boolean().describe('Activating a config deactivates the others of its mode'),
};
export const llmConfigCreateSchema = z.object({
  mode: llmModeSchema,
  ...llmConfigFields,
  base_url: llmConfigFields.base_url.default(null),
  api_key_env: llmConfigFields.api_key_env.default(null),
  temperature: llmConfigFields.temperature.default(0.2),
  max_tokens: llmConfigFields.max_tokens.default(1024),
  options: llmConfigFields.options.default({}),
  fallback_config_id: llmConfigFields.fallback_config_id.default(null),
  is_active: llmConfigFields.is_active.default(false),
});
export const llmConfigPatchSchema = z.object(llmConfigFields).partial();

export const systemPromptSchema = z
  .object({
    id: z.uuid(),
    mode: llmModeSchema,
    version: z.number().int(),
    content: z.string(),
    is_active: z.boolean(),
    created_at: z.string(),
  })
  .meta({ id: 'SystemPrompt' });
export const systemPromptListSchema = z.object({ system_prompts: z.array(systemPromptSchema) });
export const systemPromptListQuerySchema = z.object({ mode: llmModeSchema.optional() });
export const systemPromptCreateSchema = z.object({
  mode: llmModeSchema,
  content: z.string().trim().min(1).max(20_000),
});

export const modelPriceSchema = z
  .object({
    provider: z.string(),
    model: z.string(),
    input_usd_per_million: z.number(),
    output_usd_per_million: z.number(),
    scope: z.enum(['tenant', 'global']).describe('A tenant price overrides the global one'),
  })
  .meta({ id: 'ModelPrice' });
export const modelPriceListSchema = z.object({ model_prices: z.array(modelPriceSchema) });
export const modelPricePutSchema = z.object({
  provider: z.string().trim().min(1).max(50),
  model: z.string().trim().min(1).max(200),
  input_usd_per_million: z.number().min(0).max(100_000),
  output_usd_per_million: z.number().min(0).max(100_000),
});

export const tokenUsageQuerySchema = z.object({
  group_by: z.enum(['user', 'department', 'model', 'mode', 'day']).default('day'),
  from: z.iso.datetime({ offset: true }).optional().describe('Inclusive; default 30 days ago'),
  to: z.iso.datetime({ offset: true }).optional().describe('Exclusive; default now'),
});
const tokenUsageTotalsSchema = z.object({
  answers: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  cost_usd: z.number(),
});
export const tokenUsageSchema = z.object({
  group_by: z.enum(['user', 'department', 'model', 'mode', 'day']),
  from: z.string(),
  to: z.string(),
  rows: z.array(
    tokenUsageTotalsSchema.extend({
      key: z.string().nullable().describe('user id, REGION/DEPT code, provider:model, mode or YYYY-MM-DD'),
      label: z.string().describe('For people: email, "API key <name>", "no department"'),
    }),
  ),
  totals: tokenUsageTotalsSchema,
});
