import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/**
 * Sign-in throttling that slows an attacker down without locking anyone out:
 *
 * - per account *and* client address: after `perAccountAddress` failures in the window,
 *   each further attempt from that address for that email waits 1 s, 2 s, 4 s … up to
 *   `maxDelaySeconds` — the owner signing in from their own machine is not affected;
 * - per client address across accounts: after `perAddress` failures, the same growing
 *   wait for everything from that address (password spraying);
 * - the keys are digests of the email as typed, so an unknown email is throttled exactly
 *   like a known one and the answers cannot tell them apart.
 *
 * A success clears the account+address budget (not the address one). State lives in the
 * database, shared by every process.
 */

export interface LoginThrottlePolicy {
  /** Failures per account and address before each attempt must wait. */
  perAccountAddress: number;
  /** Failures per address, across accounts, before each attempt must wait. */
  perAddress: number;
  /** Failures older than this are forgotten; also the longest wait. */
  windowSeconds: number;
}

export interface LoginSubject {
  tenant: string | undefined;
  email: string;
  address: string | null;
}

interface ThrottleKey {
  key: string;
  limit: number;
}

function digest(subject: string): string {
  return createHash('sha256').update(subject).digest('hex');
}

function keysOf(
  subject: LoginSubject,
  policy: LoginThrottlePolicy,
): { account: ThrottleKey; address: ThrottleKey } {
  const address = subject.address ?? 'unknown';
  const email = subject.email.trim().toLowerCase();
  return {
    account: {
      key: digest(`account:${subject.tenant ?? ''}:${email}:${address}`),
      limit: policy.perAccountAddress,
    },
    address: { key: digest(`address:${address}`), limit: policy.perAddress },
  };
}

/** Seconds this attempt must still wait (0: it may go ahead). */
export async function loginWaitSeconds(
  executor: Executor,
  subject: LoginSubject,
  policy: LoginThrottlePolicy,
): Promise<number> {
  const keys = keysOf(subject, policy);
  const result = await sql<{ wait: number }>`
    SELECT coalesce(max(extract(epoch FROM blocked_until - now())), 0)::float8 AS wait
    FROM login_throttles
    WHERE key IN (${keys.account.key}, ${keys.address.key}) AND blocked_until > now()`.execute(executor);
  const wait = result.rows[0]?.wait ?? 0;
  return wait > 0 ? Math.ceil(wait) : 0;
}

/** Counts a failed attempt against both budgets; past a budget, the next attempt must wait longer each time. */
export async function recordLoginFailure(
  executor: Executor,
  subject: LoginSubject,
  policy: LoginThrottlePolicy,
): Promise<void> {
  const keys = keysOf(subject, policy);
  for (const { key, limit } of [keys.account, keys.address]) {
    const counted = await sql<{ failures: number }>`
      INSERT INTO login_throttles AS throttle (key, failures, window_started_at)
      VALUES (${key}, 1, now())
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN throttle.window_started_at < now() - make_interval(secs => ${policy.windowSeconds})
                        THEN 1 ELSE throttle.failures + 1 END,
        window_started_at = CASE WHEN throttle.window_started_at < now() - make_interval(secs => ${policy.windowSeconds})
                                 THEN now() ELSE throttle.window_started_at END
      RETURNING failures`.execute(executor);
    const failures = counted.rows[0]?.failures ?? 1;
    if (failures < limit) continue;
    // 1 s after the limit is reached, then 2 s, 4 s, … never more than the window.
    const waitSeconds = Math.min(2 ** Math.min(failures - limit, 30), policy.windowSeconds);
    await sql`
      UPDATE login_throttles SET blocked_until = now() + make_interval(secs => ${waitSeconds})
      WHERE key = ${key}`.execute(executor);
  }
}

/** A successful sign-in clears its account+address budget. */
export async function clearLoginFailures(
  executor: Executor,
  subject: LoginSubject,
  policy: LoginThrottlePolicy,
): Promise<void> {
  await sql`DELETE FROM login_throttles WHERE key = ${keysOf(subject, policy).account.key}`.execute(executor);
}

/** Forgets budgets whose window has passed (the maintenance job). */
export async function purgeLoginThrottles(executor: Executor, windowSeconds: number): Promise<number> {
  const result = await sql`
    DELETE FROM login_throttles
    WHERE window_started_at < now() - make_interval(secs => ${windowSeconds})
      AND (blocked_until IS NULL OR blocked_until < now())`.execute(executor);
  return Number(result.numAffectedRows ?? 0);
}
