import { randomUUID } from 'node:crypto';
import type { AuthConfig } from '../../config.ts';
import { generateOpaqueToken, hashToken } from '../../platform/crypto/opaque-tokens.ts';
import { hashPassword, verifyPassword } from '../../platform/crypto/passwords.ts';
import type { Db, Executor } from '../../platform/db/database.ts';
import type { Role } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/errors.ts';
import type { UserPrincipal } from '../access/access.types.ts';
import { recordAuditEvent } from '../audit/audit.service.ts';
import {
  type AccountRow,
  findAccountById,
  findAccountsByEmail,
  findRefreshTokenByHash,
  insertRefreshToken,
  markRefreshTokenRotated,
  recordSuccessfulLogin,
  revokeRefreshTokenFamily,
  setTotpSecret,
} from './auth.repository.ts';
import { signAccessToken } from './auth.tokens.ts';
import {
  clearLoginFailures,
  type LoginThrottlePolicy,
  loginWaitSeconds,
  recordLoginFailure,
} from './login-throttle.ts';
import { decryptSecret, encryptSecret, type ServerKeys } from './server-keys.ts';
import { createTotpSecret, totpUri, verifyTotp } from './totp.ts';

export type { AccountRow } from './auth.repository.ts';

export interface AuthContext {
  db: Db;
  keys: ServerKeys;
  config: AuthConfig;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  sessionId: string;
  account: AccountRow;
  /** The account must enrol TOTP before anything but enrolment is allowed. */
  isTotpEnrollmentRequired: boolean;
}

const REFRESH_PREFIX = 'nxr_';
const INVALID_CREDENTIALS = 'The email or password is incorrect.';

/** A real argon2id hash, verified when the account does not exist so failures take the same time. */
let decoyHash: Promise<string> | undefined;
function decoy(): Promise<string> {
  decoyHash ??= hashPassword('decoy password that never matches anything');
  return decoyHash;
}

export function isAdministrativeRole(role: Role): boolean {
  return role === 'super_admin' || role === 'content_manager';
}

function mustEnrollTotp(config: AuthConfig, account: AccountRow): boolean {
  return (
    config.adminTotp === 'required' && isAdministrativeRole(account.role) && account.totpEnabledAt === null
  );
}

/** Issues an access token and a new refresh token (a new family unless continuing one). */
export async function issueSession(
  context: AuthContext,
  executor: Executor,
  account: AccountRow,
  client: ClientInfo,
  family: { familyId: string; parentId: string } | null = null,
): Promise<SessionTokens> {
  const refreshToken = generateOpaqueToken(REFRESH_PREFIX);
  const familyId = family?.familyId ?? randomUUID();
  await insertRefreshToken(executor, {
    tenantId: account.tenantId,
    userId: account.id,
    tokenHash: hashToken(refreshToken),
    familyId,
    parentId: family?.parentId ?? null,
    expiresAt: new Date(Date.now() + context.config.refreshTokenTtlSeconds * 1000),
    userAgent: client.userAgent?.slice(0, 500) ?? null,
    ip: client.ip,
  });
  const isTotpEnrollmentRequired = mustEnrollTotp(context.config, account);
  const accessToken = await signAccessToken(
    context.keys,
    {
      userId: account.id,
      tenantId: account.tenantId,
      role: account.role,
      sessionId: familyId,
      isLimited: isTotpEnrollmentRequired,
    },
    context.config.accessTokenTtlSeconds,
  );
  return {
    accessToken,
    refreshToken,
    expiresIn: context.config.accessTokenTtlSeconds,
    sessionId: familyId,
    account,
    isTotpEnrollmentRequired,
  };
}

export interface PasswordLogin {
  email: string;
  password: string;
  totp?: string;
  tenant?: string;
}

function throttlePolicy(config: AuthConfig): LoginThrottlePolicy {
  return {
    perAccountAddress: config.loginMaxFailures,
    perAddress: config.loginAddressMaxFailures,
    windowSeconds: config.loginLockoutSeconds,
  };
}

/**
 * Email + password (+ TOTP when enrolled). Every failure answers the same way and takes
 * about as long, for real and unknown emails alike (argon2 runs for unknown emails too).
 * Repeated failures slow down further attempts for that email from that client address,
 * and for that address across emails (login-throttle.ts) — they never lock the account
 * for its owner elsewhere. Failures and successes of real accounts are audited.
 */
export async function loginWithPassword(
  context: AuthContext,
  login: PasswordLogin,
  client: ClientInfo,
): Promise<SessionTokens> {
  if (!context.config.isPasswordLoginEnabled) {
    throw new AppError(
      'forbidden:password_login_disabled',
      'Password sign-in is disabled; use single sign-on.',
    );
  }
  const { db } = context;
  const policy = throttlePolicy(context.config);
  const subject = { tenant: login.tenant, email: login.email, address: client.ip };
  const waitSeconds = await loginWaitSeconds(db.kysely, subject, policy);
  if (waitSeconds > 0) {
    throw new AppError(
      'rate_limited:login',
      `Too many failed sign-in attempts from this address. Try again in ${waitSeconds} second(s).`,
      { retry_after_seconds: waitSeconds },
      { 'retry-after': String(waitSeconds) },
    );
  }
  const candidates = await findAccountsByEmail(db.kysely, login.email.trim(), login.tenant);
  const account = candidates.length === 1 ? candidates[0]! : undefined;
  const isPasswordValid = await verifyPassword(account?.passwordHash ?? (await decoy()), login.password);

  const fail = async (code: 'unauthorized:credentials' | 'unauthorized:totp_invalid', message: string) => {
    await recordLoginFailure(db.kysely, subject, policy);
    if (account) {
      // Not awaited: a real account's answer must not take longer than an unknown one's.
      void recordAuditEvent(db.kysely, {
        tenantId: account.tenantId,
        actorUserId: account.id,
        action: 'auth.login_failed',
        after: { reason: code },
        ip: client.ip,
      }).catch(() => {});
    }
    return new AppError(code, message);
  };
  if (!account?.passwordHash || !isPasswordValid || !account.isActive) {
    throw await fail('unauthorized:credentials', INVALID_CREDENTIALS);
  }
  if (account.totpEnabledAt && account.totpSecret) {
    if (!login.totp) {
      throw new AppError('unauthorized:totp_required', 'Enter the 6-digit code from your authenticator app.');
    }
    if (!(await verifyTotp(decryptSecret(context.keys, account.totpSecret), login.totp))) {
      throw await fail('unauthorized:totp_invalid', 'The authenticator code is incorrect or expired.');
    }
  }
  return db.transaction(async (trx) => {
    await recordSuccessfulLogin(trx, account.id);
    await clearLoginFailures(trx, subject, policy);
    await recordAuditEvent(trx, {
      tenantId: account.tenantId,
      actorUserId: account.id,
      action: 'auth.login',
      after: { method: 'password' },
      ip: client.ip,
    });
    return issueSession(context, trx, account, client);
  });
}

/**
 * Exchanges a refresh token for new tokens, rotating it. A token presented a second time
 * means it was stolen or replayed: its whole family is revoked and the user must sign in.
 */
export async function refreshSession(
  context: AuthContext,
  refreshToken: string,
  client: ClientInfo,
): Promise<SessionTokens> {
  const invalid = () =>
    new AppError('unauthorized:refresh_token', 'Your session has ended. Please sign in again.');
  const stored = await findRefreshTokenByHash(context.db.kysely, hashToken(refreshToken));
  if (!stored) throw invalid();
  if (stored.revokedAt || stored.expiresAt <= new Date()) throw invalid();
  const result = await context.db.transaction(async (trx) => {
    if (!(await markRefreshTokenRotated(trx, stored.id))) return null;
    const account = await findAccountById(trx, stored.tenantId, stored.userId);
    if (!account?.isActive) throw invalid();
    return issueSession(context, trx, account, client, { familyId: stored.familyId, parentId: stored.id });
  });
  if (result) return result;
  // Already rotated: reuse. Revoke the family outside the failed attempt.
  await context.db.transaction(async (trx) => {
    const revoked = await revokeRefreshTokenFamily(trx, stored.familyId);
    await recordAuditEvent(trx, {
      tenantId: stored.tenantId,
      actorUserId: stored.userId,
      action: 'auth.refresh_token_reused',
      targetType: 'session',
      targetId: stored.familyId,
      after: { revoked_tokens: revoked },
      ip: client.ip,
    });
  });
  throw invalid();
}

/** Ends the session a refresh token (or session id) belongs to. */
export async function logout(
  context: AuthContext,
  session: { refreshToken?: string | undefined; sessionId?: string | undefined },
  actor: { tenantId: string; userId: string } | null,
  client: ClientInfo,
): Promise<void> {
  let familyId = session.sessionId;
  if (!familyId && session.refreshToken) {
    familyId = (await findRefreshTokenByHash(context.db.kysely, hashToken(session.refreshToken)))?.familyId;
  }
  if (!familyId) return;
  const sessionFamily = familyId;
  await context.db.transaction(async (trx) => {
    await revokeRefreshTokenFamily(trx, sessionFamily);
    if (actor) {
      await recordAuditEvent(trx, {
        tenantId: actor.tenantId,
        actorUserId: actor.userId,
        action: 'auth.logout',
        ip: client.ip,
      });
    }
  });
}

/** Starts TOTP enrolment: a new secret (stored encrypted, not yet on) to add to an authenticator app. */
export async function startTotpEnrolment(
  context: AuthContext,
  principal: UserPrincipal,
): Promise<{ secret: string; otpauth_url: string }> {
  if (principal.isTotpEnabled)
    throw new AppError('conflict:totp', 'Two-factor authentication is already on.');
  const secret = createTotpSecret();
  await setTotpSecret(context.db.kysely, principal.userId, encryptSecret(context.keys, secret), false);
  return { secret, otpauth_url: totpUri(secret, principal.email) };
}

/**
 * Turns TOTP on with a code from the app (audited); the limited session that enrolled
 * ends and a full one begins.
 */
export async function finishTotpEnrolment(
  context: AuthContext,
  principal: UserPrincipal,
  code: string,
  client: ClientInfo,
): Promise<SessionTokens> {
  const account = await findAccountById(context.db.kysely, principal.tenantId, principal.userId);
  if (!account?.totpSecret || account.totpEnabledAt) {
    throw new AppError('conflict:totp', 'Start enrolment first (POST /api/v1/auth/totp/enroll).');
  }
  if (!(await verifyTotp(decryptSecret(context.keys, account.totpSecret), code))) {
    throw new AppError('bad_request:totp_invalid', 'The code is incorrect or expired; try the current one.');
  }
  return context.db.transaction(async (trx) => {
    await setTotpSecret(trx, account.id, account.totpSecret, true);
    await revokeRefreshTokenFamily(trx, principal.sessionId); // the limited session ends
    await recordAuditEvent(trx, {
      tenantId: account.tenantId,
      actorUserId: account.id,
      action: 'auth.totp_enabled',
      ip: client.ip,
    });
    return issueSession(context, trx, { ...account, totpEnabledAt: new Date() }, client, null);
  });
}
