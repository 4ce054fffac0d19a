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
