import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Role } from '../../platform/db/schema.ts';
import type { ServerKeys } from './server-keys.ts';

const ISSUER = 'nexus';
const AUDIENCE = 'nexus-api';

export interface AccessTokenClaims {
  userId: string;
  tenantId: string;
  role: Role;
  /** Refresh-token family: logging out revokes the session it belongs to. */
  sessionId: string;
  /** Set while an admin must enrol TOTP: only enrolment routes accept the token. */
  isLimited: boolean;
}

export async function signAccessToken(
  keys: ServerKeys,
  claims: AccessTokenClaims,
  ttlSeconds: number,
  now = new Date(),
): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({
    tid: claims.tenantId,
    role: claims.role,
    sid: claims.sessionId,
    ...(claims.isLimited ? { lim: 1 } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(keys.tokenSigningKey);
}

/** Verifies signature (HS256 only: `none` and other algorithms are refused), issuer, audience, expiry. */
export async function verifyAccessToken(
  keys: ServerKeys,
  token: string,
  now = new Date(),
): Promise<AccessTokenClaims | null> {
  try {
    const { payload } = await jwtVerify(token, keys.tokenSigningKey, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: now,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    if (typeof payload.sub !== 'string' || typeof payload.tid !== 'string' || typeof payload.sid !== 'string')
      return null;
    return {
      userId: payload.sub,
      tenantId: payload.tid,
      role: payload.role as Role,
      sessionId: payload.sid,
      isLimited: payload.lim === 1,
    };
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return null;
    throw error;
  }
}
