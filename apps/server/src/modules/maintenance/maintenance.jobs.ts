import { z } from 'zod';
import { defineJob } from '../../platform/queue.ts';

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
    const cutoff = new Date(Date.now() - payload.graceHours * 3_600_000);
    const result = await db.kysely
      .deleteFrom('refresh_tokens')
      .where('expires_at', '<', cutoff)
      .executeTakeFirst();
    log.info({ deleted: Number(result.numDeletedRows) }, 'purged expired refresh tokens');
  },
});
