import { z } from 'zod';
import { defineJob } from '../../platform/queue.ts';
import { deleteExpiredRefreshTokens } from './auth.repository.ts';
import { purgeLoginThrottles } from './login-throttle.ts';

/** Hourly: removes refresh tokens that expired more than a day ago (kept a day for reuse detection). */
export const purgeExpiredRefreshTokensJob = defineJob({
  name: 'maintenance-purge-refresh-tokens',
  version: 1,
  payload: z.object({
    graceHours: z
      .number()
      .int()
      .min(0)
      .max(24 * 30),
  }),
  schedule: { cron: '17 * * * *', payload: { graceHours: 24 } },
  async handler(payload, { db, log }) {
    const deleted = await deleteExpiredRefreshTokens(
      db.kysely,
      new Date(Date.now() - payload.graceHours * 3_600_000),
    );
    log.info({ deleted }, 'purged expired refresh tokens');
  },
});

/** Hourly: forgets sign-in failures whose window has passed (login-throttle.ts). */
export function createPurgeLoginThrottlesJob(windowSeconds: number) {
  return defineJob({
    name: 'auth-purge-login-throttles',
    version: 1,
    payload: z.object({}),
    schedule: { cron: '23 * * * *', payload: {} },
    async handler(_payload, { db, log }) {
      log.info(
        { deleted: await purgeLoginThrottles(db.kysely, windowSeconds) },
        'purged old sign-in failures',
      );
    },
  });
}
