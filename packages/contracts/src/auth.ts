import { z } from 'zod';

export const roleSchema = z.enum(['super_admin', 'content_manager', 'user']);

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    display_name: z.string(),
    role: roleSchema,
    tenant: z.object({ id: z.uuid(), slug: z.string() }),
    department: z.object({ id: z.uuid(), code: z.string().describe('REGION/DEPT, e.g. UK/HR') }).nullable(),
    totp_enabled: z.boolean(),
    totp_enrollment_required: z.boolean(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof userSchema>;

export const authConfigResponseSchema = z.object({
  password: z.boolean().describe('Email + password sign-in is enabled'),
  sso: z.object({
    enabled: z.boolean(),
    provider_name: z.string().nullable(),
    login_url: z.string().nullable(),
  }),
  totp_required_for_admins: z.boolean(),
});

export const loginRequestSchema = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
  totp: z
    .string()
    .regex(/^\d{6}$/, 'must be 6 digits')
    .optional(),
  tenant: z
    .string()
    .max(63)
    .optional()
    .describe('Tenant slug; needed only when the email exists in several tenants'),
});

export const tokenResponseSchema = z
  .object({
    access_token: z.string(),
    refresh_token: z.string(),
    token_type: z.literal('bearer'),
    expires_in: z.number().int().describe('Access token lifetime in seconds'),
    user: userSchema,
  })
  .meta({ id: 'TokenResponse' });

export const refreshRequestSchema = z.object({
  refresh_token: z.string().min(1).max(200).optional().describe('Omit to use the refresh cookie'),
});

export const logoutRequestSchema = z.object({ refresh_token: z.string().max(200).optional() }).nullish();

export const totpEnrollResponseSchema = z.object({
  secret: z.string().describe('Base32 secret for the authenticator app'),
  otpauth_url: z.string(),
});

export const totpVerifyRequestSchema = z.object({ code: z.string().regex(/^\d{6}$/, 'must be 6 digits') });
