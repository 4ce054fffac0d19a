import type { Db } from '../../platform/db/database.ts';
import { runAsTenant } from '../../platform/db/tenant-scope.ts';
import { AppError } from '../../platform/errors.ts';
import { sumUsage, type UsageGroup, type UsageRow } from './usage.repository.ts';

/** Token spend of a tenant's answers, grouped for the admin's usage page (DESIGN.md §9). */

export type { UsageGroup, UsageRow } from './usage.repository.ts';

const DAY_MS = 86_400_000;

export interface UsageReport {
  groupBy: UsageGroup;
  from: Date;
  to: Date;
  rows: UsageRow[];
  totals: { answers: number; input_tokens: number; output_tokens: number; cost_usd: number };
}

/** Default range: the 30 days up to now. */
export async function reportUsage(
  db: Db,
  tenantId: string,
  query: { groupBy: UsageGroup; from?: string | undefined; to?: string | undefined },
): Promise<UsageReport> {
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - 30 * DAY_MS);
  if (from >= to) throw new AppError('bad_request:range', '`from` must be before `to`.');
  const rows = await runAsTenant(db, tenantId, (trx) =>
    sumUsage(trx, tenantId, { from, to, groupBy: query.groupBy }),
  );
  const totals = rows.reduce(
    (sum, row) => ({
      answers: sum.answers + row.answers,
      input_tokens: sum.input_tokens + row.input_tokens,
      output_tokens: sum.output_tokens + row.output_tokens,
      cost_usd: sum.cost_usd + row.cost_usd,
    }),
    { answers: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 },
  );
  return { groupBy: query.groupBy, from, to, rows, totals };
}
