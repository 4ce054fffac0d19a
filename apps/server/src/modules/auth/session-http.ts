import { randomBytes } from 'node:crypto';
import type { User } from '@nexus/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserPrincipal } from '../access/access.types.ts';
import type { AccountRow, ClientInfo, SessionTokens } from './auth.service.ts';
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE } from './authentication.ts';

/** How sessions travel over HTTP: the token response, and the cookies browsers keep. */

const REFRESH_COOKIE_PATH = '/api/v1/auth';

export function clientInfo(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof userAgent === 'string' ? userAgent : null };
}

type UserFields = Pick<
  AccountRow,
  | 'email'
  | 'displayName'
  | 'role'
  | 'tenantId'
  | 'tenantSlug'
  | 'departmentId'
  | 'departmentCode'
  | 'regionCode'
>;

function toUser(
  id: string,
  fields: UserFields,
  totp: { isEnabled: boolean; isEnrollmentRequired: boolean },
): User {
  return {
    id,
    email: fields.email,
    display_name: fields.displayName,
    role: fields.role,
    tenant: { id: fields.tenantId, slug: fields.tenantSlug },
    department:
      fields.departmentId && fields.departmentCode && fields.regionCode
        ? { id: fields.departmentId, code: `${fields.regionCode}/${fields.departmentCode}` }
        : null,
    totp_enabled: totp.isEnabled,
    totp_enrollment_required: totp.isEnrollmentRequired,
  };
}

export function accountToUser(account: AccountRow, isTotpEnrollmentRequired: boolean): User {
  return toUser(account.id, account, {
    isEnabled: account.totpEnabledAt !== null,
    isEnrollmentRequired: isTotpEnrollmentRequired,
  });
}

export function principalToUser(principal: UserPrincipal): User {
  return toUser(principal.userId, principal, {
    isEnabled: principal.isTotpEnabled,
    isEnrollmentRequired: principal.isLimited,
  });
}

/**
 * Browser sessions: the same tokens in httpOnly cookies, plus a readable CSRF cookie whose
 * value must come back in the X-CSRF-Token header on unsafe requests.
 */
export function setSessionCookies(
  reply: FastifyReply,
  tokens: SessionTokens,
  isSecure: boolean,
  refreshTtlSeconds: number,
) {
  const common = { httpOnly: true, secure: isSecure, sameSite: 'lax' as const };
  reply.setCookie(ACCESS_COOKIE, tokens.accessToken, { ...common, path: '/', maxAge: tokens.expiresIn });
  reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    ...common,
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    maxAge: refreshTtlSeconds,
  });
  reply.setCookie(CSRF_COOKIE, randomBytes(24).toString('base64url'), {
    httpOnly: false,
    secure: isSecure,
    sameSite: 'strict',
    path: '/',
    maxAge: refreshTtlSeconds,
  });
}

export function clearSessionCookies(reply: FastifyReply) {
  reply.clearCookie(ACCESS_COOKIE, { path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH });
  reply.clearCookie(CSRF_COOKIE, { path: '/' });
}

export function tokenResponse(tokens: SessionTokens) {
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    token_type: 'bearer' as const,
    expires_in: tokens.expiresIn,
    user: accountToUser(tokens.account, tokens.isTotpEnrollmentRequired),
  };
}
